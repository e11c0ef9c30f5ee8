# This file is part of the Delivery CRM for Tryton.
"""Route optimisation engine of the courier routes, free of the ORM.

Plain Python (+ numpy, + PyVRP when installed); importing this module imports
no trytond.  The ORM layer (planning wizard, ``delivery.trip``) builds a
`Problem` from records, calls ``engine.solve(problem, time_limit, seed)`` and
writes the `Solution` back.

Input (frozen dataclasses; ids are any hashable the caller likes)
------------------------------------------------------------------
- ``Depot(id, lat, lon, opens=0, closes=DAY)``
- ``Break(earliest, latest, duration)``: the courier's break starts between
  earliest and latest and lasts duration.
- ``Vehicle(id, depot, capacity=(kg, m3, parcels), cost_per_km, fixed_cost,
  shift_start, shift_end, break_=None, speed_kmh=None, end_depot=None)``:
  depot is a `Depot` id (end_depot defaults to it); a capacity of None or
  inf, or a missing dimension, is unlimited; speed_kmh None takes the
  durations of the distance provider, otherwise duration = distance / speed
  (see `SPEEDS`).
- ``Stop(id, lat, lon, demand=(), service_time=0, tw_start=None,
  tw_end=None, kind='delivery', pickup=None, required=True, priority=0,
  prize=None)``:
  ``kind='delivery'`` is loaded at the depot and dropped here,
  ``kind='pickup'`` is collected here and brought back to the depot.  A
  delivery with ``pickup=<id of a pickup stop>`` forms a *pair* (one order
  collected at A and delivered at B): both on the same trip, the pickup first;
  the pair carries the larger of the two demands between them.
  tw_start/tw_end bound the start of service (None: the shift).
  ``required=False`` makes the stop optional: it is served when its value,
  ``prize`` (money) or else ``Engine.prize_per_priority * (1 + priority)``,
  pays for the detour; otherwise it is left for another day.
- ``Problem(depots, vehicles, stops, distances=None)``: distances is a
  provider with ``matrix(points) -> distances.Matrix`` (default
  ``distances.DistanceMatrix()``: haversine x 1.3 at 25 km/h).

Times are seconds from midnight, distances metres, money the company
currency.

Engines
-------
``Engine.solve(problem, time_limit=10, seed=0, progress=None) -> Solution``;
progress, when given, is called with a fraction in [0, 1].

- `PyVRPEngine` (default): PyVRP's iterated local search behind our adapter.
- `NearestNeighbourEngine`: time-oriented nearest neighbour, the fallback
  and the baseline; also what PyVRPEngine returns for ``time_limit=0`` and
  when PyVRP is missing or fails.

Another engine subclasses `Engine` and implements only
``_solve(instance, clock, seed, stats) -> {vehicle index: [stop index, ...]}``
on the prepared `Instance` (indices, numpy matrices, ``check(v, seq)``,
``can_serve``); ``clock.left()``/``clock.over()`` tell the time left and
``clock.report(fraction)`` feeds the progress callback; stats is a dict
copied into ``Solution.stats``.  The base class checks every route in
double precision (stops that break it are dropped), inserts the required
stops left out where they fit, schedules the routes and explains what is
left out.  tests/bench/vrp_baselines.py plugs OR-Tools in this way.

Output
------
``Solution.routes``: one `Route` per used vehicle: ``vehicle`` id, ``depot``,
``start``/``end`` (leaving and coming back, s), ``duration`` (s),
``distance`` (km) and ``distance_m``, ``cost``, ``load`` (loaded at the
depot), ``break_start``/``break_end`` and ``visits``: `Visit` (``stop`` id,
``kind``, ``arrival``, ``start`` of service, ``departure``, ``wait``,
``late`` (always 0), ``load`` after the stop, ``distance`` (m) from the
previous place).
``Solution.unassigned``: `Unassigned` ``(stop, reason)`` pairs, reason in
`REASONS`; ``Solution.details[stop]`` says more.
Every route of a Solution is feasible in double precision: windows, shift,
depot hours, every capacity dimension after every stop, pairs, break.

Limitations of the PyVRP model (0.14)
-------------------------------------
- Breaks: PyVRP has no breaks.  The break duration is reserved (the vehicle
  must be back break.duration before the end of its shift) and the break is
  placed afterwards, in double precision, where it keeps every window (in a
  wait when possible); when no place exists the stop that makes it late is
  removed with reason ``time_window`` (detail: break) and inserted again
  where it fits (in another trip, or a courier more).  Two plans of nearly
  the same PyVRP cost may therefore differ by a courier once the breaks
  are placed.  With breaks and a time limit alone, the adapter therefore
  checks the best plan of the search with its breaks from half of the time
  on (each route once); when the best needs a repair and the search has not
  improved on it for 15 % of the time, the rest of the time goes to a
  *break phase*: the windows of the stops that the breaks push out close a
  break earlier and PyVRP searches on from that plan.  Of PyVRP's plans
  (before and after the break phase, and the last ones that needed no
  repair), each repaired, the adapter returns the one that leaves the
  fewest required stops out, then costs least.
- Pairs are PyVRP shipments (same route, pickup first), supported natively
  since 0.14; the pickup and delivery must be served by the same vehicle
  within the same trip (no transfer, no reload at the depot in between).
- Integer data: PyVRP works on integers.  Distances are rounded and
  durations rounded *up* at ``scale`` units per metre / second (default 1),
  windows rounded inwards, so a PyVRP-feasible route stays feasible in
  double precision; reported figures are recomputed in double precision.
- Loads are integers at 1/1000 of a unit (g, dm3, 1/1000 parcel).
- Required stops: ``required_mode='auto'`` (default) passes them to PyVRP
  as required, as a PyVRP user would, and when that search has found no
  feasible plan after a quarter of the time (a fleet too small or too
  slow), goes on with them optional with a prize larger than any route
  cost, so that the plan serves what it can and explains the rest, never
  an infeasible plan; ``'soft'`` uses the prizes from the start, ``'hard'``
  never.
- Determinism: same problem + seed + ``max_iterations`` give the same plan.
  With a time limit only, PyVRP runs a number of iterations that depends on
  the machine's speed; results repeat when the search converges before the
  limit (small instances) but not in general.  The search is single thread.
"""
import abc
import math
import time
from dataclasses import dataclass, field
from typing import Hashable, NamedTuple

import numpy as np

from .distances import DistanceMatrix, euclidean_matrix, haversine_matrix

__all__ = [
    'DAY', 'REASONS', 'SPEEDS',
    'Depot', 'Break', 'Vehicle', 'Stop', 'Problem',
    'Visit', 'Route', 'Unassigned', 'Solution',
    'Instance', 'Engine', 'NearestNeighbourEngine', 'PyVRPEngine',
    'get_engine',
    ]

DAY = 24 * 3600
# reason code: label (the ORM layer keeps the same codes)
REASONS = {
    'no_coordinates': "No coordinates",
    'no_vehicle': "No courier available",
    'time_window': "Time window impossible",
    'capacity': "Capacity exceeded",
    'not_selected': "Left for another day by the optimiser",
    'other': "Other",
    }
# average door-to-door speed in town by vehicle type, km/h
SPEEDS = {
    'foot': 5.0,
    'bicycle': 14.0,
    'scooter': 25.0,
    'car': 22.0,
    'van': 20.0,
    'truck': 18.0,
    }
EPS = 1e-6
LOAD_SCALE = 1000          # PyVRP loads: 1/1000 of a unit
# PyVRP costs: the most expensive vehicle's cost of one unit of distance
# (a metre x scale); every other amount of money in the same units.
# COST_UNITS for the hierarchical objective of the benchmarks; MONEY_UNITS
# when the objective is money: a metre of the dearest vehicle costs 1,000,
# as a PyVRP user models a day (the arcs and PyVRP's default penalties,
# 50,000 per second of time warp, in the ratio its penalty manager is made
# for), whatever the currency's magnitude (0.3 or 3,000 per km)
COST_UNITS = 100
MONEY_UNITS = 1000
# PyVRP's initial penalty of a second of time warp, a unit of excess load
# or of distance when the objective is money: the cost of 5 km of the most
# expensive vehicle (PyVRP's own default, 50,000, for arcs that cost 10 per
# metre); the penalty manager adapts it from there. The hierarchical
# objective of the benchmarks (vehicles, then distance) keeps PyVRP's 50,000
INITIAL_PENALTY = 5000 * COST_UNITS
# the money units of the problems of the benchmark's baselines
COST_SCALE = 100_000
INT_INF = 1 << 40
# PyVRP's cost of an infeasible solution is the largest 64-bit integer
HOPELESS = 1 << 62


# ---------------------------------------------------------------- input

@dataclass(frozen=True)
class Depot:
    id: Hashable
    lat: float | None
    lon: float | None
    opens: int = 0
    closes: int = DAY


@dataclass(frozen=True)
class Break:
    earliest: int       # earliest start, s from midnight
    latest: int         # latest start
    duration: int       # s


@dataclass(frozen=True)
class Vehicle:
    id: Hashable
    depot: Hashable
    capacity: tuple = ()
    cost_per_km: float = 0.0
    fixed_cost: float = 0.0
    shift_start: int = 0
    shift_end: int = DAY
    break_: Break | None = None
    speed_kmh: float | None = None
    end_depot: Hashable | None = None


@dataclass(frozen=True)
class Stop:
    id: Hashable
    lat: float | None
    lon: float | None
    demand: tuple = ()
    service_time: int = 0
    tw_start: int | None = None
    tw_end: int | None = None
    kind: str = 'delivery'
    pickup: Hashable | None = None
    required: bool = True
    priority: int = 0
    prize: float | None = None


@dataclass
class Problem:
    depots: list
    vehicles: list
    stops: list
    distances: object = None

    def depot(self, id):
        return _find(self.depots, id)

    def vehicle(self, id):
        return _find(self.vehicles, id)

    def stop(self, id):
        return _find(self.stops, id)


def _find(items, id):
    for item in items:
        if item.id == id:
            return item
    raise KeyError(id)


# --------------------------------------------------------------- output

@dataclass
class Visit:
    stop: Hashable
    kind: str               # 'delivery' or 'pickup'
    arrival: float
    start: float            # start of service
    departure: float
    wait: float
    load: tuple             # on board after the stop
    distance: float         # metres from the previous place
    late: float = 0.0


@dataclass
class Route:
    vehicle: Hashable
    depot: Hashable
    end_depot: Hashable
    visits: list
    start: float            # leaves the depot
    end: float              # back at the end depot
    distance_m: float
    load: tuple             # loaded at the depot
    cost: float = 0.0
    break_start: float | None = None
    break_end: float | None = None

    @property
    def distance(self):
        "Kilometres"
        return self.distance_m / 1000

    @property
    def duration(self):
        return self.end - self.start

    @property
    def stops(self):
        return [v.stop for v in self.visits]


