# This file is part of the Delivery CRM for Tryton.
"""Peers of the route optimiser for the benchmark only (not shipped).

`RawPyVRPEngine` is PyVRP used directly, as a PyVRP user would model the
day without our adapter (see its docstring): the benchmark's --city mode
compares it with PyVRPEngine on the same data.

`ORToolsEngine` plugs Google OR-Tools' routing solver into the module's
`Engine` interface, on the same prepared `Instance` (same matrices, windows,
capacities, pairs, fixed costs), so that the benchmark compares solvers and
not adapters.  It needs the benchmark extra ``ortools``
(tests/bench/requirements-bench.txt).

Model: arc cost = unit cost x distance (integers at ``scale`` per metre,
like PyVRPEngine); a time dimension (travel rounded up + service, waiting
allowed) with the stop windows and the vehicle's shift (break duration
reserved, as PyVRPEngine does); one capacity dimension per load dimension
whose cumul starts at the load taken at the depot (deliveries -q, pickups +q,
0 <= load <= capacity everywhere, the load at the start tied to a second
dimension that counts down the route's deliveries to 0, so that goods
picked up never feed deliveries); pairs with AddPickupAndDelivery, same
vehicle, pickup first; optional stops as disjunctions with their prize,
required ones with a penalty larger than any route (the same soft model as
PyVRPEngine).  Hierarchical objective (minimise_vehicles): a fixed cost per
vehicle larger than any total distance.  Search: parallel cheapest
insertion then guided local search, single thread.

OR-Tools stops on wall-clock time only; with the 'cpu' clock a callback at
each new solution ends the search when the process time is over, and the
wall limit is a generous guard.
"""
import math
import warnings

import numpy as np

from trytond.modules.delivery_courier_routes.solver import (
    COST_SCALE, INT_INF, LOAD_SCALE, Engine)

__all__ = ['ORToolsEngine', 'RawPyVRPEngine', 'available']


def available():
    try:
        import ortools
    except ImportError:
        return False
    return ortools is not None


