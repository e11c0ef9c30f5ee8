# This file is part of the Delivery CRM for Tryton.
"""Distance and travel-time matrices for the route optimiser, free of the ORM.

Everything here is plain Python + numpy; importing it imports no trytond.

Units: distances in metres, durations in seconds, points as ``(lat, lon)``
in degrees (WGS 84).

- `haversine(lat1, lon1, lat2, lon2)`: great-circle distance in metres.
- `haversine_matrix(points, detour_factor, speed_kmh)`: the road estimate
  used when no routing server is configured: great circle x detour factor
  (1.3 is typical of a city grid), duration = distance / average speed.
- `euclidean_matrix(points, speed=1)`: planar distances with ``lon`` as x and
  ``lat`` as y, in the units of the coordinates; for the benchmark instances
  (Solomon, Gehring-Homberger, CVRPLIB), where travel time = distance.
- `osrm_table(url, points, ...)`: an OSRM-compatible ``/table/v1`` client
  (``GET {url}/table/v1/{profile}/{lon},{lat};...?sources=..&destinations=..
  &annotations=duration,distance``), by blocks of at most ``chunk_size``
  coordinates per request.
  Raises `OSRMError` when the server is down, times out or answers garbage;
  cells the server cannot route (``null``) are filled from haversine and
  counted in ``Matrix.warnings``.
- `DistanceMatrix`: the provider the optimiser calls (``.matrix(points)``):
  OSRM when a URL is set, haversine otherwise and as the fallback when OSRM
  fails (``Matrix.source`` tells which one answered).
  `DistanceMatrix.from_config()` reads the ``[delivery_courier_routes]``
  section of the trytond configuration (``osrm_url``, ``osrm_profile``,
  ``osrm_timeout``, ``detour_factor``, ``speed_kmh``); that lazy import is
  the only contact with trytond and is skipped when a config is passed.
- `EuclideanDistances`, `FixedMatrix`: providers for the benchmark and for
  callers that already have a matrix (looked up by the points' coordinates).
"""
import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    'EARTH_RADIUS', 'Matrix', 'OSRMError',
    'haversine', 'haversine_matrix', 'euclidean_matrix', 'osrm_table',
    'DistanceMatrix', 'EuclideanDistances', 'FixedMatrix',
    ]

EARTH_RADIUS = 6_371_008.8  # mean Earth radius in metres (IUGG)
DEFAULT_DETOUR = 1.3
DEFAULT_SPEED = 25.0  # km/h, average urban speed door to door


@dataclass
class Matrix:
    """Square matrices over a list of points, in the order given.

    ``distances[i][j]`` in metres and ``durations[i][j]`` in seconds from
    point i to point j (numpy float64 arrays, zero diagonal)."""
    distances: np.ndarray
    durations: np.ndarray
    source: str = 'haversine'
    warnings: list = field(default_factory=list)

    def __len__(self):
        return len(self.distances)


class OSRMError(Exception):
    "The routing server could not give a table"