class Unassigned(NamedTuple):
    stop: Hashable
    reason: str


@dataclass
class Solution:
    routes: list
    unassigned: list
    details: dict = field(default_factory=dict)
    engine: str = ''
    seed: int = 0
    time_limit: float = 0.0
    runtime: float = 0.0        # wall seconds
    cpu_time: float = 0.0
    source: str = ''            # where the distances came from
    warnings: list = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def distance_m(self):
        return sum(r.distance_m for r in self.routes)

    @property
    def distance(self):
        "Kilometres"
        return self.distance_m / 1000

    @property
    def cost(self):
        return sum(r.cost for r in self.routes)

    @property
    def num_vehicles(self):
        return len(self.routes)

    @property
    def num_visits(self):
        return sum(len(r.visits) for r in self.routes)

    def route(self, vehicle):
        for route in self.routes:
            if route.vehicle == vehicle:
                return route
        return None

    def reason(self, stop):
        for item in self.unassigned:
            if item.stop == stop:
                return item.reason
        return None


# ------------------------------------------------------------- instance

def _number(value, default=None):
    if value is None:
        return default
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(value):
        return None
    return value


def _coordinates(lat, lon, planar):
    lat, lon = _number(lat), _number(lon)
    if lat is None or lon is None or math.isinf(lat) or math.isinf(lon):
        return None
    if not planar and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


@dataclass
class _Check:
    "The schedule of one route, feasible or with the culprit"
    ok: bool
    route: Route | None = None
    culprit: int | None = None      # position in seq to drop
    reason: str = ''
    detail: str = ''
    end: float = 0.0


