# This file is part of the Delivery CRM for Tryton.
"""Peers of the route optimiser for the benchmark only (not shipped).

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

import numpy as np

from trytond.modules.delivery_courier_routes.solver import (
    COST_SCALE, INT_INF, LOAD_SCALE, Engine)

__all__ = ['ORToolsEngine', 'available']


def available():
    try:
        import ortools  # noqa: F401
    except ImportError:
        return False
    return True


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
