#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Quality benchmark of the route optimiser (delivery_courier_routes.solver).

Runs the module's engines through the module's own adapter (Problem ->
Engine.solve -> Solution) on the standard instances of ../shared/data/vrp
(override with --data or $VRP_DATA) and on a generated Tbilisi day, with the
same time limit for every engine, and prints one table per set and a
summary line per engine:

- pyvrp:   PyVRPEngine (PyVRP 0.14 iterated local search);
- ortools: OR-Tools routing (parallel cheapest insertion + guided local
           search) behind the same Engine interface (vrp_baselines.py;
           benchmark extra, tests/bench/requirements-bench.txt);
- nearest: NearestNeighbourEngine, the module's fallback.

Sets (--set, repeatable or comma separated; default solomon):

- solomon: the 56 Solomon VRPTW instances, --time-limit 10 s each;
- gh200 / gh400: Gehring & Homberger 200 / 400 customers, 30 s / 60 s;
- x: 5 CVRPLIB X instances (CVRP, rounded EUC_2D, distance only), 30 s;
- tbilisi: a realistic day generated here with a fixed seed: 1,000 stops
  (deliveries, pickups and pickup-and-delivery pairs) with 2-4 h windows in
  09:00-19:00 and 3-6 min service, 40 couriers on scooter/car/van with
  3-dimensional capacities, shifts and breaks, from two depots (Tbilisi
  centre and Didube), haversine x 1.3 with each vehicle's average speed;
  45 s wall-clock limit.

Conventions.  Solomon and Gehring-Homberger: Euclidean distances in double
precision, travel time = distance, hierarchical objective (vehicles, then
distance), best-known solutions of bks.csv (SINTEF).  The engines minimise
vehicles with a fixed cost per vehicle larger than any total distance;
PyVRPEngine adds a route-elimination phase (see PyVRPEngine).  PyVRP and
OR-Tools get integers (scale 1000 per unit, durations rounded up so that
their routes stay feasible in double precision); every reported distance is
recomputed here in double precision from the routes, and every route is
checked again here against the raw instance (windows, capacity, depot
hours, each customer once).  The distance gap is 100 x (distance / BKS - 1);
as usual in the literature for the hierarchical objective it is compared on
the instances solved with the BKS number of vehicles ("gap@BKSv"); the mean
over all instances ("gap all") is printed too (an instance with more
vehicles than the BKS usually has a shorter distance: a negative gap that is
not an improvement).

Targets (exit status 1 when one is missed on the instances run):
solomon: BKS vehicles on >= 90 % and mean gap@BKSv < 1 %;
gh200: mean gap@BKSv < 2 %;
tbilisi: every stop planned, every route feasible, in < 60 s wall clock
(distance matrix included).

Time: --clock cpu (default for the standard sets) measures the limit in
process CPU time, so that a loaded machine does not shorten the search;
--clock wall for the real wall clock (default for tbilisi).  Each engine
runs single-threaded; --jobs N runs N instances in parallel processes.

    .venv/bin/python tests/bench/bench_vrp.py --set solomon
    .venv/bin/python tests/bench/bench_vrp.py --set gh200 --instances 'r1_2_*'
    .venv/bin/python tests/bench/bench_vrp.py --set tbilisi --engines pyvrp