class Instance:
    """A Problem checked and indexed for the engines.

    Stops that can be planned are numbered 0..n-1 (``stops``, ``loc``,
    ``tw_start``, ``tw_end``, ``service``, ``demand``, ``kind`` 0 delivery /
    1 pickup, ``partner`` -1 or the index of the other stop of a pair,
    ``pair_pickup`` True on the pickup of a pair).  ``jobs`` lists (i,) for
    single stops and (pickup, delivery) for pairs.  Vehicles that can work
    are numbered 0..m-1 with ``start_loc``, ``end_loc``, ``earliest``
    (departure), ``latest`` (back), ``capacity`` (inf when unlimited),
    ``profile`` (index in ``durations``).  Locations: the depots then the
    stops; ``distances`` (m) and ``durations[profile]`` (s) are numpy.
    ``excluded``: [(stop id, reason, detail)] decided before solving."""

    def __init__(self, problem, prize_per_priority=10.0):
        self.problem = problem
        self.warnings = []
        self.excluded = []
        provider = problem.distances
        if provider is None:
            provider = DistanceMatrix()
        self.planar = bool(getattr(provider, 'planar', False))
        self._depots(problem)
        self._vehicles(problem)
        self._stops(problem, prize_per_priority)
        self._matrix(provider)
        self._feasibility()

    # -- building
    def _depots(self, problem):
        self.depot_index = {}
        self.depot_list = []
        self.points = []
        for depot in problem.depots or []:
            if not _hashable(getattr(depot, 'id', None)):
                self.warnings.append("a depot id is not hashable")
                continue
            point = _coordinates(
                getattr(depot, 'lat', None), getattr(depot, 'lon', None),
                self.planar)
            if depot.id in self.depot_index:
                self.warnings.append(f"depot {depot.id!r} given twice")
                continue
            if point is None:
                self.warnings.append(
                    f"depot {depot.id!r} has no coordinates: not used")
                continue
            self.depot_index[depot.id] = len(self.depot_list)
            self.depot_list.append(depot)
            self.points.append(point)

    def _vehicles(self, problem):
        self.vehicles = []
        self._vehicle_data = []
        seen = set()
        for vehicle in problem.vehicles or []:
            if not _hashable(vehicle.id):
                self.warnings.append("a vehicle id is not hashable")
                continue
            if vehicle.id in seen:
                self.warnings.append(f"vehicle {vehicle.id!r} given twice")
                continue
            seen.add(vehicle.id)
            end_depot = (vehicle.depot if vehicle.end_depot is None
                else vehicle.end_depot)
            if (not _hashable(vehicle.depot) or not _hashable(end_depot)
                    or vehicle.depot not in self.depot_index
                    or end_depot not in self.depot_index):
                self.warnings.append(
                    f"vehicle {vehicle.id!r}: unknown depot or depot "
                    "without coordinates: not used")
                continue
            start_depot = self.depot_list[self.depot_index[vehicle.depot]]
            final_depot = self.depot_list[self.depot_index[end_depot]]
            earliest = max(
                _number(vehicle.shift_start, 0) or 0,
                _number(start_depot.opens, 0) or 0)
            latest = min(
                _number(vehicle.shift_end, DAY) or 0,
                _number(final_depot.closes, DAY) or 0)
            if not latest > earliest:
                self.warnings.append(
                    f"vehicle {vehicle.id!r}: empty shift: not used")
                continue
            brk = vehicle.break_
            if brk is not None:
                duration = _number(getattr(brk, 'duration', None))
                if duration is None or duration <= 0:
                    brk = None
                elif (_number(brk.earliest) is None
                        or _number(brk.latest) is None
                        or brk.latest < brk.earliest
                        or latest - earliest < duration):
                    self.warnings.append(
                        f"vehicle {vehicle.id!r}: impossible break: "
                        "not used")
                    continue
            speed = _number(vehicle.speed_kmh)
            if speed is not None and not 0 < speed < math.inf:
                speed = None
            self.vehicles.append(vehicle)
            self._vehicle_data.append(dict(
                    start=self.depot_index[vehicle.depot],
                    end=self.depot_index[end_depot],
                    earliest=float(earliest), latest=float(latest),
                    brk=brk, speed=speed,
                    cost_per_km=max(0.0, _number(vehicle.cost_per_km, 0)
                        or 0.0),
                    fixed_cost=max(0.0, _number(vehicle.fixed_cost, 0)
                        or 0.0)))

    def _stops(self, problem, prize_per_priority):
        vehicles = self.vehicles
        planned = []
        seen = set()
        by_id = {}
        for stop in problem.stops or []:
            if not _hashable(stop.id):
                self.warnings.append("a stop id is not hashable: ignored")
                continue
            if stop.id in seen:
                self.excluded.append(
                    (stop.id, 'other', "the same stop id given twice"))
                continue
            seen.add(stop.id)
            reason = None
            point = _coordinates(stop.lat, stop.lon, self.planar)
            demand = tuple(_number(q, 0) for q in (stop.demand or ()))
            service = _number(stop.service_time, 0)
            tw_start = _number(stop.tw_start, 0)
            tw_end = _number(stop.tw_end, math.inf)
            if point is None:
                reason = ('no_coordinates', "no valid coordinates")
            elif any(q is None or q < 0 or math.isinf(q) for q in demand):
                reason = ('other', "negative or invalid demand")
            elif service is None or service < 0 or math.isinf(service):
                reason = ('other', "negative or invalid service time")
            elif tw_start is None or tw_end is None or tw_end < tw_start:
                reason = ('time_window', "the window ends before it starts")
            elif stop.kind not in ('delivery', 'pickup'):
                reason = ('other', f"unknown kind {stop.kind!r}")
            if reason:
                self.excluded.append((stop.id, *reason))
                continue
            by_id[stop.id] = stop
            planned.append((stop, point, demand, service, tw_start, tw_end))
        # pairs: a delivery naming its pickup
        partner_of = {}
        problems = {}
        excluded_ids = {e[0]: e for e in self.excluded}
        for stop, *_ in planned:
            if stop.kind != 'delivery' or stop.pickup is None:
                continue
            pickup = by_id.get(stop.pickup)
            if pickup is None:
                if stop.pickup in excluded_ids:
                    _, reason, detail = excluded_ids[stop.pickup]
                    problems[stop.id] = (reason, f"its pickup: {detail}")
                else:
                    problems[stop.id] = (
                        'other', f"unknown pickup stop {stop.pickup!r}")
            elif pickup.kind != 'pickup':
                problems[stop.id] = (
                    'other', f"stop {pickup.id!r} is not a pickup")
            elif pickup.id in partner_of:
                problems[stop.id] = (
                    'other', f"pickup {pickup.id!r} already paired")
            else:
                partner_of[pickup.id] = stop.id
                partner_of[stop.id] = pickup.id
        # a pickup whose delivery cannot be planned is not planned either
        for stop in problem.stops or []:
            if (getattr(stop, 'kind', None) != 'delivery'
                    or getattr(stop, 'pickup', None) is None
                    or not _hashable(stop.id)
                    or not _hashable(stop.pickup)
                    or stop.pickup not in by_id
                    or stop.pickup in partner_of):
                continue
            if stop.id in problems:
                reason, detail = problems[stop.id]
            elif stop.id in excluded_ids:
                _, reason, detail = excluded_ids[stop.id]
            else:
                continue
            if by_id[stop.pickup].kind == 'pickup':
                problems.setdefault(
                    stop.pickup, (reason, f"its delivery: {detail}"))
        for stop_id, (reason, detail) in problems.items():
            self.excluded.append((stop_id, reason, detail))
        planned = [p for p in planned if p[0].id not in problems]

        dims = max([len(p[2]) for p in planned]
            + [len(v.capacity or ()) for v in vehicles] + [1])
        self.dims = dims
        n = len(planned)
        self.stops = [p[0] for p in planned]
        self.index = {s.id: i for i, s in enumerate(self.stops)}
        offset = len(self.points)
        self.loc = np.arange(offset, offset + n)
        self.points.extend(p[1] for p in planned)
        self.demand = np.zeros((n, dims))
        for i, p in enumerate(planned):
            self.demand[i, :len(p[2])] = p[2]
        self.service = np.array([p[3] for p in planned], dtype=float)
        self.tw_start = np.array([p[4] for p in planned], dtype=float)
        self.tw_end = np.array([p[5] for p in planned], dtype=float)
        self.kind = np.array(
            [0 if s.kind == 'delivery' else 1 for s in self.stops], dtype=int)
        self.partner = np.full(n, -1)
        self.pair_pickup = np.zeros(n, dtype=bool)
        for i, s in enumerate(self.stops):
            if s.id in partner_of:
                self.partner[i] = self.index[partner_of[s.id]]
                self.pair_pickup[i] = s.kind == 'pickup'
        # a pair carries the larger demand of its two stops
        for i in np.nonzero(self.pair_pickup)[0]:
            j = self.partner[i]
            amount = np.maximum(self.demand[i], self.demand[j])
            self.demand[i] = self.demand[j] = amount
        self.required = np.array([bool(s.required) for s in self.stops])
        self.prize = np.array([
                (_number(s.prize) if _number(s.prize) is not None
                    else prize_per_priority * (1 + max(
                            0, _number(s.priority, 0) or 0)))
                for s in self.stops], dtype=float)
        self.jobs = []
        for i in range(n):
            if self.partner[i] < 0:
                self.jobs.append((i,))
            elif self.pair_pickup[i]:
                self.jobs.append((i, int(self.partner[i])))
        # vehicles
        m = len(vehicles)
        self.start_loc = np.array(
            [d['start'] for d in self._vehicle_data], dtype=int)
        self.end_loc = np.array(
            [d['end'] for d in self._vehicle_data], dtype=int)
        self.earliest = np.array(
            [d['earliest'] for d in self._vehicle_data], dtype=float)
        self.latest = np.array(
            [d['latest'] for d in self._vehicle_data], dtype=float)
        self.breaks = [d['brk'] for d in self._vehicle_data]
        self.break_duration = np.array(
            [b.duration if b else 0.0 for b in self.breaks], dtype=float)
        self.cost_per_km = np.array(
            [d['cost_per_km'] for d in self._vehicle_data], dtype=float)
        self.fixed_cost = np.array(
            [d['fixed_cost'] for d in self._vehicle_data], dtype=float)
        self.capacity = np.full((m, dims), np.inf)
        for v, vehicle in enumerate(vehicles):
            for k, c in enumerate((vehicle.capacity or ())[:dims]):
                c = _number(c)
                if c is not None and c >= 0:
                    self.capacity[v, k] = c
        speeds = []
        self.profile = np.zeros(m, dtype=int)
        for v, d in enumerate(self._vehicle_data):
            if d['speed'] not in speeds:
                speeds.append(d['speed'])
            self.profile[v] = speeds.index(d['speed'])
        self.speeds = speeds or [None]

    def _matrix(self, provider):
        points = self.points
        matrix = None
        if len(points):
            try:
                matrix = provider.matrix(points)
                if (matrix.distances.shape != (len(points), len(points))
                        or matrix.durations.shape != matrix.distances.shape):
                    raise ValueError("matrix of the wrong shape")
            except Exception as error:
                self.warnings.append(
                    f"distance provider failed ({error}): "
                    "straight-line estimate used")
                matrix = None
        if matrix is None:
            if self.planar or not len(points):
                matrix = euclidean_matrix(points or np.zeros((0, 2)))
            else:
                matrix = haversine_matrix(points)
        distances = np.array(matrix.distances, dtype=float)
        durations = np.array(matrix.durations, dtype=float)
        bad = ~np.isfinite(distances) | ~np.isfinite(durations) | (
            distances < 0) | (durations < 0)
        if bad.any():
            self.warnings.append(
                f"{int(bad.sum())} invalid matrix cells: estimate used")
            estimate = (euclidean_matrix(points) if self.planar
                else haversine_matrix(points))
            distances[bad] = estimate.distances[bad]
            durations[bad] = estimate.durations[bad]
        np.fill_diagonal(distances, 0)
        np.fill_diagonal(durations, 0)
        self.source = matrix.source
        self.warnings.extend(getattr(matrix, 'warnings', []) or [])
        self.distances = distances
        self.durations = []
        for speed in self.speeds:
            if speed is None:
                self.durations.append(durations)
            else:
                self.durations.append(distances / (speed / 3.6))

    # -- feasibility of one job alone
    def signature(self, v):
        "Vehicles with the same signature can serve the same stops"
        brk = self.breaks[v]
        return (int(self.start_loc[v]), int(self.end_loc[v]),
            self.earliest[v], self.latest[v],
            (brk.earliest, brk.latest, brk.duration) if brk else None,
            int(self.profile[v]), tuple(self.capacity[v]))

    def _feasibility(self):
        n = len(self.stops)
        self.can_serve = np.zeros((len(self.vehicles), n), dtype=bool)
        reasons = {}
        if not self.vehicles:
            for stop in self.stops:
                self.excluded.append(
                    (stop.id, 'no_vehicle', "no courier can work"))
            self._drop_all()
            return
        groups = {}
        for v in range(len(self.vehicles)):
            groups.setdefault(self.signature(v), []).append(v)
        singles = np.array([job[0] for job in self.jobs if len(job) == 1],
            dtype=int)
        capacity_ok = np.zeros(n, dtype=bool)
        time_ok = np.zeros(n, dtype=bool)
        for members in groups.values():
            v = members[0]
            fits = (self.demand <= self.capacity[v] + EPS).all(axis=1)
            capacity_ok |= fits
            serve = np.zeros(n, dtype=bool)
            if len(singles):
                serve[singles] = self._alone(v, singles) & fits[singles]
            for job in self.jobs:
                if len(job) == 2 and fits[list(job)].all():
                    serve[list(job)] = self.check(v, list(job)).ok
            self.can_serve[members] = serve
            time_ok |= serve
        keep = np.zeros(n, dtype=bool)
        for job in self.jobs:
            job = list(job)
            if time_ok[job].all():
                keep[job] = True
                continue
            if capacity_ok[job].all():
                reason = ('time_window',
                    "no courier can reach it in its window and be back in "
                    "time")
            else:
                reason = ('capacity',
                    "larger than the capacity of every courier")
            for i in job:
                reasons[i] = reason
        for i, (reason, detail) in sorted(reasons.items()):
            self.excluded.append((self.stops[i].id, reason, detail))
        if not keep.all():
            self._keep(keep)

    def _alone(self, v, idx):
        "Whether v can serve each stop of idx alone (vectorised check)"
        dur = self.durations[self.profile[v]]
        loc = self.loc[idx]
        there = dur[self.start_loc[v], loc]
        back = dur[loc, self.end_loc[v]]
        tw_start, tw_end = self.tw_start[idx], self.tw_end[idx]
        service = self.service[idx]
        departure = self.earliest[v]
        start = np.maximum(departure + there, tw_start)
        done = start + service
        ok = (start <= tw_end + EPS) & (done + back <= self.latest[v] + EPS)
        brk = self.breaks[v]
        if brk is None:
            return ok
        # the break before leaving or after the stop
        before = max(departure, brk.earliest)
        start_b = np.maximum(before + brk.duration + there, tw_start)
        ok_before = ((before <= brk.latest + EPS)
            & (start_b <= tw_end + EPS)
            & (start_b + service + back <= self.latest[v] + EPS))
        after = np.maximum(done, brk.earliest)
        ok_after = (ok & (after <= brk.latest + EPS)
            & (after + brk.duration + back <= self.latest[v] + EPS))
        return ok_before | ok_after

    def _drop_all(self):
        self._keep(np.zeros(len(self.stops), dtype=bool))

    def _keep(self, keep):
        old = np.nonzero(keep)[0]
        new_index = -np.ones(len(self.stops), dtype=int)
        new_index[old] = np.arange(len(old))
        self.stops = [self.stops[i] for i in old]
        self.index = {s.id: i for i, s in enumerate(self.stops)}
        for name in ('loc', 'demand', 'service', 'tw_start', 'tw_end',
                'kind', 'pair_pickup', 'required', 'prize'):
            setattr(self, name, getattr(self, name)[old])
        partner = self.partner[old]
        self.partner = np.where(partner >= 0, new_index[partner], -1)
        if hasattr(self, 'can_serve'):
            self.can_serve = self.can_serve[:, old]
        self.jobs = [tuple(int(new_index[i]) for i in job)
            for job in self.jobs if keep[list(job)].all()]

    @property
    def n(self):
        return len(self.stops)

    @property
    def m(self):
        return len(self.vehicles)

    # -- schedule of one route, double precision
    def _forward(self, v, seq, break_at, departure):
        "Items [(stop index or -1 for the break, arrival, start, wait)]"
        dur = self.durations[self.profile[v]]
        brk = self.breaks[v]
        t = departure
        prev = self.start_loc[v]
        items = []
        for position in range(len(seq) + 1):
            if break_at == position:
                start = max(t, brk.earliest)
                items.append((-1, t, start, start - t))
                t = start + brk.duration
            if position == len(seq):
                break
            i = seq[position]
            arrival = t + dur[prev, self.loc[i]]
            start = max(arrival, self.tw_start[i])
            items.append((i, arrival, start, start - arrival))
            t = start + self.service[i]
            prev = self.loc[i]
        end = t + dur[prev, self.end_loc[v]]
        return items, end

    def _late(self, v, items, end):
        "(position of the first late item, -2 for the end, or None; lateness)"
        brk = self.breaks[v]
        for k, (i, _, start, _) in enumerate(items):
            limit = brk.latest if i < 0 else self.tw_end[i]
            if start > limit + EPS:
                return k, start - limit
        if end > self.latest[v] + EPS:
            return -2, end - self.latest[v]
        return None, 0.0

    def check(self, v, seq, explain=True):
        """Schedule seq (stop indices) on vehicle v: a _Check with the Route
        when feasible, else (explain) the position in seq of a stop to
        remove."""
        seq = list(seq)
        # pairs
        position = {i: k for k, i in enumerate(seq)}
        if len(position) != len(seq):
            return _Check(False, culprit=len(seq) - 1, reason='other',
                detail="stop twice in a route")
        for k, i in enumerate(seq):
            j = self.partner[i]
            if j >= 0 and (j not in position or (
                        self.pair_pickup[i] != (k < position[j]))):
                return _Check(False, culprit=k, reason='other',
                    detail="pickup and delivery not on the same trip in order")
        # loads
        cap = self.capacity[v]
        load = np.zeros(self.dims)
        for i in seq:
            if self.kind[i] == 0 and self.partner[i] < 0:
                load += self.demand[i]
        initial = load.copy()
        loads = []
        if (load > cap + EPS).any():
            last = max(k for k, i in enumerate(seq)
                if self.kind[i] == 0 and self.partner[i] < 0)
            return _Check(False, culprit=last, reason='capacity',
                detail="the deliveries do not fit together")
        for k, i in enumerate(seq):
            if self.kind[i] == 0:
                load = load - self.demand[i]
            else:
                load = load + self.demand[i]
            if (load > cap + EPS).any():
                return _Check(False, culprit=k, reason='capacity',
                    detail="the vehicle is full here")
            loads.append(load)
        # times
        brk = self.breaks[v]
        departure = self.earliest[v]
        if not seq:
            return _Check(True, route=None, end=departure)
        items, end = self._forward(v, seq, None, departure)
        late_at, _ = self._late(v, items, end)
        if late_at is not None:
            culprit = (len(seq) - 1 if late_at == -2
                else seq.index(items[late_at][0]))
            return _Check(False, culprit=culprit, reason='time_window',
                detail="the windows of the trip do not fit")
        break_at = None
        if brk is not None:
            break_at = self._break_position(v, seq, items, end)
            if break_at is None:
                if not explain:
                    return _Check(False)
                return _Check(False, culprit=self._break_culprit(v, seq),
                    reason='time_window',
                    detail="no room for the courier's break")
            items, end = self._forward(v, seq, break_at, departure)
        # leave the depot as late as possible without coming back later
        total_wait = 0.0
        delay = math.inf
        for i, _, start, wait in items:
            total_wait += wait
            limit = brk.latest if i < 0 else self.tw_end[i]
            delay = min(delay, total_wait + limit - start)
        delay = max(0.0, min(delay, total_wait))
        if delay > EPS:
            items, end = self._forward(v, seq, break_at, departure + delay)
            departure += delay
        return _Check(True, route=self._route(
                v, seq, items, end, departure, initial, loads), end=end)

    def _latest_starts(self, v, seq):
        "Latest start of service at each stop keeping the rest feasible"
        dur = self.durations[self.profile[v]]
        latest = np.empty(len(seq))
        limit = self.latest[v] - dur[self.loc[seq[-1]], self.end_loc[v]]
        for k in range(len(seq) - 1, -1, -1):
            i = seq[k]
            latest[k] = min(self.tw_end[i], limit - self.service[i])
            if k:
                limit = latest[k] - dur[self.loc[seq[k - 1]], self.loc[i]]
        return latest

    def _break_position(self, v, seq, items, end):
        """Where the break fits (after that many stops; 0 = at the depot
        before leaving) pushing the end the least, from the earliest
        schedule without break (items, end); None when nowhere"""
        brk = self.breaks[v]
        dur = self.durations[self.profile[v]]
        latest = self._latest_starts(v, seq)
        n = len(seq)
        waits = np.array([item[3] for item in items])
        suffix = np.concatenate([np.cumsum(waits[::-1])[::-1], [0.0]])
        best = None
        departure = self.earliest[v]
        for p in range(n + 1):
            if p:
                i = seq[p - 1]
                departure = items[p - 1][2] + self.service[i]
            start = max(departure, brk.earliest)
            if start > brk.latest + EPS:
                break
            ready = start + brk.duration
            here = self.start_loc[v] if p == 0 else self.loc[seq[p - 1]]
            if p == n:
                arrival = ready + dur[here, self.end_loc[v]]
                if arrival > self.latest[v] + EPS:
                    continue
                push = max(0.0, arrival - end)
            else:
                arrival = ready + dur[here, self.loc[seq[p]]]
                if max(arrival, self.tw_start[seq[p]]) > latest[p] + EPS:
                    continue
                push = max(0.0, arrival - items[p][1] - suffix[p])
            if best is None or push < best[0] - EPS:
                best = (push, p)
        return None if best is None else best[1]

    def _break_culprit(self, v, seq):
        "The stop to drop when the break fits nowhere: the least late plan"
        worst = None
        for break_at in range(len(seq) + 1):
            items, end = self._forward(v, seq, break_at, self.earliest[v])
            late_at, lateness = self._late(v, items, end)
            if worst is None or lateness < worst[0]:
                worst = (lateness, items, late_at)
        _, items, late_at = worst
        if late_at is None or late_at == -2:
            return len(seq) - 1
        late_item = items[late_at]
        if late_item[0] >= 0:
            return seq.index(late_item[0])
        before = [it[0] for it in items[:late_at] if it[0] >= 0]
        return seq.index(before[-1]) if before else 0

    def _route(self, v, seq, items, end, departure, initial, loads):
        vehicle = self.vehicles[v]
        dist = self.distances
        prev = self.start_loc[v]
        visits = []
        total = 0.0
        break_start = break_end = None
        k = 0
        for i, arrival, start, wait in items:
            if i < 0:
                break_start = start
                break_end = start + self.breaks[v].duration
                continue
            d = float(dist[prev, self.loc[i]])
            total += d
            visits.append(Visit(
                    stop=self.stops[i].id,
                    kind=self.stops[i].kind,
                    arrival=float(arrival), start=float(start),
                    departure=float(start + self.service[i]),
                    wait=float(wait),
                    load=tuple(round(float(x), 9) for x in loads[k]),
                    distance=d))
            prev = self.loc[i]
            k += 1
        total += float(dist[prev, self.end_loc[v]])
        end_depot = (vehicle.depot if vehicle.end_depot is None
            else vehicle.end_depot)
        cost = self.cost_per_km[v] * total / 1000 + self.fixed_cost[v]
        return Route(
            vehicle=vehicle.id, depot=vehicle.depot, end_depot=end_depot,
            visits=visits, start=float(departure), end=float(end),
            distance_m=total, load=tuple(round(float(x), 9) for x in initial),
            cost=float(cost),
            break_start=None if break_start is None else float(break_start),
            break_end=None if break_end is None else float(break_end))

    def repair(self, v, seq):
        """Drop stops from seq until it is feasible on v.

        Returns (_Check of the kept route, [(stop index, reason, detail)])."""
        seq = [int(i) for i in seq]
        dropped = []
        while True:
            result = self.check(v, seq)
            if result.ok:
                return result, dropped
            victim = seq[result.culprit]
            removed = [victim]
            if self.partner[victim] >= 0:
                removed.append(int(self.partner[victim]))
            for i in removed:
                dropped.append((i, result.reason, result.detail))
            seq = [i for i in seq if i not in removed]

    # -- the solution
    def solution(self, routes, engine='', insert=True, budget=2.0):
        """Solution of {vehicle index: [stop index]}: every route checked
        (stops that break it dropped), required stops left out inserted
        where they fit best (within budget seconds), every route scheduled,
        and what is not served explained."""
        seqs = {}
        served = set()
        dropped = {}
        for v, seq in sorted((routes or {}).items()):
            if not 0 <= v < self.m or v in seqs or not seq:
                continue
            seq = [int(i) for i in seq if 0 <= i < self.n and i not in served]
            if not seq:
                continue
            checked, drops = self.repair(v, seq)
            for i, reason, detail in drops:
                dropped.setdefault(i, (reason, detail))
            if checked.route is not None:
                kept = [self.index[s] for s in checked.route.stops]
                seqs[v] = kept
                served.update(kept)
        stats = {'dropped': len(dropped)}
        if insert:
            jobs = [job for job in self.jobs
                if job[0] not in served and (
                    self.required[list(job)].any() or job[0] in dropped)]
            deadline = time.monotonic() + budget
            self.insert(seqs, jobs, deadline)
            if jobs:
                self.consolidate(seqs, deadline)
            before = len(served)
            served = {i for seq in seqs.values() for i in seq}
            stats['inserted'] = len(served) - before
        result_routes = []
        for v, seq in seqs.items():
            checked = self.check(v, seq)
            if checked.ok and checked.route is not None:
                result_routes.append(checked.route)
            else:   # cannot happen: seqs are checked
                served.difference_update(seq)
        details = {}
        unassigned = []
        for stop_id, reason, detail in self.excluded:
            unassigned.append(Unassigned(stop_id, reason))
            details[stop_id] = detail
        for i, stop in enumerate(self.stops):
            if i in served:
                continue
            if i in dropped and dropped[i][0] != 'other':
                reason, detail = dropped[i]
            elif self.required[i]:
                reason, detail = 'not_selected', (
                    "not placed by the optimiser within the time limit: "
                    "the fleet may be too small or the windows too tight")
            else:
                reason, detail = 'not_selected', (
                    "optional: not worth a detour today")
            unassigned.append(Unassigned(stop.id, reason))
            details[stop.id] = detail
        order = {s.id: k for k, s in enumerate(self.problem.stops or [])
            if _hashable(s.id)}
        unassigned.sort(key=lambda u: order.get(u.stop, len(order)))
        vehicle_order = {v.id: k for k, v in enumerate(self.vehicles)}
        result_routes.sort(key=lambda r: vehicle_order[r.vehicle])
        return Solution(
            routes=result_routes, unassigned=unassigned, details=details,
            engine=engine, source=self.source, warnings=list(self.warnings),
            stats=stats)

    def consolidate(self, seqs, deadline, size=4):
        """Empty the trips of at most size stops into the other trips when
        all their stops fit there; changes seqs."""
        for v in sorted(seqs, key=lambda v: len(seqs[v])):
            if len(seqs[v]) > size or time.monotonic() > deadline:
                continue
            jobs = []
            for i in seqs[v]:
                if self.partner[i] < 0:
                    jobs.append((i,))
                elif self.pair_pickup[i]:
                    jobs.append((i, int(self.partner[i])))
            trial = {u: list(seq) for u, seq in seqs.items() if u != v}
            unused = [u for u in range(self.m) if u not in seqs]
            left = self.insert(trial, jobs, deadline, allowed=set(trial),
                avoid=unused + [v])
            if not left:
                seqs.clear()
                seqs.update(trial)

    def insert(self, seqs, jobs, deadline, tries=20, allowed=None,
            avoid=()):
        """Cheapest feasible insertion of jobs into seqs {vehicle: [stop]}
        (a pair as pickup then delivery at once); changes seqs and returns
        the jobs left out.  allowed: only these vehicles; avoid: never
        these."""
        left = []
        cache = {}

        def schedule(v):
            if v not in cache:
                seq = seqs.get(v, [])
                if seq:
                    items, _ = self._forward(
                        v, seq, None, self.earliest[v])
                    departures = [self.earliest[v]] + [
                        it[2] + self.service[it[0]] for it in items]
                    latest = list(self._latest_starts(v, seq))
                else:
                    departures = [self.earliest[v]]
                    latest = []
                cache[v] = (departures, latest)
            return cache[v]
        dist = self.distances
        for job in sorted(jobs, key=lambda j: self.tw_end[j[-1]]):
            if time.monotonic() > deadline:
                left.append(job)
                continue
            first, last = job[0], job[-1]
            candidates = []
            for v in np.nonzero(self.can_serve[:, first])[0]:
                v = int(v)
                if v in avoid or (allowed is not None and v not in allowed):
                    continue
                seq = seqs.get(v, [])
                dur = self.durations[self.profile[v]]
                departures, latest = schedule(v)
                unit = max(self.cost_per_km[v], 1e-3) / 1000
                inner = dist[self.loc[first], self.loc[last]] if (
                    len(job) == 2) else 0.0
                for k in range(len(seq) + 1):
                    here = self.start_loc[v] if k == 0 else self.loc[
                        seq[k - 1]]
                    there = self.end_loc[v] if k == len(seq) else self.loc[
                        seq[k]]
                    start = max(departures[k] + dur[here, self.loc[first]],
                        self.tw_start[first])
                    if start > self.tw_end[first] + EPS:
                        continue
                    t = start + self.service[first]
                    if len(job) == 2:
                        start = max(t + dur[self.loc[first], self.loc[last]],
                            self.tw_start[last])
                        if start > self.tw_end[last] + EPS:
                            continue
                        t = start + self.service[last]
                    arrival = t + dur[self.loc[last], there]
                    limit = latest[k] if k < len(seq) else self.latest[v]
                    if arrival > limit + EPS:
                        continue
                    extra = (dist[here, self.loc[first]] + inner
                        + dist[self.loc[last], there] - dist[here, there])
                    cost = unit * extra + (0 if seq else self.fixed_cost[v])
                    candidates.append((cost, v, k))
            candidates.sort()
            # the cheapest places in the trips, then a courier not yet out
            used = [c for c in candidates if seqs.get(c[1])][:tries]
            new = [c for c in candidates if not seqs.get(c[1])][:2]
            for cost, v, k in used + new:
                seq = seqs.get(v, [])
                trial = seq[:k] + list(job) + seq[k:]
                if self.check(v, trial, explain=False).ok:
                    seqs[v] = trial
                    cache.pop(v, None)
                    break
            else:
                left.append(job)
        return left

