# This file is part of the Delivery CRM for Tryton.
"""Unit tests of the route optimiser and the distances, free of the ORM.

    .venv/bin/python -m unittest \\
        trytond.modules.delivery_courier_routes.tests.test_solver
"""
import configparser
import http.server
import itertools
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

from trytond.modules.delivery_courier_routes.distances import (
    DistanceMatrix, EuclideanDistances, FixedMatrix, euclidean_matrix,
    haversine, haversine_matrix, osrm_table, OSRMError)
from trytond.modules.delivery_courier_routes.solver import (
    REASONS, SPEEDS, Break, Depot, Instance, NearestNeighbourEngine,
    Problem, PyVRPEngine, Stop, Vehicle, get_engine)

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
H = 3600
CENTRE = (41.7151, 44.8271)
DIDUBE = (41.7479, 44.7806)


def has_pyvrp():
    return PyVRPEngine.available()


def planar(depots, vehicles, stops):
    return Problem(depots, vehicles, stops, distances=EuclideanDistances())


def random_city(seed, n, vehicles=4, windows=True, dims=3, pairs=0,
        breaks=False):
    "A random Tbilisi problem"
    rng = random.Random(seed)
    depots = [Depot('centre', *CENTRE, opens=7 * H, closes=22 * H),
        Depot('didube', *DIDUBE, opens=7 * H, closes=22 * H)]
    fleet = []
    for k in range(vehicles):
        kind = ('scooter', 'car', 'van')[k % 3]
        fleet.append(Vehicle(
                f'v{k}', depots[k % 2].id,
                capacity=((20, 0.2, 12), (120, 1.0, 40), (600, 5.0, 150))[
                    k % 3][:dims],
                cost_per_km=(0.15, 0.35, 0.6)[k % 3],
                fixed_cost=(50, 80, 120)[k % 3],
                shift_start=9 * H, shift_end=19 * H,
                break_=Break(13 * H, 15 * H, 1800) if breaks else None,
                speed_kmh=SPEEDS[kind]))
    stops = []
    for k in range(n):
        lat = CENTRE[0] + rng.uniform(-0.04, 0.04)
        lon = CENTRE[1] + rng.uniform(-0.06, 0.04)
        start = rng.choice(range(9 * H, 16 * H, 1800))
        stops.append(Stop(
                f's{k}', lat, lon,
                demand=(round(rng.uniform(0.2, 6), 1),
                    round(rng.uniform(0.001, 0.03), 3),
                    rng.choice((1, 1, 2)))[:dims],
                service_time=rng.randint(180, 360),
                tw_start=start if windows else None,
                tw_end=start + rng.choice((2, 3, 4)) * H if windows else None,
                kind='pickup' if k % 7 == 3 else 'delivery'))
    for k in range(pairs):
        q = (2.0, 0.01, 1)[:dims]
        stops.append(Stop(f'P{k}', CENTRE[0] + rng.uniform(-0.04, 0.04),
                CENTRE[1] + rng.uniform(-0.06, 0.04), demand=q,
                service_time=240, kind='pickup'))
        stops.append(Stop(f'D{k}', CENTRE[0] + rng.uniform(-0.04, 0.04),
                CENTRE[1] + rng.uniform(-0.06, 0.04), demand=q,
                service_time=240, kind='delivery', pickup=f'P{k}'))
    return Problem(depots, fleet, stops)