class ORToolsEngine(Engine):
    name = 'ortools'

    def __init__(
            self, clock='wall', prize_per_priority=10.0, scale=1,
            minimise_vehicles=False,
            first_solution='PARALLEL_CHEAPEST_INSERTION',
            metaheuristic='GUIDED_LOCAL_SEARCH'):
        super().__init__(clock, prize_per_priority)
        self.scale = scale
        self.minimise_vehicles = minimise_vehicles
        self.first_solution = first_solution
        self.metaheuristic = metaheuristic

    def _solve(self, inst, clock, seed, stats):
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
        s = self.scale
        n_loc = len(inst.points)
        manager = pywrapcp.RoutingIndexManager(
            n_loc, inst.m, [int(x) for x in inst.start_loc],
            [int(x) for x in inst.end_loc])
        routing = pywrapcp.RoutingModel(manager)
        dist = np.rint(inst.distances * s).astype(np.int64)
        # nodes that are not stops (depots) carry no service time
        service = np.zeros(n_loc, dtype=np.int64)
        stop_at = -np.ones(n_loc, dtype=np.int64)
        for i in range(inst.n):
            service[inst.loc[i]] = math.ceil(inst.service[i] * s - 1e-9)
            stop_at[inst.loc[i]] = i
        # arc costs by cost per km
        units = [max(1, round(c * COST_SCALE / 1000 / s))
            for c in inst.cost_per_km]
        cost_callbacks = {}
        for v in range(inst.m):
            unit = units[v]
            if unit not in cost_callbacks:
                cost_callbacks[unit] = routing.RegisterTransitMatrix(
                    (dist * unit).tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_callbacks[unit], v)
        horizon = int(math.ceil(inst.latest.max() * s)) + 1
        extra = 0
        if self.minimise_vehicles:
            extra = int(max(units) * (int(dist.max()) + 1) * 2
                * (inst.n + 1))
        for v in range(inst.m):
            routing.SetFixedCostOfVehicle(
                int(round(inst.fixed_cost[v] * COST_SCALE)) + extra, v)
        # time
        time_callbacks = []
        for profile, durations in enumerate(inst.durations):
            travel = np.ceil(durations * s - 1e-6).astype(np.int64)
            travel = travel + service[:, None]
            time_callbacks.append(
                routing.RegisterTransitMatrix(travel.tolist()))
        routing.AddDimensionWithVehicleTransits(
            [time_callbacks[inst.profile[v]] for v in range(inst.m)],
            horizon, horizon, False, 'Time')
        time_dim = routing.GetDimensionOrDie('Time')
        for i in range(inst.n):
            index = manager.NodeToIndex(int(inst.loc[i]))
            early = math.ceil(inst.tw_start[i] * s - 1e-9)
            late = math.floor(min(inst.tw_end[i] * s, horizon) + 1e-9)
            time_dim.CumulVar(index).SetRange(early, max(early, late))
        for v in range(inst.m):
            early = math.ceil(inst.earliest[v] * s - 1e-9)
            late = math.floor(
                (inst.latest[v] - inst.break_duration[v]) * s + 1e-9)
            time_dim.CumulVar(routing.Start(v)).SetRange(
                early, max(early, late))
            time_dim.CumulVar(routing.End(v)).SetRange(
                early, max(early, late))
            routing.AddVariableMinimizedByFinalizer(
                time_dim.CumulVar(routing.Start(v)))
            routing.AddVariableMinimizedByFinalizer(
                time_dim.CumulVar(routing.End(v)))
        # loads
        load = np.ceil(inst.demand * LOAD_SCALE - 1e-6).astype(np.int64)
        capacity = np.where(np.isinf(inst.capacity), INT_INF, np.floor(
                np.nan_to_num(inst.capacity, posinf=0) * LOAD_SCALE
                + 1e-6)).astype(np.int64)
        for k in range(inst.dims):
            if (capacity[:, k] >= INT_INF).all() or not load[:, k].any():
                continue
            # on board: -q at deliveries, +q at pickups, within capacity;
            # what leaves the depot = the route's single deliveries (a
            # second dimension that ends at 0), not a free start
            change = np.zeros(n_loc, dtype=np.int64)
            deliver = np.zeros(n_loc, dtype=np.int64)
            for i in range(inst.n):
                sign = -1 if inst.kind[i] == 0 else 1
                change[inst.loc[i]] += sign * int(load[i, k])
                if inst.kind[i] == 0 and inst.partner[i] < 0:
                    deliver[inst.loc[i]] -= int(load[i, k])
            caps = [int(c) for c in capacity[:, k]]
            routing.AddDimensionWithVehicleCapacity(
                routing.RegisterUnaryTransitVector(change.tolist()), 0,
                caps, False, f'Load{k}')
            routing.AddDimensionWithVehicleCapacity(
                routing.RegisterUnaryTransitVector(deliver.tolist()), 0,
                caps, False, f'Deliver{k}')
            on_board = routing.GetDimensionOrDie(f'Load{k}')
            to_deliver = routing.GetDimensionOrDie(f'Deliver{k}')
            for v in range(inst.m):
                to_deliver.CumulVar(routing.End(v)).SetValue(0)
                routing.solver().Add(
                    on_board.CumulVar(routing.Start(v))
                    == to_deliver.CumulVar(routing.Start(v)))
        # pairs
        for job in inst.jobs:
            if len(job) == 2:
                p, d = (manager.NodeToIndex(int(inst.loc[i])) for i in job)
                routing.AddPickupAndDelivery(p, d)
                routing.solver().Add(
                    routing.VehicleVar(p) == routing.VehicleVar(d))
                routing.solver().Add(
                    time_dim.CumulVar(p) <= time_dim.CumulVar(d))
        # depots that are nobody's start or end are not places to visit
        ends = set(int(x) for x in inst.start_loc) | set(
            int(x) for x in inst.end_loc)
        for k in range(len(inst.depot_list)):
            if k not in ends:
                routing.AddDisjunction([manager.NodeToIndex(k)], 0)
        # who may serve what, optional and soft required stops
        required_penalty = int(4 * (
                int(round(inst.fixed_cost.max() * COST_SCALE)) + extra
                + max(units) * 2 * (int(dist.max()) + 1)) + 1)
        for job in inst.jobs:
            indices = [manager.NodeToIndex(int(inst.loc[i])) for i in job]
            i = job[0]
            allowed = [v for v in range(inst.m) if inst.can_serve[v, i]]
            if len(allowed) < inst.m:
                for index in indices:
                    # -1: not performed (SetAllowedVehiclesForIndex does
                    # not take a Python list in OR-Tools 9.15)
                    routing.VehicleVar(index).SetValues([-1] + allowed)
            if inst.required[list(job)].any():
                penalty = required_penalty
            else:
                penalty = int(round(inst.prize[list(job)].max()
                        * COST_SCALE))
            routing.AddDisjunction(indices, penalty, len(indices))
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = getattr(
            routing_enums_pb2.FirstSolutionStrategy, self.first_solution)
        params.local_search_metaheuristic = getattr(
            routing_enums_pb2.LocalSearchMetaheuristic, self.metaheuristic)
        left = max(0.05, clock.left())
        wall = left if self.clock == 'wall' else 20 * left + 5
        params.time_limit.FromMilliseconds(int(wall * 1000))
        if self.clock == 'cpu':
            def at_solution():
                clock.report()
                if clock.over():
                    routing.solver().FinishCurrentSearch()
            routing.AddAtSolutionCallback(at_solution)
        assignment = routing.SolveWithParameters(params)
        if assignment is None:
            stats['status'] = routing.status()
            return {}
        routes = {}
        for v in range(inst.m):
            index = routing.Start(v)
            seq = []
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                if stop_at[node] >= 0:
                    seq.append(int(stop_at[node]))
                index = assignment.Value(routing.NextVar(index))
            if seq:
                routes[v] = seq
        stats['objective'] = assignment.ObjectiveValue()
        return routes