def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


# --------------------------------------------------------------- engines

class _Clock:
    def __init__(self, kind, time_limit, progress=None):
        if kind not in ('wall', 'cpu'):
            raise ValueError("clock must be 'wall' or 'cpu'")
        self.now = time.monotonic if kind == 'wall' else time.process_time
        self.begin = self.now()
        self.limit = max(0.0, _number(time_limit, 0) or 0)
        self.deadline = self.begin + self.limit
        self.progress = progress
        self._last = -1.0

    def left(self):
        return self.deadline - self.now()

    def over(self):
        return self.now() >= self.deadline

    def report(self, fraction=None):
        if self.progress is None:
            return
        if fraction is None:
            fraction = (1.0 if self.limit <= 0
                else (self.now() - self.begin) / self.limit)
        fraction = min(1.0, max(0.0, fraction))
        if fraction - self._last >= 0.01 or fraction >= 1.0:
            self._last = fraction
            try:
                self.progress(fraction)
            except Exception:
                self.progress = None


class Engine(abc.ABC):
    """An optimiser: ``solve(problem, time_limit, seed) -> Solution``.

    clock: 'wall' (default) or 'cpu' (process time, for benchmarks on a
    shared machine).  prize_per_priority: the value, in money, of serving
    an optional stop of priority 0 (priority p is worth (1 + p) times it)."""
    name = 'engine'

    def __init__(self, clock='wall', prize_per_priority=10.0):
        self.clock = clock
        self.prize_per_priority = prize_per_priority

    def solve(self, problem, time_limit=10.0, seed=0, progress=None):
        wall, cpu = time.monotonic(), time.process_time()
        clock = _Clock(self.clock, time_limit, progress)
        instance = Instance(problem, self.prize_per_priority)
        routes = {}
        stats = {}
        warnings = []
        if instance.n and instance.m:
            try:
                routes = self._solve(instance, clock, int(seed or 0), stats)
            except Exception as error:
                if isinstance(self, NearestNeighbourEngine):
                    raise
                warnings.append(
                    f"{self.name} failed ({error.__class__.__name__}: "
                    f"{error}): nearest neighbour plan")
                routes = NearestNeighbourEngine()._solve(
                    instance, clock, seed, stats)
        solution = instance.solution(routes, engine=self.name)
        solution.warnings.extend(warnings)
        solution.stats.update(stats)
        solution.seed = seed
        solution.time_limit = clock.limit
        solution.runtime = time.monotonic() - wall
        solution.cpu_time = time.process_time() - cpu
        clock.report(1.0)
        return solution

    @abc.abstractmethod
    def _solve(self, instance, clock, seed, stats):
        "{vehicle index: [stop index, ...]} for the Instance"