def haversine(lat1, lon1, lat2, lon2):
    "Great-circle distance in metres between two points in degrees"
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = (math.sin(dphi / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2)
    return 2 * EARTH_RADIUS * math.asin(min(1.0, math.sqrt(a)))


def _as_array(points):
    array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return array


def _great_circle(points):
    p = np.radians(_as_array(points))
    lat, lon = p[:, 0], p[:, 1]
    dphi = lat[None, :] - lat[:, None]
    dlambda = lon[None, :] - lon[:, None]
    a = (np.sin(dphi / 2) ** 2
        + np.cos(lat)[:, None] * np.cos(lat)[None, :]
        * np.sin(dlambda / 2) ** 2)
    return 2 * EARTH_RADIUS * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def haversine_matrix(
        points, detour_factor=DEFAULT_DETOUR, speed_kmh=DEFAULT_SPEED):
    """Road estimate: great circle x detour_factor, at speed_kmh average.

    Pure: the same points always give the same matrix."""
    if detour_factor <= 0 or speed_kmh <= 0:
        raise ValueError("detour_factor and speed_kmh must be positive")
    distances = _great_circle(points) * detour_factor
    durations = distances / (speed_kmh / 3.6)
    return Matrix(distances, durations, 'haversine')


def euclidean_matrix(points, speed=1.0, rounded=False):
    """Planar distances (x = lon, y = lat), duration = distance / speed.

    For the benchmark instances: double precision (Solomon, Gehring-Homberger
    convention), or rounded to the nearest integer when rounded (TSPLIB
    EUC_2D, the CVRPLIB X convention)."""
    xy = _as_array(points)[:, ::-1]
    diff = xy[:, None, :] - xy[None, :, :]
    distances = np.sqrt((diff ** 2).sum(axis=-1))
    if rounded:
        distances = np.floor(distances + 0.5)
    return Matrix(distances, distances / speed, 'euclidean')


def _osrm_get(url, timeout):
    request = urllib.request.Request(url, headers={
            'Accept': 'application/json',
            'User-Agent': 'trytond-delivery-courier-routes',
            })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        # OSRM answers 400 with a JSON code (TooBig, InvalidQuery, ...)
        try:
            message = json.loads(error.read()).get('message', '')
        except Exception:
            message = ''
        raise OSRMError(f"HTTP {error.code} {message}".strip()) from error
    except (OSError, ValueError) as error:  # URLError, timeout, bad URL
        raise OSRMError(str(error) or error.__class__.__name__) from error
    try:
        data = json.loads(body)
    except ValueError as error:
        raise OSRMError("not a JSON answer") from error
    if not isinstance(data, dict) or data.get('code') != 'Ok':
        code = data.get('code') if isinstance(data, dict) else None
        raise OSRMError(f"answer code {code!r}")
    return data


def osrm_table(url, points, profile='driving', timeout=10.0, chunk_size=100):
    """Distances (m) and durations (s) from an OSRM-compatible table service.

    url is the server root (``http://host:5000``); the request is
    ``{url}/table/v1/{profile}/{lon},{lat};...?sources=..&destinations=..
    &annotations=duration,distance``, by blocks of chunk_size points so that
    a server started with the default ``--max-table-size 100`` accepts it.
    Raises OSRMError; unroutable cells (null) are filled from haversine x
    1.3 at 25 km/h and reported in warnings."""
    pts = _as_array(points)
    n = len(pts)
    distances = np.full((n, n), np.nan)
    durations = np.full((n, n), np.nan)
    if n == 0:
        return Matrix(distances, durations, 'osrm')
    chunk_size = max(1, int(chunk_size) // 2)
    blocks = [list(range(i, min(n, i + chunk_size)))
        for i in range(0, n, chunk_size)]
    root = url.rstrip('/')
    for rows in blocks:
        for cols in blocks:
            index = sorted(set(rows) | set(cols))
            position = {p: k for k, p in enumerate(index)}
            coordinates = ';'.join(
                f'{pts[p][1]:.6f},{pts[p][0]:.6f}' for p in index)
            query = urllib.parse.urlencode({
                    'sources': ';'.join(str(position[p]) for p in rows),
                    'destinations': ';'.join(str(position[p]) for p in cols),
                    'annotations': 'duration,distance',
                    }, safe=';,')
            data = _osrm_get(
                f'{root}/table/v1/{urllib.parse.quote(profile)}/'
                f'{coordinates}?{query}', timeout)
            table_durations = data.get('durations')
            table_distances = data.get('distances')
            if (not isinstance(table_durations, list)
                    or len(table_durations) != len(rows)):
                raise OSRMError("durations missing or of the wrong size")
            for k, row in enumerate(rows):
                line = table_durations[k]
                if not isinstance(line, list) or len(line) != len(cols):
                    raise OSRMError("durations row of the wrong size")
                durations[row, cols] = [
                    np.nan if v is None else float(v) for v in line]
                if isinstance(table_distances, list) and k < len(
                        table_distances):
                    line = table_distances[k]
                    if isinstance(line, list) and len(line) == len(cols):
                        distances[row, cols] = [
                            np.nan if v is None else float(v) for v in line]
    estimate = haversine_matrix(pts)
    warnings = []
    missing = np.isnan(durations)
    np.fill_diagonal(missing, False)
    if missing.any():
        warnings.append(
            f"{int(missing.sum())} pairs not routable by OSRM: haversine used")
        durations[missing] = estimate.durations[missing]
    missing_distance = np.isnan(distances)
    if missing_distance.any():
        # an older OSRM without distance annotations: estimate from the
        # duration at the average speed of the routable cells
        distances[missing_distance] = estimate.distances[missing_distance]
    np.fill_diagonal(distances, 0.0)
    np.fill_diagonal(durations, 0.0)
    if (distances < 0).any() or (durations < 0).any():
        raise OSRMError("negative values in the table")
    return Matrix(distances, durations, 'osrm', warnings)


class DistanceMatrix:
    """The optimiser's source of distances and durations.

    ``DistanceMatrix()`` is haversine x 1.3 at 25 km/h;
    ``DistanceMatrix(osrm_url='http://127.0.0.1:5000')`` asks OSRM and falls
    back to haversine (source ``'haversine (OSRM down: ...)'``) when the
    server does not answer within timeout seconds or answers badly."""

    def __init__(
            self, detour_factor=DEFAULT_DETOUR, speed_kmh=DEFAULT_SPEED,
            osrm_url=None, osrm_profile='driving', timeout=10.0,
            chunk_size=100):
        if detour_factor <= 0 or speed_kmh <= 0:
            raise ValueError("detour_factor and speed_kmh must be positive")
        self.detour_factor = float(detour_factor)
        self.speed_kmh = float(speed_kmh)
        self.osrm_url = osrm_url or None
        self.osrm_profile = osrm_profile or 'driving'
        self.timeout = float(timeout)
        self.chunk_size = int(chunk_size)
        self.last_error = None

    @classmethod
    def from_config(cls, config=None, section='delivery_courier_routes'):
        """From trytond's configuration (default) or a ConfigParser.

        Options: osrm_url, osrm_profile, osrm_timeout, detour_factor,
        speed_kmh; missing or invalid ones take the defaults."""
        if config is None:
            try:
                import trytond.config as config
            except ImportError:
                return cls()

        def get(option, default, convert=str):
            try:
                try:    # trytond.config.get(section, option, default=None)
                    value = config.get(section, option, default=None)
                except TypeError:   # configparser.ConfigParser
                    value = config.get(section, option, fallback=None)
            except Exception:
                value = None
            if value in (None, ''):
                return default
            try:
                return convert(value)
            except ValueError:
                return default
        return cls(
            detour_factor=get('detour_factor', DEFAULT_DETOUR, float),
            speed_kmh=get('speed_kmh', DEFAULT_SPEED, float),
            osrm_url=get('osrm_url', None),
            osrm_profile=get('osrm_profile', 'driving'),
            timeout=get('osrm_timeout', 10.0, float))

    def haversine(self, points):
        return haversine_matrix(points, self.detour_factor, self.speed_kmh)

    def matrix(self, points):
        "Matrix over points [(lat, lon)], in that order"
        self.last_error = None
        if self.osrm_url and len(points) > 1:
            try:
                return osrm_table(
                    self.osrm_url, points, profile=self.osrm_profile,
                    timeout=self.timeout, chunk_size=self.chunk_size)
            except OSRMError as error:
                self.last_error = str(error)
                result = self.haversine(points)
                result.source = f'haversine (OSRM down: {error})'
                result.warnings.append(
                    f"OSRM at {self.osrm_url} failed ({error}): "
                    "haversine estimate used")
                return result
        return self.haversine(points)


class EuclideanDistances:
    """Planar distances for benchmark instances (lon = x, lat = y); planar
    tells the optimiser not to check latitude and longitude ranges."""
    planar = True

    def __init__(self, speed=1.0, rounded=False):
        self.speed = speed
        self.rounded = rounded

    def matrix(self, points):
        return euclidean_matrix(points, self.speed, self.rounded)


class FixedMatrix:
    """A precomputed matrix over known points: matrix(points) returns the
    sub-matrix of the points asked for, found by their exact coordinates.

    points: [(lat, lon)], distances in metres, durations in seconds
    (default: the distances, i.e. travel time = distance)."""

    def __init__(self, points, distances, durations=None, source='fixed'):
        self.points = [tuple(map(float, p)) for p in points]
        self.index = {p: i for i, p in enumerate(self.points)}
        self.distances = np.asarray(distances, dtype=np.float64)
        self.durations = np.asarray(
            distances if durations is None else durations, dtype=np.float64)
        self.source = source
        n = len(self.points)
        if (self.distances.shape != (n, n)
                or self.durations.shape != (n, n)):
            raise ValueError("the matrices must be square over the points")

    def matrix(self, points):
        try:
            rows = [self.index[tuple(map(float, p))] for p in points]
        except KeyError as error:
            raise ValueError(f"point {error} not in the fixed matrix")
        grid = np.ix_(rows, rows)
        return Matrix(
            self.distances[grid].copy(), self.durations[grid].copy(),
            self.source)