class SolutionChecks:
    "Independent checks of a Solution against its Problem"

    def check_solution(self, problem, solution, all_served=False):
        provider = problem.distances or DistanceMatrix()
        depots = {d.id: d for d in problem.depots}
        stops = {s.id: s for s in problem.stops}
        seen = set()
        for route in solution.routes:
            vehicle = problem.vehicle(route.vehicle)
            depot = depots[vehicle.depot]
            points = [(depot.lat, depot.lon)] + [
                (stops[v.stop].lat, stops[v.stop].lon)
                for v in route.visits] + [(depot.lat, depot.lon)]
            matrix = provider.matrix(points)
            durations = matrix.durations
            if vehicle.speed_kmh:
                durations = matrix.distances / (vehicle.speed_kmh / 3.6)
            self.assertGreaterEqual(
                route.start + 1e-6, max(vehicle.shift_start, depot.opens))
            self.assertLessEqual(
                route.end, min(vehicle.shift_end, depot.closes) + 1e-6)
            load = [0.0] * len(vehicle.capacity)
            for visit in route.visits:
                stop = stops[visit.stop]
                if stop.kind == 'delivery' and stop.pickup is None:
                    for k, q in enumerate(stop.demand[:len(load)]):
                        load[k] += q
            for k, c in enumerate(vehicle.capacity):
                self.assertLessEqual(load[k], c + 1e-6, "depot load")
                self.assertAlmostEqual(route.load[k], load[k], 6)
            t = route.start
            distance = 0.0
            breaks = [(route.break_start, route.break_end)] if (
                route.break_start is not None) else []
            for k, visit in enumerate(route.visits):
                stop = stops[visit.stop]
                self.assertNotIn(visit.stop, seen)
                seen.add(visit.stop)
                travel = durations[k][k + 1]
                distance += matrix.distances[k][k + 1]
                # arrival after the travel (and the break when taken here)
                self.assertGreaterEqual(visit.arrival + 1e-6, t + travel)
                self.assertGreaterEqual(visit.start + 1e-6, visit.arrival)
                self.assertGreaterEqual(
                    visit.start + 1e-6, stop.tw_start or 0)
                if stop.tw_end is not None:
                    self.assertLessEqual(visit.start, stop.tw_end + 1e-6)
                self.assertAlmostEqual(
                    visit.departure, visit.start + stop.service_time, 6)
                for begin, end in breaks:
                    self.assertTrue(
                        visit.departure <= begin + 1e-6
                        or visit.start >= end - 1e-6,
                        "service during the break")
                sign = -1 if stop.kind == 'delivery' else 1
                for j, q in enumerate(stop.demand[:len(load)]):
                    load[j] += sign * q
                for j, c in enumerate(vehicle.capacity):
                    self.assertLessEqual(load[j], c + 1e-6, "load after stop")
                    self.assertAlmostEqual(visit.load[j], load[j], 6)
                t = visit.departure
            distance += matrix.distances[len(route.visits)][
                len(route.visits) + 1]
            self.assertAlmostEqual(route.distance_m, distance, 3)
            self.assertLessEqual(
                t + durations[len(route.visits)][len(route.visits) + 1],
                route.end + 1e-6)
            if vehicle.break_:
                self.assertIsNotNone(route.break_start)
                self.assertGreaterEqual(
                    route.break_start + 1e-6, vehicle.break_.earliest)
                self.assertLessEqual(
                    route.break_start, vehicle.break_.latest + 1e-6)
            # pairs on the same trip, pickup first
            position = {v.stop: k for k, v in enumerate(route.visits)}
            for visit in route.visits:
                stop = stops[visit.stop]
                if stop.pickup is not None:
                    self.assertIn(stop.pickup, position)
                    self.assertLess(position[stop.pickup], position[stop.id])
        unassigned = {u.stop for u in solution.unassigned}
        self.assertFalse(seen & unassigned)
        self.assertEqual(seen | unassigned, set(stops))
        for item in solution.unassigned:
            self.assertIn(item.reason, REASONS)
        if all_served:
            self.assertEqual(solution.unassigned, [])


class DistancesTestCase(unittest.TestCase):

    def test_haversine(self):
        "One degree of longitude on the equator, symmetric, zero diagonal"
        self.assertAlmostEqual(haversine(0, 0, 0, 1), 111_195.08, delta=1)
        self.assertAlmostEqual(
            haversine(*CENTRE, *DIDUBE), haversine(*DIDUBE, *CENTRE))
        self.assertGreater(haversine(*CENTRE, *DIDUBE), 5000)
        self.assertLess(haversine(*CENTRE, *DIDUBE), 5500)
        matrix = haversine_matrix([CENTRE, DIDUBE, (41.69, 44.80)],
            detour_factor=1.3, speed_kmh=36)
        self.assertEqual(matrix.source, 'haversine')
        self.assertAlmostEqual(matrix.distances[0][1],
            1.3 * haversine(*CENTRE, *DIDUBE), 3)
        self.assertAlmostEqual(
            matrix.durations[0][1], matrix.distances[0][1] / 10, 6)
        self.assertEqual(matrix.distances[2][2], 0)

    def test_haversine_invalid(self):
        with self.assertRaises(ValueError):
            haversine_matrix([CENTRE], detour_factor=0)

    def test_euclidean(self):
        matrix = euclidean_matrix([(0, 0), (4, 3)])
        self.assertEqual(matrix.distances[0][1], 5)
        matrix = euclidean_matrix([(0, 0), (1, 1)], rounded=True)
        self.assertEqual(matrix.distances[0][1], 1)

    def test_fixed_matrix(self):
        provider = FixedMatrix([(0, 0), (1, 1), (2, 2)],
            [[0, 1, 2], [1, 0, 3], [2, 3, 0]])
        matrix = provider.matrix([(2, 2), (0, 0)])
        self.assertEqual(matrix.distances.tolist(), [[0, 2], [2, 0]])
        with self.assertRaises(ValueError):
            provider.matrix([(5, 5)])

    def test_from_config(self):
        config = configparser.ConfigParser()
        config.read_string(
            "[delivery_courier_routes]\nosrm_url = http://127.0.0.1:9\n"
            "detour_factor = 1.5\nspeed_kmh = 30\nosrm_timeout = 2\n")
        provider = DistanceMatrix.from_config(config)
        self.assertEqual(provider.osrm_url, 'http://127.0.0.1:9')
        self.assertEqual(provider.detour_factor, 1.5)
        self.assertEqual(provider.speed_kmh, 30)
        self.assertEqual(provider.timeout, 2)
        empty = DistanceMatrix.from_config(configparser.ConfigParser())
        self.assertIsNone(empty.osrm_url)
        self.assertEqual(empty.detour_factor, 1.3)

    def test_from_trytond_config(self):
        "Without a config, the [delivery_courier_routes] section of trytond"
        import trytond.config as config
        section = 'delivery_courier_routes'
        added = not config.has_section(section)
        if added:
            config.add_section(section)
        try:
            config.set(section, 'osrm_url', 'http://127.0.0.1:5000')
            config.set(section, 'speed_kmh', '18')
            provider = DistanceMatrix.from_config()
            self.assertEqual(provider.osrm_url, 'http://127.0.0.1:5000')
            self.assertEqual(provider.speed_kmh, 18)
        finally:
            if added:
                config.remove_section(section)
            else:
                config.set(section, 'osrm_url', None)
                config.set(section, 'speed_kmh', None)