class NearestNeighbourEngine(Engine):
    """Sequential time-oriented nearest neighbour.

    Each vehicle in turn leaves its depot and goes on to the stop it can
    start serving the soonest (ties: the nearest) that keeps every window,
    capacity and the way back; a pair is taken as pickup then delivery at
    once; optional stops only when no required one fits.  O(n^2) with
    numpy; ignores the time limit (it is fast)."""
    name = 'nearest'

    def _solve(self, instance, clock, seed, stats):
        inst = instance
        n = inst.n
        routed = np.zeros(n, dtype=bool)
        singles = np.array([job[0] for job in inst.jobs if len(job) == 1],
            dtype=int)
        pickups = np.array([job[0] for job in inst.jobs if len(job) == 2],
            dtype=int)
        deliveries = inst.partner[pickups] if len(pickups) else pickups
        routes = {}
        order = sorted(range(inst.m), key=lambda v: (
                inst.fixed_cost[v], -np.nan_to_num(
                    inst.capacity[v], posinf=1e18).sum(), v))
        for v in order:
            if routed.all():
                break
            seq = self._route(inst, v, singles, pickups, deliveries, routed)
            if seq:
                routes[v] = seq
            clock.report(routed.mean() if n else 1.0)
        stats['routes'] = len(routes)
        return routes

    def _route(self, inst, v, singles, pickups, deliveries, routed):
        dur = inst.durations[inst.profile[v]]
        dist = inst.distances
        cap = inst.capacity[v]
        end_loc = inst.end_loc[v]
        latest = inst.latest[v]
        brk = inst.breaks[v]
        taken = brk is None
        t = inst.earliest[v]
        here = inst.start_loc[v]
        peak = np.zeros(inst.dims)       # highest load so far
        final = np.zeros(inst.dims)      # load now
        seq = []

        def timing(ready, idx_first, idx_last):
            """Service start of the first stop, departure after the last
            (idx_last served right after idx_first when a pair), and
            whether the rest of the day (break included) still fits"""
            arrival = ready + dur[here, inst.loc[idx_first]]
            start = np.maximum(arrival, inst.tw_start[idx_first])
            ok = start <= inst.tw_end[idx_first] + EPS
            done = start + inst.service[idx_first]
            if idx_last is not None:
                start_last = np.maximum(
                    done + dur[inst.loc[idx_first], inst.loc[idx_last]],
                    inst.tw_start[idx_last])
                ok &= start_last <= inst.tw_end[idx_last] + EPS
                done = start_last + inst.service[idx_last]
                last_loc = inst.loc[idx_last]
            else:
                last_loc = inst.loc[idx_first]
            back = dur[last_loc, end_loc]
            return start, done, back, ok

        def options(idx_first, idx_last=None):
            "(start, break now?) of each candidate, start inf when unfit"
            start, done, back, ok = timing(t, idx_first, idx_last)
            if taken:
                ok &= done + back <= latest + EPS
                return np.where(ok, start, np.inf), np.zeros(len(ok), bool)
            # without the break now: it must still fit after this stop
            rest = np.maximum(done, brk.earliest)
            ok_a = ok & (rest <= brk.latest + EPS) & (
                rest + brk.duration + back <= latest + EPS)
            # the break now, here
            pause = max(t, brk.earliest)
            if pause <= brk.latest + EPS:
                start_b, done_b, back_b, ok_b = timing(
                    pause + brk.duration, idx_first, idx_last)
                ok_b &= done_b + back_b <= latest + EPS
            else:
                start_b = np.full(len(ok), np.inf)
                ok_b = np.zeros(len(ok), bool)
            use_b = ~ok_a & ok_b
            start = np.where(ok_a, start, np.where(ok_b, start_b, np.inf))
            return start, use_b

        while True:
            best = None
            for required_only in (True, False):
                s = singles[~routed[singles]] if len(singles) else singles
                if len(s):
                    s = s[inst.can_serve[v, s]]
                    s = s[inst.required[s] == required_only]
                if len(s):
                    start, pause = options(s)
                    q = inst.demand[s]
                    delivery = (inst.kind[s] == 0)[:, None]
                    new_peak = np.where(delivery, peak + q,
                        np.maximum(peak, final + q))
                    ok = np.isfinite(start) & (
                        new_peak <= cap + EPS).all(axis=1)
                    if ok.any():
                        k = np.lexsort((dist[here, inst.loc[s]][ok],
                                start[ok]))[0]
                        best = (start[ok][k], [int(s[ok][k])],
                            bool(pause[ok][k]))
                p = pickups[~routed[pickups]] if len(pickups) else pickups
                if len(p):
                    p = p[inst.can_serve[v, p]]
                    p = p[inst.required[p] == required_only]
                if len(p):
                    d = inst.partner[p]
                    start, pause = options(p, d)
                    q = inst.demand[p]
                    ok = np.isfinite(start) & (
                        final + q <= cap + EPS).all(axis=1)
                    if ok.any():
                        k = np.lexsort((dist[here, inst.loc[p]][ok],
                                start[ok]))[0]
                        if best is None or start[ok][k] < best[0]:
                            best = (start[ok][k],
                                [int(p[ok][k]), int(d[ok][k])],
                                bool(pause[ok][k]))
                if best is not None:
                    break
            if best is None:
                return seq
            if best[2]:
                t = max(t, brk.earliest) + brk.duration
                taken = True
            for i in best[1]:
                arrival = t + dur[here, inst.loc[i]]
                t = max(arrival, inst.tw_start[i]) + inst.service[i]
                here = inst.loc[i]
                q = inst.demand[i]
                if len(best[1]) == 1:
                    if inst.kind[i] == 0:
                        peak = peak + q
                    else:
                        final = final + q
                        peak = np.maximum(peak, final)
                routed[i] = True
                seq.append(i)
            if len(best[1]) == 2:
                peak = np.maximum(peak, final + inst.demand[best[1][0]])
            if not taken and t >= brk.earliest:
                # the window is open: take the break now
                t = t + brk.duration
                taken = True


class PyVRPEngine(Engine):
    """PyVRP (iterated local search, PyVRP >= 0.14) behind our adapter.

    scale: integer units per metre and per second given to PyVRP (1 for
    real data; 100 or 1000 for the benchmarks' small coordinates).
    minimise_vehicles: hierarchical objective, fewest vehicles first then
    cost (a large fixed cost per vehicle, and a route-elimination phase
    when the fleet is homogeneous); otherwise the objective is money:
    cost_per_km x km + fixed cost of each vehicle used - prizes.
    required_mode: 'auto' (default), 'soft' or 'hard', see the module doc.
    max_iterations: stop after so many iterations as well (determinism).
    warm_start: start from the nearest neighbour plan (True), from PyVRP's
    random solution as pyvrp.solve does (False), or (None, the default)
    the nearest neighbour for the hierarchical objective and PyVRP's way
    for money, where a warm start keeps the search near the nearest
    neighbour's many couriers.
    reduce_fleet: for money, try plans with a courier less (reduce_fleet
    of the run)."""
    name = 'pyvrp'

    def __init__(
            self, clock='wall', prize_per_priority=10.0, scale=1,
            minimise_vehicles=False, required_mode='auto',
            max_iterations=None, warm_start=None, display=False,
            reduce_fleet=False):
        super().__init__(clock, prize_per_priority)
        if required_mode not in ('auto', 'soft', 'hard'):
            raise ValueError(
                "required_mode must be 'auto', 'soft' or 'hard'")
        self.scale = scale
        self.minimise_vehicles = minimise_vehicles
        self.required_mode = required_mode
        self.max_iterations = max_iterations
        self.warm_start = warm_start
        self.display = display
        self.reduce_fleet = reduce_fleet

    @staticmethod
    def available():
        try:
            import pyvrp  # noqa: F401
        except ImportError:
            return False
        return True

    def _solve(self, instance, clock, seed, stats):
        plans = []

        def nearest():
            "The nearest neighbour's plan, made the first time it is asked"
            if not plans:
                plans.append(NearestNeighbourEngine()._solve(
                        instance, clock, seed, {}))
            return plans[0]

        if clock.limit <= 0 or not self.available():
            stats['fallback'] = ('time limit 0' if clock.limit <= 0
                else 'pyvrp not installed')
            return nearest()
        return _PyVRPRun(self, instance, clock, seed, stats).run(nearest)