class RawPyVRPEngine(Engine):
    """PyVRP without our adapter: the day as a PyVRP user would model it.

    From the prepared `Instance` (the same matrices, windows, service
    times, demands, capacities, depots, shifts and pairs as PyVRPEngine):

    - distances in metres (rounded) and durations in seconds (rounded up),
      one duration matrix per speed profile;
    - loads at 1/1000 of a unit (rounded up), capacities rounded down;
    - every stop required: a `pyvrp.Client` per single stop (delivery or
      pickup amount), a `pyvrp.Shipment` per pickup-and-delivery pair;
      windows rounded inwards, no window = PyVRP's default;
    - one `pyvrp.VehicleType` per distinct vehicle (start and end depot,
      capacity, shift, profile, costs; ``num_available`` identical ones),
      its time window the shift with the break duration reserved at its
      end (as PyVRPEngine does: PyVRP has no breaks);
    - costs as integers normalised so that a metre of the most expensive
      vehicle is 1000 units: ``unit_distance_cost = max(1, round(1000 *
      c_v / c_max))`` and ``fixed_cost = round(fixed_v * 1000 / c_max per
      metre)`` (c per km); the objective is therefore the same money as
      the adapter's, whatever its magnitude (0.3 or 3000 per km);
    - ``pyvrp.solve(data, stop=AtDeadline(clock), seed=seed)``: PyVRP's
      own solve with its defaults (its penalty manager, a random initial
      solution, no warm start), single thread, stopped at the engine's
      deadline on the wall clock like the adapter.

    The best solution is translated back to {vehicle index: [stop index]}
    (feasible or not: the base Engine checks it and repairs it as for any
    engine).  stats: ``raw_feasible``, ``iterations``, ``objective``
    (PyVRP's units), ``pyvrp_warnings``."""
    name = 'raw'

    def __init__(self, clock='wall', prize_per_priority=10.0,
            max_iterations=None):
        super().__init__(clock, prize_per_priority)
        self.max_iterations = max_iterations

    def data(self, inst):
        """(ProblemData, client_stop, shipment_stops, type_members) of the
        Instance"""
        import pyvrp
        locations = [pyvrp.Location(x=float(lon), y=float(lat))
            for lat, lon in inst.points]
        distance = np.rint(inst.distances).astype(np.int64)
        durations = [np.ceil(d - 1e-6).astype(np.int64)
            for d in inst.durations]
        for matrix in [distance] + durations:
            np.fill_diagonal(matrix, 0)
        depots = [pyvrp.Depot(location=k,
                tw_early=_ceil(max(0.0, float(d.opens or 0))),
                tw_late=_floor(float(d.closes)))
            for k, d in enumerate(inst.depot_list)]
        load = np.ceil(inst.demand * LOAD_SCALE - 1e-6).astype(np.int64)
        capacity = np.where(np.isinf(inst.capacity), INT_INF, np.floor(
                np.nan_to_num(inst.capacity, posinf=0) * LOAD_SCALE
                + 1e-6)).astype(np.int64)
        zero = [0] * inst.dims

        def window(i):
            early = _ceil(inst.tw_start[i])
            if not np.isfinite(inst.tw_end[i]):
                return dict(tw_early=early)
            return dict(tw_early=early,
                tw_late=max(early, _floor(inst.tw_end[i])))

        clients, client_stop, shipments, shipment_stops = [], [], [], []
        for job in inst.jobs:
            if len(job) == 1:
                i = job[0]
                q = [int(x) for x in load[i]]
                clients.append(pyvrp.Client(
                        location=int(inst.loc[i]),
                        delivery=q if inst.kind[i] == 0 else zero,
                        pickup=q if inst.kind[i] == 1 else zero,
                        service_duration=_ceil(inst.service[i]),
                        required=True, **window(i)))
                client_stop.append(i)
            else:
                p, d = job
                pw, dw = window(p), window(d)
                shipments.append(pyvrp.Shipment(
                        pickup_location=int(inst.loc[p]),
                        delivery_location=int(inst.loc[d]),
                        pickup_service_duration=_ceil(inst.service[p]),
                        delivery_service_duration=_ceil(inst.service[d]),
                        amount=[int(x) for x in load[p]], required=True,
                        **{f'pickup_{k}': x for k, x in pw.items()},
                        **{f'delivery_{k}': x for k, x in dw.items()}))
                shipment_stops.append((p, d))
        # money: a metre of the most expensive vehicle = 1000 units
        c_max = float(inst.cost_per_km.max()) if inst.m else 0.0
        if c_max > 0:
            units = [max(1, round(1000 * c / c_max))
                for c in inst.cost_per_km]
            fixed = [round(f * 1000 / (c_max / 1000))
                for f in inst.fixed_cost]
        else:       # no distance cost: 1 unit per metre, 1000 per money
            units = [1] * inst.m
            fixed = [round(f * 1000) for f in inst.fixed_cost]
        types = {}
        for v in range(inst.m):
            key = (int(inst.start_loc[v]), int(inst.end_loc[v]),
                tuple(int(c) for c in capacity[v]), int(units[v]),
                int(fixed[v]), _ceil(inst.earliest[v]),
                _floor(inst.latest[v] - inst.break_duration[v]),
                int(inst.profile[v]))
            types.setdefault(key, []).append(v)
        vehicle_types = [pyvrp.VehicleType(
                num_available=len(members), capacity=list(cap),
                start_depot=start, end_depot=end, fixed_cost=fix,
                tw_early=early, tw_late=max(early, late),
                unit_distance_cost=unit, profile=profile)
            for (start, end, cap, unit, fix, early, late, profile), members
            in types.items()]
        data = pyvrp.ProblemData(locations, clients, depots, vehicle_types,
            [distance] * len(durations), durations, [], shipments)
        return data, client_stop, shipment_stops, list(types.values())

    def _solve(self, inst, clock, seed, stats):
        import pyvrp
        data, client_stop, shipment_stops, members = self.data(inst)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            result = pyvrp.solve(data, stop=AtDeadline(
                    clock, self.max_iterations), seed=seed,
                collect_stats=False)
        best = result.best
        stats['raw_feasible'] = best.is_feasible()
        stats['iterations'] = result.num_iterations
        stats['objective'] = int(
            best.distance_cost() + best.fixed_vehicle_cost())
        if caught:
            stats['pyvrp_warnings'] = sorted({str(w.message) for w in caught})
        pool = [list(group) for group in members]
        routes = {}
        for route in best.routes():
            group = pool[route.vehicle_type()]
            if not group:
                continue
            seq = []
            for activity in route:
                if activity.is_depot():
                    continue
                if activity.is_pickup():
                    seq.append(shipment_stops[activity.idx][0])
                elif activity.is_delivery():
                    seq.append(shipment_stops[activity.idx][1])
                else:
                    seq.append(client_stop[activity.idx])
            if seq:
                routes[group.pop(0)] = seq
        return routes


class AtDeadline:
    """pyvrp.solve's stopping criterion at the engine's deadline on the
    wall clock. PyVRP's MaxRuntime counts from its first call, after solve
    has built its search and the initial solution: raw PyVRP then ran half a
    second longer than the adapter (whose clock starts with the engine), on
    1,000 stops; both now stop at the same moment."""

    def __init__(self, clock, max_iterations=None):
        self.clock = clock
        self.max_iterations = max_iterations
        self.iterations = 0

    def __call__(self, best_cost):
        # as the adapter's _Deadline: so many iterations, then stop
        self.iterations += 1
        if (self.max_iterations is not None
                and self.iterations > self.max_iterations):
            return True
        return self.clock.now() >= self.clock.deadline


def _ceil(x):
    return int(math.ceil(x - 1e-9))


def _floor(x):
    return int(math.floor(x + 1e-9))