class _OSRMHandler(http.server.BaseHTTPRequestHandler):
    "Answers /table/v1/driving/... as OSRM: 2 x haversine, 10 m/s"
    mode = 'ok'
    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).requests.append(self.path)
        self.mode = type(self).mode     # the mode when the request came
        if self.mode == 'slow':
            time.sleep(1.5)
        if self.mode == 'garbage':
            self._send(200, b'<html>not json</html>')
            return
        if self.mode == 'error':
            self._send(400, json.dumps(
                    {'code': 'TooBig', 'message': 'Too many'}).encode())
            return
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split('/')
        if parts[1:4] != ['table', 'v1', 'driving']:
            self._send(400, b'{"code": "InvalidUrl"}')
            return
        coords = [tuple(map(float, c.split(',')))
            for c in urllib.parse.unquote(parts[4]).split(';')]
        query = urllib.parse.parse_qs(url.query)
        sources = [int(i) for i in query['sources'][0].split(';')]
        targets = [int(i) for i in query['destinations'][0].split(';')]
        durations, distances = [], []
        for i in sources:
            row_t, row_d = [], []
            for j in targets:
                (lon1, lat1), (lon2, lat2) = coords[i], coords[j]
                if self.mode == 'null' and i != j and lat2 > 41.79:
                    row_t.append(None)
                    row_d.append(None)
                    continue
                d = 2 * haversine(lat1, lon1, lat2, lon2)
                row_d.append(round(d, 1))
                row_t.append(round(d / 10, 1))
            durations.append(row_t)
            distances.append(row_d)
        self._send(200, json.dumps({
                    'code': 'Ok', 'durations': durations,
                    'distances': distances,
                    'sources': [{'location': coords[i]} for i in sources],
                    'destinations': [{'location': coords[j]}
                        for j in targets]}).encode())

    def _send(self, status, body):
        if self.mode == 'slow':
            return  # the client gave up
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class OSRMTestCase(unittest.TestCase):
    "The OSRM table client against a tiny local server"

    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), _OSRMHandler)
        cls.url = f'http://127.0.0.1:{cls.server.server_address[1]}'
        cls.thread = threading.Thread(
            target=cls.server.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        _OSRMHandler.mode = 'ok'
        _OSRMHandler.requests = []
        self.points = [CENTRE, DIDUBE, (41.70, 44.80), (41.80, 44.81),
            (41.69, 44.88)]

    def test_table(self):
        matrix = osrm_table(self.url, self.points, timeout=5)
        self.assertEqual(matrix.source, 'osrm')
        expected = round(2 * haversine(*CENTRE, *DIDUBE), 1)
        self.assertAlmostEqual(matrix.distances[0][1], expected, 6)
        self.assertAlmostEqual(
            matrix.durations[0][1], round(expected / 10, 1), 6)
        self.assertEqual(len(_OSRMHandler.requests), 1)
        self.assertIn('annotations=duration,distance',
            _OSRMHandler.requests[0])
        self.assertIn(f'{CENTRE[1]:.6f},{CENTRE[0]:.6f}',
            _OSRMHandler.requests[0])

    def test_table_chunks(self):
        "Blocks of sources x destinations give the same matrix"
        whole = osrm_table(self.url, self.points, timeout=5)
        _OSRMHandler.requests = []
        chunked = osrm_table(self.url, self.points, timeout=5, chunk_size=4)
        self.assertGreater(len(_OSRMHandler.requests), 1)
        self.assertEqual(whole.distances.tolist(), chunked.distances.tolist())
        self.assertEqual(whole.durations.tolist(), chunked.durations.tolist())

    def test_table_null(self):
        "Cells OSRM cannot route are estimated and reported"
        _OSRMHandler.mode = 'null'
        matrix = osrm_table(self.url, self.points, timeout=5)
        self.assertTrue(matrix.warnings)
        self.assertAlmostEqual(matrix.distances[0][3],
            1.3 * haversine(*CENTRE, *self.points[3]), 3)

    def test_provider_osrm(self):
        provider = DistanceMatrix(osrm_url=self.url, timeout=5)
        matrix = provider.matrix(self.points)
        self.assertEqual(matrix.source, 'osrm')
        self.assertIsNone(provider.last_error)

    def test_fallback_down(self):
        "A server that is not there: haversine"
        with socket_free_port() as port:
            provider = DistanceMatrix(
                osrm_url=f'http://127.0.0.1:{port}', timeout=2)
            matrix = provider.matrix(self.points)
        self.assertTrue(matrix.source.startswith('haversine'))
        self.assertTrue(provider.last_error)
        self.assertTrue(matrix.warnings)
        self.assertAlmostEqual(matrix.distances[0][1],
            1.3 * haversine(*CENTRE, *DIDUBE), 3)

    def test_fallback_timeout(self):
        _OSRMHandler.mode = 'slow'
        provider = DistanceMatrix(osrm_url=self.url, timeout=0.3)
        start = time.monotonic()
        matrix = provider.matrix(self.points)
        self.assertLess(time.monotonic() - start, 1.4)
        self.assertTrue(matrix.source.startswith('haversine'))

    def test_fallback_garbage_and_error(self):
        for mode in ('garbage', 'error'):
            with self.subTest(mode=mode):
                _OSRMHandler.mode = mode
                with self.assertRaises(OSRMError):
                    osrm_table(self.url, self.points, timeout=5)
                matrix = DistanceMatrix(
                    osrm_url=self.url, timeout=5).matrix(self.points)
                self.assertTrue(matrix.source.startswith('haversine'))

    def test_solve_with_osrm_down(self):
        "The optimiser still plans when the routing server is down"
        with socket_free_port() as port:
            problem = random_city(3, 15)
            problem.distances = DistanceMatrix(
                osrm_url=f'http://127.0.0.1:{port}', timeout=1)
            solution = NearestNeighbourEngine().solve(problem)
        self.assertTrue(solution.source.startswith('haversine'))
        self.assertTrue(any('OSRM' in w for w in solution.warnings))
        self.assertTrue(solution.routes)


class socket_free_port:
    "A port where nothing listens (bound, not listening, then closed)"

    def __enter__(self):
        import socket
        self.socket = socket.socket()
        self.socket.bind(('127.0.0.1', 0))
        return self.socket.getsockname()[1]

    def __exit__(self, *args):
        self.socket.close()


class NearestNeighbourTestCase(SolutionChecks, unittest.TestCase):

    def test_city(self):
        problem = random_city(1, 60, vehicles=6, pairs=3)
        solution = NearestNeighbourEngine().solve(problem, time_limit=0)
        self.check_solution(problem, solution, all_served=True)
        self.assertEqual(solution.engine, 'nearest')

    def test_line(self):
        "The greedy tour of a known case: 0 -> 1 -> -2.5 -> 5 -> 0"
        depot = Depot('d', 0, 0)
        stops = [Stop(x, 0, x) for x in (1, -2.5, 5)]
        problem = planar([depot], [Vehicle('v', 'd')], stops)
        solution = NearestNeighbourEngine().solve(problem)
        self.assertEqual(solution.routes[0].stops, [1, -2.5, 5])
        self.assertAlmostEqual(solution.distance_m, 17)


@unittest.skipUnless(has_pyvrp(), "pyvrp is not installed")
class PyVRPTestCase(SolutionChecks, unittest.TestCase):

    def engine(self, **options):
        options.setdefault('max_iterations', 2000)
        return PyVRPEngine(**options)

    def test_line_optimum(self):
        "Where the nearest neighbour is 17, the optimum is 15"
        depot = Depot('d', 0, 0)
        stops = [Stop(x, 0, x) for x in (1, -2.5, 5)]
        problem = planar([depot], [Vehicle('v', 'd')], stops)
        solution = self.engine().solve(problem, time_limit=5, seed=1)
        self.assertAlmostEqual(solution.distance_m, 15)
        self.check_solution(problem, solution, all_served=True)

    def test_brute_force_optimum(self):
        "2 vehicles, capacities, windows: the optimum found by enumeration"
        rng = random.Random(7)
        depot = Depot('d', 50, 50, opens=0, closes=400)
        stops = []
        for k in range(7):
            start = rng.choice((0, 50, 100))
            stops.append(Stop(k, rng.uniform(0, 100), rng.uniform(0, 100),
                    demand=(rng.randint(1, 4),), service_time=5,
                    tw_start=start, tw_end=start + 150))
        vehicles = [Vehicle(v, 'd', capacity=(10,), cost_per_km=1000,
                shift_start=0, shift_end=400) for v in 'ab']
        problem = planar([depot], vehicles, stops)
        best = brute_force(problem)
        solution = self.engine(scale=1000).solve(problem, time_limit=5, seed=3)
        self.check_solution(problem, solution, all_served=True)
        self.assertAlmostEqual(solution.distance_m, best, delta=1e-3)

    def test_windows_and_capacities(self):
        "Windows, 3 capacity dimensions, shifts, several depots"
        problem = random_city(2, 80, vehicles=8)
        solution = self.engine().solve(problem, time_limit=10, seed=1)
        self.check_solution(problem, solution)
        self.assertGreater(solution.num_visits, 70)
        depots = {r.depot for r in solution.routes}
        self.assertEqual(depots, {'centre', 'didube'})

    def test_capacity_dimensions(self):
        "Each dimension binds on its own: kg, then m3, then parcels"
        depot = Depot('d', *CENTRE)
        stops = []
        for k in range(12):
            demand = [(8, 0.01, 1), (1, 0.4, 1), (1, 0.01, 6)][k % 3]
            stops.append(Stop(k, CENTRE[0] + 0.01 * math.cos(k),
                    CENTRE[1] + 0.01 * math.sin(k), demand=demand))
        vehicles = [Vehicle(v, 'd', capacity=(20, 1.0, 15), fixed_cost=10)
            for v in range(6)]
        problem = Problem([depot], vehicles, stops)
        solution = self.engine().solve(problem, time_limit=5, seed=1)
        self.check_solution(problem, solution, all_served=True)
        # 40 kg / 20, 1.68 m3 / 1.0, 32 parcels / 15: at least 3 trips
        self.assertGreaterEqual(solution.num_vehicles, 3)
        for route in solution.routes:
            self.assertTrue(all(
                    route.load[k] <= (20, 1.0, 15)[k] + 1e-9
                    for k in range(3)))

    def test_pickup_delivery_pairs(self):
        problem = random_city(4, 30, vehicles=4, pairs=6)
        solution = self.engine().solve(problem, time_limit=10, seed=1)
        self.check_solution(problem, solution, all_served=True)
        for k in range(6):
            route = next(r for r in solution.routes if f'P{k}' in r.stops)
            stops = route.stops
            self.assertIn(f'D{k}', stops)
            self.assertLess(stops.index(f'P{k}'), stops.index(f'D{k}'))
            # what is picked up is on board until delivered
            pickup = route.visits[stops.index(f'P{k}')]
            before = route.visits[stops.index(f'P{k}') - 1].load if (
                stops.index(f'P{k}')) else route.load
            self.assertAlmostEqual(pickup.load[0] - before[0], 2.0)

    def test_pair_far_apart_same_trip(self):
        "A pair with a pickup at each end of the town is still one trip"
        depots = [Depot('a', *CENTRE), Depot('b', *DIDUBE)]
        vehicles = [Vehicle('va', 'a'), Vehicle('vb', 'b')]
        stops = [Stop('p', DIDUBE[0] + 0.001, DIDUBE[1], demand=(1,),
                kind='pickup'),
            Stop('d', CENTRE[0] + 0.001, CENTRE[1], demand=(1,),
                kind='delivery', pickup='p')]
        problem = Problem(depots, vehicles, stops)
        solution = self.engine().solve(problem, time_limit=5, seed=1)
        self.check_solution(problem, solution, all_served=True)
        self.assertEqual(len(solution.routes), 1)

    def test_breaks(self):
        problem = random_city(5, 50, vehicles=4, breaks=True)
        solution = self.engine().solve(problem, time_limit=10, seed=1)
        self.check_solution(problem, solution)
        self.assertTrue(solution.routes)
        for route in solution.routes:
            self.assertIsNotNone(route.break_start)
            self.assertAlmostEqual(
                route.break_end - route.break_start, 1800)

    def break_case(self):
        """Two stops 300 m from the depot, the same distance in either
        order for PyVRP (which has no breaks), but the break (30 min from
        12:00-12:05) fits only after x: (problem, instance)"""
        depot = Depot('d', *CENTRE)
        vehicle = Vehicle('v', 'd', shift_start=9 * H, shift_end=19 * H,
            break_=Break(12 * H, 12 * H + 300, 1800))
        x = Stop('x', CENTRE[0] + 0.0027, CENTRE[1], service_time=120,
            tw_start=12 * H, tw_end=12 * H + 900)
        y = Stop('y', CENTRE[0] - 0.0027, CENTRE[1], service_time=120,
            tw_start=12 * H, tw_end=13 * H)
        problem = Problem([depot], [vehicle], [x, y])
        return problem, Instance(problem)

    @unittest.skipUnless(has_pyvrp(), "PyVRP is not installed")
    def test_break_phase(self):
        "A plan whose break pushes a stop out is searched again, tighter"
        from trytond.modules.delivery_courier_routes import solver
        problem, inst = self.break_case()
        x, y = inst.index['x'], inst.index['y']
        self.assertFalse(inst.check(0, [y, x]).ok)
        self.assertTrue(inst.check(0, [x, y]).ok)
        stats = {}
        run = solver._PyVRPRun(self.engine(), inst,
            solver._Clock('wall', 2), 1, stats)
        pushed = run.to_pyvrp(run.data, {0: [y, x]})
        self.assertTrue(pushed.is_feasible())   # for PyVRP
        found = run.break_phase(pushed)
        self.assertEqual(stats['break_phase'], 1)
        self.assertTrue(found.is_feasible())
        self.assertEqual(run.from_pyvrp(found), {0: [x, y]})
        # the plan before the break phase is kept for choose()
        self.assertIs(run.earlier[0], pushed)
        # a plan that needs no repair has no break phase
        clean = run.to_pyvrp(run.data, {0: [x, y]})
        self.assertIs(run.break_phase(clean), clean)
        # the engine under a time limit alone (the break phase's case):
        # both stops on one trip, the break after x
        for seed in range(3):
            solution = PyVRPEngine().solve(problem, time_limit=0.5, seed=seed)
            self.check_solution(problem, solution, all_served=True)
            route, = solution.routes
            self.assertEqual(route.stops, ['x', 'y'])
            self.assertGreaterEqual(route.break_start,
                route.visits[0].departure)

    @unittest.skipUnless(has_pyvrp(), "PyVRP is not installed")
    def test_choose(self):
        "Of PyVRP's best needing a repair and a plan that needs none"
        from trytond.modules.delivery_courier_routes import solver
        problem, inst = self.break_case()
        x, y = inst.index['x'], inst.index['y']
        stats = {}
        run = solver._PyVRPRun(self.engine(), inst,
            solver._Clock('wall', 2), 1, stats)
        run.tracker = solver._CleanBest(run, 0)
        best = run.to_pyvrp(run.data, {0: [y, x]})
        clean = run.to_pyvrp(run.data, {0: [x, y]})
        self.assertFalse(run.tracker.clean(best))
        self.assertTrue(run.tracker.clean(clean))
        # the repaired best serves both as well: the same money, kept
        run.tracker.solution = clean
        self.assertEqual(run.choose(best, {0: [y, x]}), {0: [x, y]})
        self.assertIn('repair', stats)
        # no alternative: the best as it is (the Instance repairs it)
        run.tracker.solution = None
        self.assertEqual(run.choose(best, {0: [y, x]}), {0: [y, x]})

    def test_optional_priorities(self):
        "An optional stop is served when worth it, left for tomorrow if not"
        depot = Depot('d', *CENTRE)
        near = Stop('near', CENTRE[0] + 0.002, CENTRE[1], required=False,
            priority=1)
        far = Stop('far', 41.85, 44.95, required=False, prize=1.0)
        must = Stop('must', CENTRE[0], CENTRE[1] + 0.003)
        vehicles = [Vehicle('v', 'd', cost_per_km=2.0)]
        problem = Problem([depot], vehicles, [near, far, must])
        solution = self.engine().solve(problem, time_limit=5, seed=1)
        self.check_solution(problem, solution)
        self.assertEqual(set(solution.routes[0].stops), {'near', 'must'})
        self.assertEqual(solution.unassigned, [('far', 'not_selected')])
        self.assertIn('optional', solution.details['far'])

    def test_unassigned_reasons(self):
        "Bad input is explained, never raised"
        depot = Depot('d', *CENTRE)
        vehicle = Vehicle('v', 'd', capacity=(10, 1.0, 5),
            shift_start=9 * H, shift_end=18 * H)
        ok = Stop('ok', CENTRE[0] + 0.01, CENTRE[1], demand=(1, 0.1, 1),
            tw_start=10 * H, tw_end=12 * H)
        stops = [
            ok,
            Stop('nocoord', None, None),
            Stop('nan', float('nan'), 44.8),
            Stop('outside', 95.0, 44.8),
            Stop('heavy', CENTRE[0], CENTRE[1] + 0.01, demand=(50, 0, 1)),
            Stop('bulky', CENTRE[0], CENTRE[1] + 0.01, demand=(1, 3, 1)),
            Stop('night', CENTRE[0], CENTRE[1] + 0.01, tw_start=2 * H,
                tw_end=3 * H),
            Stop('reversed', CENTRE[0], CENTRE[1] + 0.01, tw_start=12 * H,
                tw_end=11 * H),
            Stop('negative', CENTRE[0], CENTRE[1] + 0.01, demand=(-1,)),
            Stop('ok', 41.7, 44.8),
            Stop('lost-pickup', None, None, kind='pickup'),
            Stop('its-delivery', 41.72, 44.8, kind='delivery',
                pickup='lost-pickup'),
            Stop('orphan', 41.72, 44.8, kind='delivery', pickup='nowhere'),
            Stop('its-pickup', 41.72, 44.8, kind='pickup'),
            Stop('lost-delivery', None, None, kind='delivery',
                pickup='its-pickup'),
            Stop('weird', 41.72, 44.8, kind='teleport'),
            ]
        problem = Problem([depot], [vehicle], stops)
        expected = {
            'nocoord': 'no_coordinates', 'nan': 'no_coordinates',
            'outside': 'no_coordinates', 'heavy': 'capacity',
            'bulky': 'capacity', 'night': 'time_window',
            'reversed': 'time_window', 'negative': 'other',
            'lost-pickup': 'no_coordinates', 'its-delivery': 'no_coordinates',
            'orphan': 'other', 'weird': 'other',
            'its-pickup': 'no_coordinates', 'lost-delivery': 'no_coordinates',
            }
        for engine in (self.engine(), NearestNeighbourEngine()):
            with self.subTest(engine=engine.name):
                solution = engine.solve(problem, time_limit=2, seed=1)
                reasons = dict(u for u in solution.unassigned
                    if u.stop != 'ok')
                self.assertEqual(reasons, expected)
                self.assertEqual(solution.routes[0].stops, ['ok'])
                # the second 'ok' is a duplicate id
                self.assertIn(('ok', 'other'), solution.unassigned)
                for stop_id in expected:
                    self.assertTrue(solution.details[stop_id])

    def test_no_vehicle(self):
        stops = [Stop(k, 41.7 + k / 100, 44.8) for k in range(3)] + [
            Stop('x', None, None)]
        for vehicles in ([], [Vehicle('v', 'unknown-depot')],
                [Vehicle('v', 'd', shift_start=18 * H, shift_end=9 * H)]):
            with self.subTest(vehicles=vehicles):
                problem = Problem([Depot('d', *CENTRE)], vehicles, stops)
                solution = self.engine().solve(problem, time_limit=1)
                self.assertEqual(solution.routes, [])
                self.assertEqual(dict(solution.unassigned), {
                        0: 'no_vehicle', 1: 'no_vehicle', 2: 'no_vehicle',
                        'x': 'no_coordinates'})
        problem = Problem([], [], [])
        self.assertEqual(self.engine().solve(problem).routes, [])

    def test_fleet_too_small(self):
        "More required stops than a short shift allows: not_selected"
        depot = Depot('d', *CENTRE)
        stops = [Stop(k, CENTRE[0] + 0.02 * math.cos(k),
                CENTRE[1] + 0.02 * math.sin(k), service_time=900)
            for k in range(30)]
        vehicle = Vehicle('v', 'd', shift_start=9 * H, shift_end=12 * H)
        problem = Problem([depot], [vehicle], stops)
        solution = self.engine().solve(problem, time_limit=3, seed=1)
        self.check_solution(problem, solution)
        self.assertGreater(solution.num_visits, 5)
        self.assertLess(solution.num_visits, 13)
        reasons = {u.reason for u in solution.unassigned}
        self.assertEqual(reasons, {'not_selected'})
        if isinstance(self.engine(), PyVRPEngine):
            # the required stops could not all be served: after a quarter
            # of the time the search went on with them optional
            self.assertEqual(solution.stats.get('required'), 'soft')

    def test_time_limit_zero(self):
        problem = random_city(6, 200, vehicles=10)
        start = time.monotonic()
        solution = PyVRPEngine().solve(problem, time_limit=0)
        self.assertLess(time.monotonic() - start, 3)
        self.assertEqual(solution.stats.get('fallback'), 'time limit 0')
        self.check_solution(problem, solution)
        self.assertGreater(solution.num_visits, 150)

    def test_deterministic(self):
        problem = random_city(8, 40, vehicles=4, pairs=2)
        runs = [self.engine(max_iterations=500).solve(
                problem, time_limit=30, seed=42) for _ in range(2)]
        self.assertEqual(
            [(r.vehicle, r.stops) for r in runs[0].routes],
            [(r.vehicle, r.stops) for r in runs[1].routes])
        other = self.engine(max_iterations=500).solve(
            problem, time_limit=30, seed=43)
        self.check_solution(problem, other)

    def test_progress(self):
        values = []
        problem = random_city(9, 20, vehicles=2)
        PyVRPEngine().solve(problem, time_limit=1, progress=values.append)
        self.assertTrue(values)
        self.assertEqual(values[-1], 1.0)
        self.assertTrue(all(0 <= v <= 1 for v in values))
        self.assertEqual(values, sorted(values))

    def test_engine_failure_falls_back(self):
        "An error inside PyVRP gives the nearest neighbour plan"
        from trytond.modules.delivery_courier_routes import solver
        problem = random_city(10, 20, vehicles=2)
        original = solver._PyVRPRun.run

        def fail(self, nearest):
            raise RuntimeError("boom")
        solver._PyVRPRun.run = fail
        try:
            solution = PyVRPEngine().solve(problem, time_limit=1)
        finally:
            solver._PyVRPRun.run = original
        self.assertTrue(any('boom' in w for w in solution.warnings))
        self.check_solution(problem, solution)
        self.assertTrue(solution.routes)

    def test_better_than_nearest(self):
        problem = random_city(11, 60, vehicles=6, windows=False)
        nearest = NearestNeighbourEngine().solve(problem)
        pyvrp = self.engine().solve(problem, time_limit=10, seed=1)
        self.check_solution(problem, pyvrp, all_served=True)
        self.assertLess(pyvrp.cost, nearest.cost)

    def test_minimise_vehicles(self):
        "The hierarchical objective on a small Solomon-like case"
        depot = Depot('d', 0, 0, opens=0, closes=1000)
        rng = random.Random(12)
        stops = [Stop(k, rng.uniform(-30, 30), rng.uniform(-30, 30),
                demand=(rng.randint(5, 20),), service_time=10,
                tw_start=0, tw_end=1000) for k in range(25)]
        vehicles = [Vehicle(v, 'd', capacity=(100,), cost_per_km=1000,
                shift_start=0, shift_end=1000) for v in range(10)]
        problem = planar([depot], vehicles, stops)
        solution = PyVRPEngine(scale=100, minimise_vehicles=True).solve(
            problem, time_limit=3, seed=1)
        self.check_solution(problem, solution, all_served=True)
        demand = sum(s.demand[0] for s in stops)
        self.assertEqual(solution.num_vehicles, math.ceil(demand / 100))


class InstanceTestCase(unittest.TestCase):

    def test_get_engine(self):
        self.assertIsInstance(get_engine('nearest'), NearestNeighbourEngine)
        self.assertIsInstance(get_engine('pyvrp', scale=10), PyVRPEngine)

    def test_problem_lookup(self):
        problem = random_city(1, 3, vehicles=2)
        self.assertEqual(problem.vehicle('v1').id, 'v1')
        self.assertEqual(problem.stop('s2').id, 's2')
        self.assertEqual(problem.depot('didube').id, 'didube')
        with self.assertRaises(KeyError):
            problem.vehicle('nobody')

    def test_check_culprit(self):
        "Instance.check names a stop to drop when a route is infeasible"
        depot = Depot('d', *CENTRE)
        stops = [Stop('a', CENTRE[0] + 0.01, CENTRE[1], tw_start=9 * H,
                tw_end=9 * H + 600),
            Stop('b', CENTRE[0] - 0.01, CENTRE[1], tw_start=9 * H,
                tw_end=9 * H + 500)]
        problem = Problem([depot],
            [Vehicle('v', 'd', shift_start=9 * H, shift_end=18 * H)], stops)
        instance = Instance(problem)
        self.assertTrue(instance.check(0, [0]).ok)
        result = instance.check(0, [0, 1])
        self.assertFalse(result.ok)
        self.assertEqual(result.culprit, 1)
        self.assertEqual(result.reason, 'time_window')

    def test_free_of_trytond(self):
        "solver and distances import without trytond"
        code = (
            "import importlib, sys, types\n"
            f"package = types.ModuleType('engine'); package.__path__ = "
            f"[{HERE!r}]\n"
            "sys.modules['engine'] = package\n"
            "solver = importlib.import_module('engine.solver')\n"
            "importlib.import_module('engine.distances')\n"
            "p = solver.Problem([solver.Depot('d', 41.7, 44.8)],"
            " [solver.Vehicle('v', 'd')], [solver.Stop('s', 41.71, 44.8)])\n"
            "s = solver.NearestNeighbourEngine().solve(p)\n"
            "assert s.routes[0].stops == ['s'], s\n"
            "assert not [m for m in sys.modules if m.startswith('trytond')]\n"
            )
        subprocess.run([sys.executable, '-c', code], check=True)


def brute_force(problem):
    "Shortest feasible plan of a tiny problem by enumeration"
    instance = Instance(problem)
    n = instance.n
    best = math.inf
    memo = {}

    def best_route(v, subset):
        key = (v, subset)
        if key not in memo:
            value = math.inf
            for order in itertools.permutations(subset):
                result = instance.check(v, list(order))
                if result.ok:
                    value = min(value, result.route.distance_m)
            memo[key] = value
        return memo[key]
    for assignment in itertools.product(range(instance.m), repeat=n):
        parts = [tuple(i for i in range(n) if assignment[i] == v)
            for v in range(instance.m)]
        if parts[0] > parts[1]:
            continue
        total = sum(best_route(v, part) if part else 0
            for v, part in enumerate(parts))
        best = min(best, total)
    return best


if __name__ == '__main__':
    unittest.main()