class _Deadline:
    "PyVRP stopping criterion on our clock, reporting progress"

    def __init__(self, clock, end=None, max_iterations=None, done=None):
        self.clock = clock
        self.end = clock.deadline if end is None else min(end, clock.deadline)
        self.max_iterations = max_iterations
        self.done = done
        self.iterations = 0

    def __call__(self, best_cost):
        self.iterations += 1
        self.clock.report()
        if self.done is not None and self.done(best_cost):
            return True
        if (self.max_iterations is not None
                and self.iterations > self.max_iterations):
            return True
        return self.clock.now() >= self.end


# a money search of fewer iterations is compared with the nearest
# neighbour's plan (made then, not before the search)
SHORT_SEARCH = 2000
# with breaks: from this share of the time on, each best plan of the
# search is checked with its breaks placed (see _PyVRPRun.choose); a best
# that needs a repair and has not been improved on for STALL of the time
# ends the search, and the rest of the time goes to the break phase
# (_PyVRPRun.break_phase)
CLEAN_FROM = 0.5
STALL = 0.15


class _CleanBest:
    """IteratedLocalSearch callbacks that check, from start (a time) on,
    each best solution of the search with its breaks placed: latest_clean
    (the latest best needs no repair) and solution (the last best that
    needed none); each route checked once (cache).  chain: callbacks
    called as well."""

    def __init__(self, run, start, chain=None):
        import pyvrp
        self.run = run
        self.start = start
        self.chain = chain or pyvrp.IteratedLocalSearchCallbacks()
        self.solution = None
        self.seen = None
        self.improved = run.clock.now()
        self.latest_clean = True
        self.checked = {}

    def clean(self, solution):
        inst = self.run.inst
        for v, seq in self.run.from_pyvrp(solution).items():
            key = (v, tuple(seq))
            if key not in self.checked:
                self.checked[key] = inst.check(v, seq, explain=False).ok
            if not self.checked[key]:
                return False
        return True

    def on_start(self, ils):
        self.chain.on_start(ils)

    def on_end(self, result):
        self.chain.on_end(result)

    def on_iteration(self, current, candidate, best, cost_evaluator):
        # the best of each iteration from start on (also a best found
        # before start, when the search has converged by then)
        if best is not self.seen and self.run.clock.now() >= self.start:
            self.seen = best
            if best.is_feasible():
                self.latest_clean = self.clean(best)
                if self.latest_clean:
                    self.solution = best
        self.chain.on_iteration(current, candidate, best, cost_evaluator)

    def on_restart(self, best):
        self.chain.on_restart(best)

    def on_best(self, best):
        self.improved = self.run.clock.now()
        self.chain.on_best(best)

    def stalled(self):
        "The latest best needs a repair and the search no longer improves"
        clock = self.run.clock
        now = clock.now()
        return (not self.latest_clean and now >= self.start
            and now - self.improved >= STALL * clock.limit)


def money_units(cost_per_km, units=COST_UNITS):
    """PyVRP's integer units of one unit of money: a metre of the most
    expensive vehicle costs units (without a cost per km, as if it cost 1
    per km). The integer problem is then the same whatever the currency:
    0.3 or 3,000 per km."""
    per_metre = max([c for c in cost_per_km if c > 0] or [1.0]) / 1000
    return units / per_metre


def _ceil(x):
    return int(math.ceil(x - 1e-9))


def _floor(x):
    return int(math.floor(x + 1e-9))