"""
import argparse
import csv
import fnmatch
import math
import multiprocessing
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# the shared data sit beside the repository: ../shared/data/vrp
DATA = os.environ.get('VRP_DATA', os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(
                    os.path.abspath(__file__)))),
        os.pardir, 'shared', 'data', 'vrp'))
SETS = {
    'solomon': dict(folder='solomon', pattern='*.txt', time_limit=10,
        kind='vrptw', clock='cpu'),
    'gh200': dict(folder='homberger', pattern='*_2_*.txt', time_limit=30,
        kind='vrptw', clock='cpu'),
    'gh400': dict(folder='homberger', pattern='*_4_*.txt', time_limit=60,
        kind='vrptw', clock='cpu'),
    'x': dict(folder='cvrplib', pattern='*.vrp', time_limit=30,
        kind='cvrp', clock='cpu'),
    'tbilisi': dict(time_limit=45, kind='tbilisi', clock='wall'),
    }
ENGINES = ('pyvrp', 'ortools', 'nearest')
SCALE = 1000
TBILISI_WALL = 60.0


# ------------------------------------------------------------ instances

def read_bks(data):
    result = {}
    path = os.path.join(data, 'bks.csv')
    if os.path.exists(path):
        with open(path, newline='') as f:
            for row in csv.DictReader(f):
                result[row['instance'].lower()] = (
                    int(row['vehicles']), float(row['distance']))
    return result


def instance_files(data, name, pattern):
    spec = SETS[name]
    folder = os.path.join(data, spec['folder'])
    files = sorted(f for f in os.listdir(folder)
        if fnmatch.fnmatch(f.lower(), spec['pattern'].lower()))
    if pattern:
        patterns = pattern.split(',')
        files = [f for f in files if any(
                fnmatch.fnmatch(os.path.splitext(f)[0].lower(), p.lower())
                for p in patterns)]

    def key(f):
        # C101 < C102 < ... and c1_2_1 < c1_2_2 < ... < c1_2_10
        base = os.path.splitext(f)[0].lower()
        return [int(t) if t.isdigit() else t
            for t in base.replace('_', ' _ ').split(' ')]
    return [os.path.join(folder, f) for f in sorted(files, key=key)]


def read_vrptw(path):
    import vrplib
    raw = vrplib.read_instance(path, instance_format='solomon')
    return dict(
        name=os.path.splitext(os.path.basename(path))[0],
        xy=[tuple(map(float, p)) for p in raw['node_coord']],
        demand=[float(q) for q in raw['demand']],
        tw=[tuple(map(float, w)) for w in raw['time_window']],
        service=[float(s) for s in raw['service_time']],
        capacity=float(raw['capacity']), vehicles=int(raw['vehicles']),
        rounded=False)


def read_cvrp(path):
    import vrplib
    raw = vrplib.read_instance(path)
    depot = int(raw['depot'][0])
    order = [depot] + [i for i in range(len(raw['node_coord']))
        if i != depot]
    n = len(order) - 1
    return dict(
        name=os.path.splitext(os.path.basename(path))[0],
        xy=[tuple(map(float, raw['node_coord'][i])) for i in order],
        demand=[float(raw['demand'][i]) for i in order],
        tw=[(0.0, 1e9)] * (n + 1), service=[0.0] * (n + 1),
        capacity=float(raw['capacity']), vehicles=n, rounded=True)


def problem_of(instance):
    from trytond.modules.delivery_courier_routes.distances import (
        EuclideanDistances)
    from trytond.modules.delivery_courier_routes.solver import (
        Depot, Problem, Stop, Vehicle)
    (x0, y0), (open_, close) = instance['xy'][0], instance['tw'][0]
    depot = Depot('depot', lat=y0, lon=x0, opens=open_, closes=close)
    vehicles = [Vehicle(
            k, 'depot', capacity=(instance['capacity'],), cost_per_km=1.0,
            shift_start=open_, shift_end=close)
        for k in range(instance['vehicles'])]
    stops = [Stop(
            i, lat=y, lon=x, demand=(instance['demand'][i],),
            service_time=instance['service'][i],
            tw_start=instance['tw'][i][0], tw_end=instance['tw'][i][1])
        for i, (x, y) in enumerate(instance['xy']) if i]
    return Problem([depot], vehicles, stops,
        distances=EuclideanDistances(rounded=instance['rounded']))


def verify(instance, solution):
    """Independent check against the raw instance: (ok, vehicles, distance
    in double precision, message)"""
    xy, tw = instance['xy'], instance['tw']

    def d(a, b):
        value = math.hypot(xy[a][0] - xy[b][0], xy[a][1] - xy[b][1])
        return math.floor(value + 0.5) if instance['rounded'] else value
    seen = set()
    total = 0.0
    for route in solution.routes:
        t, load, prev = tw[0][0], 0.0, 0
        for visit in route.visits:
            i = visit.stop
            if i in seen:
                return False, 0, 0, f"customer {i} twice"
            seen.add(i)
            total += d(prev, i)
            t = max(t + d(prev, i), tw[i][0])
            if t > tw[i][1] + 1e-6:
                return False, 0, 0, f"customer {i} late by {t - tw[i][1]}"
            t += instance['service'][i]
            load += instance['demand'][i]
            prev = i
        total += d(prev, 0)
        if t + d(prev, 0) > tw[0][1] + 1e-6:
            return False, 0, 0, "back after the depot closes"
        if load > instance['capacity'] + 1e-6:
            return False, 0, 0, "over capacity"
    missing = len(instance['xy']) - 1 - len(seen)
    if missing:
        return False, len(solution.routes), total, f"{missing} not served"
    return True, len(solution.routes), total, ''


# --------------------------------------------------------- Tbilisi day

DEPOTS = (('centre', 41.7151, 44.8271), ('didube', 41.7479, 44.7806))
# district centres, spread (km) and weight of the day's stops
DISTRICTS = (
    ('Vake', 41.7093, 44.7590, 1.2, 10),
    ('Saburtalo', 41.7270, 44.7550, 1.5, 14),
    ('Didube', 41.7460, 44.7780, 1.0, 7),
    ('Nadzaladevi', 41.7570, 44.7930, 1.2, 9),
    ('Gldani', 41.7960, 44.8110, 1.5, 11),
    ('Chughureti', 41.7160, 44.8000, 0.8, 6),
    ('Mtatsminda', 41.6950, 44.7900, 0.8, 5),
    ('Old Tbilisi', 41.6890, 44.8090, 0.8, 6),
    ('Isani', 41.6930, 44.8430, 1.2, 9),
    ('Samgori', 41.6750, 44.8730, 1.5, 10),
    ('Varketili', 41.6980, 44.8880, 1.0, 6),
    ('Krtsanisi', 41.6700, 44.8200, 0.8, 3),
    ('Dighomi', 41.7650, 44.7400, 1.2, 6),
    )
# type: (count, capacity kg, m3, parcels, cost per km, cost per day)
FLEET = {
    'scooter': (16, 30.0, 0.15, 30, 0.15, 60.0),
    'car': (16, 250.0, 1.5, 90, 0.35, 90.0),
    'van': (8, 800.0, 6.0, 250, 0.60, 130.0),
    }
H = 3600


def tbilisi_problem(seed=2026, stops=1000, couriers=40):
    from trytond.modules.delivery_courier_routes.distances import (
        DistanceMatrix)
    from trytond.modules.delivery_courier_routes.solver import (
        SPEEDS, Break, Depot, Problem, Stop, Vehicle)
    rng = random.Random(seed)
    depots = [Depot(name, lat, lon, opens=7 * H, closes=21 * H)
        for name, lat, lon in DEPOTS]
    weights = [d[4] for d in DISTRICTS]

    def point():
        _, lat, lon, spread, _ = rng.choices(DISTRICTS, weights)[0]
        lat += rng.gauss(0, spread / 111.0)
        lon += rng.gauss(0, spread / (111.0 * math.cos(math.radians(lat))))
        return (min(41.82, max(41.65, lat)), min(44.95, max(44.70, lon)))

    def window():
        width = rng.choice((2, 3, 3, 4)) * H
        start = 9 * H + rng.randrange(0, 10 * H - width + 1, 1800)
        return start, start + width

    def demand():
        big = rng.random() < 0.04
        kg = round(rng.uniform(20, 60) if big
            else min(25.0, rng.lognormvariate(0.3, 0.9)), 1)
        m3 = round(max(0.001, kg * rng.uniform(0.002, 0.006)), 3)
        return (kg, m3, rng.choice((1, 1, 1, 2, 3)))

    result = []
    pairs = stops // 20                 # 5 % orders collected and delivered
    pickups = stops // 10               # 10 % parcels collected to the depot
    for k in range(pairs):
        q = demand()
        lat, lon = point()
        s, e = window()
        e = min(e, 16 * H)
        s = min(s, e - 2 * H)
        result.append(Stop(f'P{k}', lat, lon, demand=q,
                service_time=rng.randint(180, 360), tw_start=s, tw_end=e,
                kind='pickup'))
        lat, lon = point()
        result.append(Stop(f'D{k}', lat, lon, demand=q,
                service_time=rng.randint(180, 360), tw_start=s + H,
                tw_end=19 * H, kind='delivery', pickup=f'P{k}'))
    for k in range(stops - 2 * pairs):
        lat, lon = point()
        s, e = window()
        result.append(Stop(f'S{k}', lat, lon, demand=demand(),
                service_time=rng.randint(180, 360), tw_start=s, tw_end=e,
                kind='pickup' if k < pickups else 'delivery'))
    vehicles = []
    k = 0
    for kind, (count, kg, m3, parcels, per_km, per_day) in FLEET.items():
        for _ in range(count * couriers // 40):
            start = rng.choice((8 * H + 1800, 9 * H, 9 * H, 9 * H, 10 * H))
            vehicles.append(Vehicle(
                    f'{kind}{k}', DEPOTS[k % 2][0], capacity=(kg, m3, parcels),
                    cost_per_km=per_km, fixed_cost=per_day,
                    shift_start=start, shift_end=start + 10 * H + 1800,
                    break_=Break(13 * H, 15 * H, 1800),
                    speed_kmh=SPEEDS[kind]))
            k += 1
    return Problem(depots, vehicles, result, distances=DistanceMatrix())


# --------------------------------------------------------------- engines

def make_engine(name, kind, clock, scale):
    from trytond.modules.delivery_courier_routes import solver
    hierarchical = kind == 'vrptw'
    if name == 'pyvrp':
        return solver.PyVRPEngine(
            clock=clock, scale=scale, minimise_vehicles=hierarchical)
    if name == 'nearest':
        return solver.NearestNeighbourEngine(clock=clock)
    if name == 'ortools':
        import vrp_baselines
        return vrp_baselines.ORToolsEngine(
            clock=clock, scale=scale, minimise_vehicles=hierarchical)
    raise ValueError(name)


def run_task(task):
    set_name, path, engine_name, time_limit, clock, seed = task
    kind = SETS[set_name]['kind']
    wall = time.monotonic()
    if kind == 'tbilisi':
        problem = tbilisi_problem()
        instance = None
        name = 'tbilisi-1000'
    else:
        instance = (read_cvrp if kind == 'cvrp' else read_vrptw)(path)
        problem = problem_of(instance)
        name = instance['name']
    scale = 1 if kind in ('cvrp', 'tbilisi') else SCALE
    engine = make_engine(engine_name, kind, clock, scale)
    solution = engine.solve(problem, time_limit=time_limit, seed=seed)
    total_wall = time.monotonic() - wall
    row = dict(set=set_name, instance=name, engine=engine_name,
        time_limit=time_limit, clock=clock, cpu=solution.cpu_time,
        wall=solution.runtime, total_wall=total_wall,
        unassigned=len(solution.unassigned),
        warnings='; '.join(solution.warnings))
    if instance is not None:
        ok, vehicles, distance, message = verify(instance, solution)
    else:
        ok, message = tbilisi_verify(problem, solution)
        vehicles, distance = solution.num_vehicles, solution.distance
        row['cost'] = solution.cost
        row['stops'] = solution.num_visits
    row.update(ok=ok, vehicles=vehicles, distance=distance, message=message)
    return row


def tbilisi_verify(problem, solution):
    "Every route again through a fresh Instance check, every stop planned"
    from trytond.modules.delivery_courier_routes.solver import Instance
    instance = Instance(problem)
    index = {v.id: k for k, v in enumerate(instance.vehicles)}
    for route in solution.routes:
        seq = [instance.index[s] for s in route.stops]
        if not instance.check(index[route.vehicle], seq).ok:
            return False, f"route of {route.vehicle} infeasible"
    if solution.unassigned:
        return False, f"{len(solution.unassigned)} stops not planned"
    return True, ''


# ---------------------------------------------------------------- report

def gap(distance, bks):
    return 100.0 * (distance / bks - 1)


def report(set_name, rows, bks, engines, out):
    kind = SETS[set_name]['kind']
    names = []
    for row in rows:
        if row['instance'] not in names:
            names.append(row['instance'])
    by = {(r['instance'], r['engine']): r for r in rows}
    print(f"\n== {set_name}: {len(names)} instances, "
        f"{rows[0]['time_limit']:g} s {rows[0]['clock']} per engine ==",
        file=out)
    header = f"{'instance':<12} {'BKS':>14}"
    for e in engines:
        header += f" | {e + ' v':>10} {'dist':>10} {'gap%':>7} {'s':>5}"
    print(header, file=out)
    summary = {}
    for name in names:
        ref = bks.get(name.lower())
        line = f"{name:<12} " + (
            f"{ref[0]:>3} {ref[1]:>10.2f}" if ref and kind != 'tbilisi'
            else f"{'':>14}")
        for e in engines:
            r = by.get((name, e))
            if r is None:
                line += f" | {'':>10} {'':>10} {'':>7} {'':>5}"
                continue
            if not r['ok'] and kind != 'tbilisi':
                line += (f" | {'FAIL':>10} {r['distance']:>10.2f} "
                    f"{'':>7} {r['cpu']:>5.1f}")
            else:
                g = (gap(r['distance'], ref[1])
                    if ref and kind != 'tbilisi' else float('nan'))
                flag = '' if not ref or r['vehicles'] == ref[0] else (
                    '+' if r['vehicles'] > ref[0] else '-')
                line += (f" | {str(r['vehicles']) + flag:>10} "
                    f"{r['distance']:>10.2f} {g:>7.2f} {r['cpu']:>5.1f}")
            summary.setdefault(e, []).append((r, ref))
        print(line, file=out)
    results = {}
    for e in engines:
        items = summary.get(e, [])
        if not items:
            continue
        if kind == 'tbilisi':
            r = items[0][0]
            ok = r['ok'] and r['total_wall'] < TBILISI_WALL
            results[e] = dict(ok=ok, row=r)
            print(f"{set_name} {e}: {'feasible' if r['ok'] else 'NOT OK'}"
                f" {r['stops']} stops on {r['vehicles']} couriers, "
                f"{r['distance']:.1f} km, cost {r.get('cost', 0):.2f}, "
                f"{r['unassigned']} unplanned, solve {r['wall']:.1f} s, "
                f"total {r['total_wall']:.1f} s wall "
                f"({r['cpu']:.1f} s CPU) {r['message']}", file=out)
            continue
        with_ref = [(r, ref) for r, ref in items if ref]
        feasible = [(r, ref) for r, ref in with_ref if r['ok']]
        same = [(r, ref) for r, ref in feasible if r['vehicles'] == ref[0]]
        gaps_same = [gap(r['distance'], ref[1]) for r, ref in same]
        gaps_all = [gap(r['distance'], ref[1]) for r, ref in feasible]
        cnv = sum(r['vehicles'] for r, _ in feasible)
        bks_cnv = sum(ref[0] for _, ref in feasible)
        ctd = sum(r['distance'] for r, _ in feasible)
        share = 100.0 * len(same) / len(with_ref) if with_ref else 0
        mean_same = (sum(gaps_same) / len(gaps_same)
            if gaps_same else float('nan'))
        mean_all = (sum(gaps_all) / len(gaps_all)
            if gaps_all else float('nan'))
        cpu = sum(r['cpu'] for r, _ in items) / len(items)
        results[e] = dict(share=share, gap_same=mean_same,
            gap_all=mean_all, cnv=cnv, ctd=ctd, n=len(with_ref),
            infeasible=len(with_ref) - len(feasible))
        if kind == 'cvrp':
            print(f"{set_name} {e}: mean gap {mean_all:.2f} % (distance "
                f"only, CVRPLIB convention), CTD {ctd:.0f}, infeasible "
                f"{len(with_ref) - len(feasible)}, mean CPU {cpu:.1f} s",
                file=out)
            continue
        print(f"{set_name} {e}: BKS vehicles on {len(same)}/{len(with_ref)} "
            f"({share:.0f} %), mean gap@BKSv {mean_same:.2f} %, "
            f"gap all {mean_all:.2f} %, CNV {cnv} (BKS {bks_cnv}), "
            f"CTD {ctd:.0f}, infeasible {len(with_ref) - len(feasible)}, "
            f"mean CPU {cpu:.1f} s", file=out)
    if kind != 'tbilisi' and 'pyvrp' in results:
        for peer in engines:
            if peer != 'pyvrp' and peer in results and results[peer]['ctd']:
                print(f"{set_name} pyvrp/{peer}: CTD ratio "
                    f"{results['pyvrp']['ctd'] / results[peer]['ctd']:.3f}, "
                    f"CNV {results['pyvrp']['cnv']} vs "
                    f"{results[peer]['cnv']}", file=out)
    return results


def targets(set_name, results):
    "[(description, met)] for the pyvrp engine"
    r = results.get('pyvrp')
    if r is None:
        return []
    if set_name == 'solomon':
        return [
            (f"solomon BKS vehicles {r['share']:.0f} % >= 90 %",
                r['share'] >= 90 and not r['infeasible']),
            (f"solomon mean gap@BKSv {r['gap_same']:.2f} % < 1 %",
                r['gap_same'] < 1)]
    if set_name == 'gh200':
        return [(f"gh200 mean gap@BKSv {r['gap_same']:.2f} % < 2 %",
                r['gap_same'] < 2 and not r['infeasible'])]
    if set_name == 'tbilisi':
        row = r['row']
        return [(f"tbilisi feasible plan of every stop in "
                f"{row['total_wall']:.1f} s < {TBILISI_WALL:g} s", r['ok'])]
    return []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--set', action='append', default=None,
        help="solomon, gh200, gh400, x, tbilisi (repeat or comma list)")
    parser.add_argument('--time-limit', type=float, default=None,
        help="seconds per instance and engine (default: per set)")
    parser.add_argument('--instances', default='',
        help="glob(s) of instance names, comma separated (C1*,R101)")
    parser.add_argument('--jobs', type=int, default=1,
        help="instances solved in parallel processes (default 1)")
    parser.add_argument('--engines', default=','.join(ENGINES))
    parser.add_argument('--clock', choices=('cpu', 'wall'), default=None)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--data', default=DATA)
    parser.add_argument('--csv', default=None, help="write the rows here")
    args = parser.parse_args(argv)
    sets = []
    for item in args.set or ['solomon']:
        sets.extend(s.strip() for s in item.split(',') if s.strip())
    for name in sets:
        if name not in SETS:
            parser.error(f"unknown set {name}")
    engines = [e.strip() for e in args.engines.split(',') if e.strip()]
    if 'ortools' in engines:
        import vrp_baselines
        if not vrp_baselines.available():
            print("OR-Tools is not installed: pip install -r "
                "tests/bench/requirements-bench.txt to compare; skipped.")
            engines.remove('ortools')
    from trytond.modules.delivery_courier_routes.solver import PyVRPEngine
    if 'pyvrp' in engines and not PyVRPEngine.available():
        print("PyVRP is not installed: pip install pyvrp.")
        return 1
    standard = [s for s in sets if s != 'tbilisi']
    if standard and not os.path.isdir(args.data):
        print(f"SKIP: the VRP instances are missing ({args.data}); "
            "set --data or $VRP_DATA to run the standard sets.")
        sets = [s for s in sets if s == 'tbilisi']
        if not sets:
            return 0
    bks = read_bks(args.data) if os.path.isdir(args.data) else {}
    all_rows = []
    checks = []
    for set_name in sets:
        spec = SETS[set_name]
        time_limit = (args.time_limit if args.time_limit is not None
            else spec['time_limit'])
        clock = args.clock or spec['clock']
        if spec['kind'] == 'tbilisi':
            paths = [None]
        else:
            paths = instance_files(args.data, set_name, args.instances)
            if not paths:
                print(f"{set_name}: no instance matches {args.instances!r}")
                continue
        tasks = [(set_name, path, engine, time_limit, clock, args.seed)
            for path in paths for engine in engines]
        print(f"{set_name}: {len(paths)} instances x {len(engines)} engines, "
            f"{time_limit:g} s ({clock}) each, {args.jobs} job(s) ...",
            flush=True)
        rows = []
        if args.jobs > 1:
            with multiprocessing.get_context('spawn').Pool(args.jobs) as pool:
                for row in pool.imap(run_task, tasks):
                    rows.append(row)
                    progress(row)
        else:
            for task in tasks:
                row = run_task(task)
                rows.append(row)
                progress(row)
        all_rows.extend(rows)
        results = report(set_name, rows, bks, engines, sys.stdout)
        checks.extend(targets(set_name, results))
    if args.csv and all_rows:
        keys = sorted({k for r in all_rows for k in r})
        with open(args.csv, 'w', newline='') as f:
            writer = csv.DictWriter(f, keys)
            writer.writeheader()
            writer.writerows(all_rows)
    if checks:
        missed = [text for text, met in checks if not met]
        print("\nTargets: " + '; '.join(
                f"{text}: {'met' if met else 'MISSED'}"
                for text, met in checks))
        if args.instances:
            print("(on the selected instances only)")
        return 1 if missed else 0
    return 0


def progress(row):
    print(f"  {row['instance']:<12} {row['engine']:<8} "
        f"v={row['vehicles']} d={row['distance']:.2f} "
        f"ok={row['ok']} cpu={row['cpu']:.1f}s wall={row['wall']:.1f}s"
        + (f" {row['message']}" if row['message'] else ''), flush=True)


if __name__ == '__main__':
    sys.exit(main())