class _PyVRPRun:
    """One PyVRPEngine.solve: the Instance as PyVRP ProblemData, the search
    and the way back to {vehicle index: [stop index]}."""

    def __init__(self, engine, instance, clock, seed, stats):
        import pyvrp
        self.pyvrp = pyvrp
        self.engine = engine
        self.inst = instance
        self.clock = clock
        self.seed = seed
        self.stats = stats
        self.build()
        # with breaks: the checks of the search's best plans (_CleanBest),
        # the plans before the break phase, the main search's neighbours
        self.tracker = None
        self.earlier = []
        self.neighbours = None
        self.with_breaks = (not engine.minimise_vehicles
            and engine.max_iterations is None
            and any(b is not None for b in instance.breaks))

    # -- model
    def build(self):
        pyvrp = self.pyvrp
        inst = self.inst
        s = self.engine.scale
        max_value = 1 << 44
        self.locations = [pyvrp.Location(x=float(lon), y=float(lat))
            for lat, lon in inst.points]
        distance = np.minimum(np.rint(inst.distances * s), max_value)
        self.distance = distance.astype(np.int64)
        self.duration = [
            np.minimum(np.ceil(d * s - 1e-6), max_value).astype(np.int64)
            for d in inst.durations]
        for matrix in [self.distance] + self.duration:
            np.fill_diagonal(matrix, 0)
        horizon = float(inst.latest.max())
        self.depots = [pyvrp.Depot(
                location=k,
                tw_early=_ceil(max(0, _number(d.opens, 0) or 0) * s),
                tw_late=_floor(min(horizon, _number(d.closes, DAY)) * s))
            for k, d in enumerate(inst.depot_list)]
        # money as integers, the same whatever the currency (0.3 or 3,000
        # per km): the arcs cost what PyVRP's search and penalties are made
        # for, and a cheaper vehicle keeps its ratio (see money_units)
        self.money = money_units(inst.cost_per_km,
            COST_UNITS if self.engine.minimise_vehicles else MONEY_UNITS)
        self.units = np.array([
                max(1, round(c / 1000 / s * self.money))
                for c in inst.cost_per_km], dtype=np.int64)
        fixed = np.rint(inst.fixed_cost * self.money).astype(np.int64)
        self.extra_fixed = 0
        if self.engine.minimise_vehicles:
            # more than any possible distance cost: fewest vehicles first
            self.extra_fixed = int(
                self.units.max() * (int(self.distance.max()) + 1)
                * 2 * (inst.n + 1))
        capacity = np.where(np.isinf(inst.capacity), INT_INF,
            np.floor(np.nan_to_num(inst.capacity, posinf=0)
                * LOAD_SCALE + 1e-6)).astype(np.int64)
        types = {}
        for v in range(inst.m):
            key = (int(inst.start_loc[v]), int(inst.end_loc[v]),
                tuple(int(c) for c in capacity[v]), int(self.units[v]),
                int(fixed[v]),
                _ceil(inst.earliest[v] * s),
                _floor((inst.latest[v] - inst.break_duration[v]) * s),
                int(inst.profile[v]))
            types.setdefault(key, []).append(v)
        self.type_members = list(types.values())
        self.type_keys = list(types.keys())
        self.type_of = {}
        for g, members in enumerate(self.type_members):
            for v in members:
                self.type_of[v] = g
        # clients and shipments
        max_fixed = int(fixed.max()) + self.extra_fixed if inst.m else 0
        self.required_prize = int(4 * (max_fixed + int(self.units.max())
                * 2 * (int(self.distance.max()) + 1)) + 1)
        self.clients, self.client_stop, self.shipments, \
            self.shipment_stops = self.jobs(
                self.engine.required_mode == 'soft')
        self.data = self.make_data()

    def jobs(self, soft):
        """(clients, client_stop, shipments, shipment_stops): PyVRP's
        clients and shipments of the Instance's jobs, the required ones
        optional with a prize when soft, and the stop index of each"""
        pyvrp = self.pyvrp
        inst = self.inst
        s = self.engine.scale
        horizon = float(inst.latest.max())
        load = np.ceil(inst.demand * LOAD_SCALE - 1e-6).astype(np.int64)
        zero = [0] * inst.dims

        def prize_of(i):
            if inst.required[i]:
                return (self.required_prize, False) if soft else (0, True)
            return max(0, round(inst.prize[i] * self.money)), False

        def window(i):
            early = _ceil(inst.tw_start[i] * s)
            late = _floor(min(inst.tw_end[i], horizon) * s)
            return early, max(early, late)

        clients, client_stop, shipments, shipment_stops = [], [], [], []
        for job in inst.jobs:
            if len(job) == 1:
                i = job[0]
                prize, required = prize_of(i)
                early, late = window(i)
                q = [int(x) for x in load[i]]
                clients.append(pyvrp.Client(
                        location=int(inst.loc[i]),
                        delivery=q if inst.kind[i] == 0 else zero,
                        pickup=q if inst.kind[i] == 1 else zero,
                        service_duration=_ceil(inst.service[i] * s),
                        tw_early=early, tw_late=late,
                        prize=prize, required=required))
                client_stop.append(i)
            else:
                p, d = job
                prize, required = prize_of(p)
                if not soft and not inst.required[p] and inst.required[d]:
                    prize, required = prize_of(d)
                p_early, p_late = window(p)
                d_early, d_late = window(d)
                shipments.append(pyvrp.Shipment(
                        pickup_location=int(inst.loc[p]),
                        delivery_location=int(inst.loc[d]),
                        pickup_tw_early=p_early, pickup_tw_late=p_late,
                        pickup_service_duration=_ceil(inst.service[p] * s),
                        delivery_tw_early=d_early, delivery_tw_late=d_late,
                        delivery_service_duration=_ceil(
                            inst.service[d] * s),
                        amount=[int(x) for x in load[p]],
                        prize=prize, required=required))
                shipment_stops.append((p, d))
        return clients, client_stop, shipments, shipment_stops

    def vehicle_types(self, fleet=None, extra_fixed=None):
        "PyVRP vehicle types; fleet: number available per type"
        pyvrp = self.pyvrp
        extra = self.extra_fixed if extra_fixed is None else extra_fixed
        result = []
        for g, (key, members) in enumerate(
                zip(self.type_keys, self.type_members)):
            start, end, cap, unit, fixed, early, late, profile = key
            available = (len(members) if fleet is None
                else max(0, min(len(members), fleet[g])))
            if available:
                result.append(pyvrp.VehicleType(
                        num_available=available,
                        capacity=list(cap), start_depot=start, end_depot=end,
                        fixed_cost=fixed + extra,
                        tw_early=early, tw_late=max(early, late),
                        unit_distance_cost=unit, profile=profile))
            else:
                # none of the type: PyVRP wants at least one of each type
                # (the indices stay those of type_members); this one can
                # carry nothing and go nowhere, so no feasible plan uses it
                result.append(pyvrp.VehicleType(
                        num_available=1, capacity=[0] * len(cap),
                        start_depot=start, end_depot=end,
                        fixed_cost=fixed + extra, tw_early=early,
                        tw_late=early, shift_duration=0, max_distance=0,
                        unit_distance_cost=unit, profile=profile))
        return result

    def make_data(self, fleet=None, extra_fixed=None, clients=None,
            shipments=None):
        return self.pyvrp.ProblemData(
            self.locations,
            self.clients if clients is None else clients,
            self.depots, self.vehicle_types(fleet, extra_fixed),
            [self.distance] * len(self.duration), self.duration,
            [], self.shipments if shipments is None else shipments)

    def penalty_params(self, soft=True):
        """PyVRP's penalty parameters: for money with required stops,
        PyVRP's own (as pyvrp.solve); otherwise a maximum penalty far above
        the initial one and above the prize of a required stop (soft
        required stops stay served)"""
        from pyvrp.PenaltyManager import PenaltyParams
        if not soft and not self.engine.minimise_vehicles:
            return PenaltyParams()
        return PenaltyParams(max_penalty=float(
                max(1000 * INITIAL_PENALTY, self.required_prize)))

    # -- translation
    def to_pyvrp(self, data, routes):
        "PyVRP Solution of {vehicle index: [stop index]}"
        pyvrp = self.pyvrp
        inst = self.inst
        client_of = {i: c for c, i in enumerate(self.client_stop)}
        shipment_of = {}
        for k, (p, d) in enumerate(self.shipment_stops):
            shipment_of[p] = (pyvrp.ActivityType.PICKUP, k)
            shipment_of[d] = (pyvrp.ActivityType.DELIVERY, k)
        available = [vt.num_available for vt in data.vehicle_types()]
        result = []
        for v, seq in sorted(routes.items()):
            g = self.type_of[v]
            if not seq or available[g] <= 0:
                continue
            available[g] -= 1
            activities = []
            for i in seq:
                if i in client_of:
                    activities.append(pyvrp.Activity(
                            pyvrp.ActivityType.CLIENT, client_of[i]))
                elif i in shipment_of:
                    activities.append(pyvrp.Activity(*shipment_of[i]))
            result.append(pyvrp.Route(data, activities, g))
        del inst
        return pyvrp.Solution(data, result)

    def from_pyvrp(self, solution):
        "{vehicle index: [stop index]} of a PyVRP Solution"
        pool = [list(members) for members in self.type_members]
        routes = {}
        for route in solution.routes():
            g = route.vehicle_type()
            if not pool[g]:
                continue
            v = pool[g].pop(0)
            seq = []
            for activity in route:
                if activity.is_depot():
                    continue
                if activity.is_pickup():
                    seq.append(self.shipment_stops[activity.idx][0])
                elif activity.is_delivery():
                    seq.append(self.shipment_stops[activity.idx][1])
                else:
                    seq.append(self.client_stop[activity.idx])
            if seq:
                routes[v] = seq
        return routes

    def search(self, data, initial, end=None, done=None, seed=None,
            iterations=None, callbacks=None, neighbours=None, soft=True):
        """PyVRP's iterated local search (as pyvrp.solve) from initial,
        with PyVRP's usual initial penalties but a maximum penalty above
        the prize of a required stop (soft required stops stay served)."""
        from pyvrp.IteratedLocalSearch import (
            IteratedLocalSearch, IteratedLocalSearchParams)
        from pyvrp.PenaltyManager import PenaltyManager
        from pyvrp.search import (
            OPERATORS, LocalSearch, NeighbourhoodParams, PerturbationManager,
            PerturbationParams, compute_neighbours)
        pyvrp = self.pyvrp
        if iterations is None:
            iterations = self.engine.max_iterations
        stop = _Deadline(self.clock, end, iterations, done)
        if self.with_breaks:
            # only the last search's plans are compared (the same data)
            callbacks = self.tracker = _CleanBest(self,
                self.clock.begin + CLEAN_FROM * self.clock.limit, callbacks)
        rng = pyvrp.RandomNumberGenerator(
            seed=self.seed if seed is None else seed)
        if neighbours is None:
            neighbours = compute_neighbours(data, NeighbourhoodParams())
            self.neighbours = neighbours
        search = LocalSearch(
            data, rng, neighbours, PerturbationManager(PerturbationParams()))
        for operator in OPERATORS:
            if operator.supports(data):
                search.add_operator(operator(data))
        if self.engine.minimise_vehicles:
            start = 50_000.0
        elif soft:
            start = float(INITIAL_PENALTY)
        else:
            # as pyvrp.solve: the midpoint of PyVRP's penalty range
            start = None
        params = self.penalty_params(soft)
        if start is None:
            initial_penalties = params.midpoint_penalties(data)
        else:
            initial_penalties = (
                [start] * data.num_load_dimensions, start, start)
        penalties = PenaltyManager(initial_penalties, params)
        if initial is None:
            initial = search(
                pyvrp.Solution.make_random(data, rng),
                penalties.max_cost_evaluator(), exhaustive=True)
        algorithm = IteratedLocalSearch(
            data, penalties, search, initial,
            IteratedLocalSearchParams(callbacks=callbacks))
        result = algorithm.run(
            stop, collect_stats=False, display=self.engine.display)
        self.stats['iterations'] = (
            self.stats.get('iterations', 0) + result.num_iterations)
        return result.best

    # -- the run
    def run(self, nearest):
        """nearest: a function giving the nearest neighbour's plan, made
        only when it is needed (a warm start, a search without a feasible
        plan, a short search), so that the search has all the time"""
        import warnings
        data = self.data
        initial = None
        warm = self.engine.warm_start
        if warm is None:
            warm = self.engine.minimise_vehicles
        if warm:
            initial = self.to_pyvrp(data, nearest())
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            if (self.engine.minimise_vehicles
                    and len(self.type_members) == 1
                    and self.engine.max_iterations is None):
                best = self.minimise_vehicles(data, initial)
            elif (self.engine.max_iterations is None
                    and not self.engine.minimise_vehicles
                    and self.engine.reduce_fleet):
                best = self.reduce_fleet(data, initial)
            elif (self.engine.required_mode == 'auto'
                    and not self.engine.minimise_vehicles):
                best = self.required_then_soft(data, initial)
            else:
                best = self.search(data, initial,
                    soft=self.engine.required_mode == 'soft')
        self.stats['phase_end'] = self.clock.now() - self.clock.begin
        if best is None or not best.is_feasible():
            self.stats['fallback'] = 'no feasible PyVRP solution'
            return nearest()
        if (not self.engine.minimise_vehicles
                and self.stats.get('iterations', 0) < SHORT_SEARCH
                and nearest()):
            # a search from a random start may end above the nearest
            # neighbour's plan when time is short
            start = self.to_pyvrp(data, nearest())
            if (start.is_feasible() and self._complete(start)
                    and self.cost(start) < self.cost(best)):
                self.stats['kept_nearest'] = True
                best = start
        routes = self.from_pyvrp(best)
        self.stats['objective'] = self.cost(best)
        if self.tracker is not None and not self.stats.get('kept_nearest'):
            routes = self.choose(best, routes)
        return routes

    def choose(self, best, routes):
        """With breaks: PyVRP's best plan (routes) may need a repair once
        the breaks are placed (a stop that no longer fits dropped and
        inserted elsewhere, at times on a courier more); then the last best
        plan of the search that needed none (tracker) may cost less. Of the
        two, the fewest required stops left out, then the least money
        (route costs + prizes of the optional stops left out); the routes
        returned as repaired, so that they are not repaired again."""
        inst = self.inst
        others = [self.tracker.solution] + self.earlier
        others = [o for o in others if o is not None and o is not best]
        if not others or self.tracker.clean(best):
            return routes
        vehicle_index = {v.id: k for k, v in enumerate(inst.vehicles)}

        def scheduled(plan):
            "(key, routes) of the plan once checked and repaired"
            result = inst.solution(plan, insert=True)
            served = {vehicle_index[route.vehicle]: [
                    inst.index[visit.stop] for visit in route.visits]
                for route in result.routes}
            done = {i for seq in served.values() for i in seq}
            out = [i for i in range(inst.n) if i not in done]
            required = sum(bool(inst.required[i]) for i in out)
            optional = sum(float(inst.prize[i]) for i in out
                if not inst.required[i])
            return (required, result.cost + optional), served

        key, chosen = scheduled(routes)
        self.stats['repair'] = round(key[1], 2)
        for k, other in enumerate(others, 1):
            other_key, other_routes = scheduled(self.from_pyvrp(other))
            if other_key < key:
                key, chosen = other_key, other_routes
                self.stats['chosen'] = k
        self.stats['chosen_cost'] = round(key[1], 2)
        return chosen

    def required_then_soft(self, data, initial):
        """Money with required stops as PyVRP's own solve would search it
        (data: the required stops required); when no feasible plan shows
        within a quarter of the time (a fleet too small or too slow), the
        rest of the time with the required stops optional with a large
        prize: a plan that serves what it can"""
        clock = self.clock
        checkpoint = clock.now() + 0.25 * max(0.0, clock.deadline - clock.now())

        def hopeless(best_cost):
            if (self.tracker is not None and best_cost < HOPELESS
                    and self.tracker.stalled()):
                return True     # the rest of the time to the break phase
            return clock.now() >= checkpoint and best_cost >= HOPELESS

        best = self.search(data, None, done=hopeless, soft=False)
        if best is not None and best.is_feasible():
            self.stats['required'] = 'hard'
            if self.tracker is not None and self.tracker.stalled():
                best = self.break_phase(best)
            return best
        self.stats['required'] = 'soft'
        clients, _, shipments, _ = self.jobs(soft=True)
        return self.search(
            self.make_data(clients=clients, shipments=shipments), initial)

    def break_phase(self, best):
        """The rest of the time from best (a plan of every required stop
        that needs a repair once the breaks are placed): the windows of the
        stops the breaks push out closed a break earlier, and PyVRP's search
        from best on these windows.  Its plan keeps the original windows
        too; choose() compares it with best and the last plans that needed
        no repair."""
        inst = self.inst
        pushed = set()
        for v, seq in self.from_pyvrp(best).items():
            pushed.update(i for i, _, _ in inst.repair(v, seq)[1])
        self.stats['break_phase'] = len(pushed)
        self.earlier = [best] + (
            [self.tracker.solution] if self.tracker is not None else [])
        if not pushed or self.clock.left() <= 0:
            return best
        s = self.engine.scale
        shift = _ceil(float(inst.break_duration.max()) * s)

        def closed(early, late):
            return max(early, late - shift)

        clients = [self._copy(c, tw_late=closed(c.tw_early, c.tw_late))
            if i in pushed else c
            for c, i in zip(self.clients, self.client_stop)]
        shipments = []
        for sh, (p, d) in zip(self.shipments, self.shipment_stops):
            pick, drop = sh.pickup, sh.delivery
            if p in pushed:
                sh = self._copy(sh, pickup_tw_late=closed(
                        pick.tw_early, pick.tw_late))
            if d in pushed:
                sh = self._copy(sh, delivery_tw_late=closed(
                        drop.tw_early, drop.tw_late))
            shipments.append(sh)
        tight = self.make_data(clients=clients, shipments=shipments)
        # the main search's neighbours: the same places, nearly the same
        # windows, and no second computation (seconds on 1,000 stops)
        found = self.search(tight, self.to_pyvrp(tight, self.from_pyvrp(best)),
            soft=False, neighbours=self.neighbours)
        return found if found.is_feasible() else best

    def _complete(self, solution):
        return (solution.is_feasible()
            and solution.num_clients() == len(self.clients)
            and solution.num_shipments() == len(self.shipments))

    def minimise_vehicles(self, data, initial):
        """Fewest vehicles, then distance, for a homogeneous fleet.

        1. construction: PyVRP with a fixed cost per vehicle larger than
           any total distance (10 % of the time);
        2. route elimination (until 80 % of the time): remove the route
           with the fewest stops, make every stop optional with a prize
           w[i] x P (P = 10 x the longest arc) and search with one vehicle
           less from the other routes, in slices of 100 iterations; after
           each slice the weight w[i] of each stop still out grows by 1, so
           the stops that are hard to place get in and easy ones make room
           (the penalty counters of Nagata and Braysy's route minimisation
           heuristic, with PyVRP's local search as the squeeze); when all
           are in, the plan is feasible with one vehicle less: repeat;
        3. distance: PyVRP on the smallest fleet found, from the best plan,
           for the rest of the time."""
        clock = self.clock
        begin, limit = clock.begin, clock.limit
        best = self.search(data, initial, end=begin + 0.10 * limit)
        if not self._complete(best):
            return self.search(data, best)
        members = len(self.type_members[0])
        lower = self.lower_bound()
        weights = np.ones(len(self.clients) + len(self.shipments))
        end = begin + 0.80 * limit
        while best.num_routes() > lower and clock.now() < end:
            count = best.num_routes() - 1
            routes = sorted(best.routes(), key=lambda r: (
                    r.num_clients() + 2 * r.num_shipments(), r.distance()))
            warm = self.eliminate(best, routes[0], [count], weights, end,
                extra_fixed=0)
            if warm is None:
                break
            best = self.to_pyvrp(data, warm)
            self.stats.setdefault('eliminated', []).append(
                (count, round(clock.now() - begin, 2),
                    self.stats.get('elimination_slices', 0)))
        fleet = [min(members, best.num_routes())]
        fleet_data = self.make_data(fleet=fleet)
        final = self.search(
            fleet_data, self.to_pyvrp(fleet_data, self.from_pyvrp(best)))
        if self._complete(final) and (
                final.num_routes(), final.distance()) <= (
                best.num_routes(), best.distance()):
            return self.to_pyvrp(data, self.from_pyvrp(final))
        return best

    def eliminate(self, best, route, fleet, weights, end, extra_fixed=None):
        """{vehicle index: [stop index]} serving every stop without route,
        with at most fleet[g] vehicles of each type g, or None if the time
        runs out before (end).

        The stops of route are taken out; every stop becomes optional with a
        prize w[i] x P (P = 10 x the dearest arc) and PyVRP searches from the
        other routes in slices of 100 iterations; after each slice the
        weight w[i] of each stop still out grows by 1, so the stops that are
        hard to place get in and easy ones make room (the penalty counters
        of Nagata and Braysy's route minimisation heuristic, with PyVRP's
        local search as the squeeze). weights carries over between calls."""
        pyvrp = self.pyvrp
        clock = self.clock
        prize = 10 * int(self.units.max()) * (int(self.distance.max()) + 1)
        removed = set(self._route_stops(route))
        warm = {v: seq for v, seq in self.from_pyvrp(best).items()
            if not removed.intersection(seq)}
        neighbours = None
        while clock.now() < end:
            prizes = weights * prize
            clients = [self._optional(c, int(prizes[k]))
                for k, c in enumerate(self.clients)]
            shipments = [self._optional(c, int(prizes[len(clients) + k]))
                for k, c in enumerate(self.shipments)]
            trial = pyvrp.ProblemData(
                self.locations, clients, self.depots,
                self.vehicle_types(fleet=fleet, extra_fixed=extra_fixed),
                [self.distance] * len(self.duration), self.duration,
                [], shipments)
            if neighbours is None:
                from pyvrp.search import NeighbourhoodParams, compute_neighbours
                neighbours = compute_neighbours(trial, NeighbourhoodParams())
            found = []

            def on_best(solution):
                if (solution.num_clients() == len(clients)
                        and solution.num_shipments() == len(shipments)
                        and solution.is_feasible()):
                    found.append(solution)
            callbacks = pyvrp.IteratedLocalSearchCallbacks()
            callbacks.on_best = on_best
            slices = self.stats.get('elimination_slices', 0)
            candidate = self.search(
                trial, self.to_pyvrp(trial, warm), end=end,
                done=lambda cost: bool(found), seed=self.seed + slices,
                iterations=100, callbacks=callbacks, neighbours=neighbours)
            self.stats['elimination_slices'] = slices + 1
            if candidate.is_feasible():
                warm = self.from_pyvrp(candidate)
            served = {i for seq in warm.values() for i in seq}
            missing = [k for k, i in enumerate(self.client_stop)
                if i not in served] + [
                len(clients) + k
                for k, (p, _) in enumerate(self.shipment_stops)
                if p not in served]
            if not missing:
                return warm
            weights[missing] += 1
        return None

    def cost(self, solution):
        "The objective of a Solution of self.data, in PyVRP's units"
        return int(solution.distance_cost() + solution.fixed_vehicle_cost()
            + solution.uncollected_prizes())

    def reduce_fleet(self, data, initial):
        """The money objective with a courier less when it pays.

        1. PyVRP from the warm start (40 % of the time);
        2. until 80 % of the time: take out the route with the fewest
           stops, serve its stops on the other routes with one vehicle of
           its type less (eliminate(), at most a fifth of the time per
           route), let PyVRP improve that plan on the smaller fleet, and
           keep it when it costs less than the best; stop at the first
           route that does not go or does not pay: a day's cost is mostly
           its couriers' fixed costs, which PyVRP's moves rarely save by
           themselves;
        3. PyVRP from the best plan for the rest of the time."""
        clock = self.clock
        begin, limit = clock.begin, clock.limit
        best = self.search(data, initial, end=begin + 0.40 * limit)
        end = begin + 0.80 * limit
        weights = np.ones(len(self.clients) + len(self.shipments))
        while self._complete(best) and best.num_routes() > 1 \
                and clock.now() < end:
            routes = sorted(best.routes(), key=lambda r: (
                    r.num_clients() + 2 * r.num_shipments(), r.distance()))
            fleet = [0] * len(self.type_members)
            for r in best.routes():
                fleet[r.vehicle_type()] += 1
            fleet[routes[0].vehicle_type()] -= 1
            warm = self.eliminate(best, routes[0], fleet, weights,
                min(end, clock.now() + 0.20 * limit))
            if warm is None:
                break
            smaller = self.make_data(fleet=fleet)
            improved = self.search(smaller, self.to_pyvrp(smaller, warm),
                end=min(end, clock.now() + 0.10 * limit))
            if self._complete(improved):
                warm = self.from_pyvrp(improved)
            candidate = self.to_pyvrp(data, warm)
            if not (self._complete(candidate)
                    and self.cost(candidate) < self.cost(best)):
                break
            best = candidate
            self.stats.setdefault('fleet_reduced', []).append(
                (best.num_routes(), round(clock.now() - begin, 2)))
        return self.search(data, best)

    def _optional(self, item, prize):
        "A copy of a PyVRP client or shipment, optional with prize"
        return self._copy(item, prize=prize, required=False)

    def _copy(self, item, **changes):
        "A copy of a PyVRP client or shipment with changes"
        pyvrp = self.pyvrp
        if isinstance(item, pyvrp.Client):
            fields = dict(
                location=item.location, delivery=item.delivery,
                pickup=item.pickup, service_duration=item.service_duration,
                tw_early=item.tw_early, tw_late=item.tw_late,
                prize=item.prize, required=item.required)
            fields.update(changes)
            return pyvrp.Client(**fields)
        fields = dict(
            pickup_location=item.pickup.location,
            delivery_location=item.delivery.location,
            pickup_tw_early=item.pickup.tw_early,
            pickup_tw_late=item.pickup.tw_late,
            pickup_service_duration=item.pickup.service_duration,
            delivery_tw_early=item.delivery.tw_early,
            delivery_tw_late=item.delivery.tw_late,
            delivery_service_duration=item.delivery.service_duration,
            amount=item.amount, prize=item.prize, required=item.required)
        fields.update(changes)
        return pyvrp.Shipment(**fields)

    def _route_stops(self, route):
        seq = []
        for activity in route:
            if activity.is_pickup():
                seq.append(self.shipment_stops[activity.idx][0])
            elif activity.is_delivery():
                seq.append(self.shipment_stops[activity.idx][1])
            elif not activity.is_depot():
                seq.append(self.client_stop[activity.idx])
        return seq

    def lower_bound(self):
        """Vehicles needed by the loads alone, and by the time alone: every
        stop takes its service and its shortest way in, every trip its
        shortest way back, within the shift of the (single) vehicle type"""
        inst = self.inst
        cap = inst.capacity[0]
        bound = 1
        for k in range(inst.dims):
            if np.isfinite(cap[k]) and cap[k] > 0:
                total = max(inst.demand[inst.kind == 0, k].sum(),
                    inst.demand[inst.kind == 1, k].sum())
                bound = max(bound, math.ceil(total / cap[k] - 1e-9))
        dur = inst.durations[inst.profile[0]]
        places = np.concatenate([[inst.start_loc[0]], inst.loc])
        incoming = dur[np.ix_(places, inst.loc)].copy()
        incoming[np.arange(1, len(places)), np.arange(len(inst.loc))] = (
            np.inf)
        need = (inst.service + incoming.min(axis=0)).sum()
        back = dur[inst.loc, inst.end_loc[0]].min() if inst.n else 0.0
        shift = inst.latest[0] - inst.earliest[0] - inst.break_duration[0]
        if shift - back > 0 and np.isfinite(need):
            bound = max(bound, math.ceil(need / (shift - back) - 1e-6))
        return bound


def get_engine(name='pyvrp', **options):
    "The engine called name ('pyvrp' or 'nearest')"
    engines = {
        'pyvrp': PyVRPEngine,
        'nearest': NearestNeighbourEngine,
        }
    return engines[name](**options)
