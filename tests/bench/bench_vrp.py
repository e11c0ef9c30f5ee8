#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Quality benchmark of the route optimiser (delivery_courier_routes.solver).

Runs the module's engines through the module's own adapter (Problem ->
Engine.solve -> Solution) on the standard instances of ../shared/data/vrp
(override with --data or $VRP_DATA) and on a generated Tbilisi day, with the
same time limit for every engine, and prints one table per set and a
summary line per engine (--city: the adapter against raw PyVRP on city
days, see below):

- pyvrp:   PyVRPEngine (PyVRP 0.14 iterated local search);
- ortools: OR-Tools routing (parallel cheapest insertion + guided local
           search) behind the same Engine interface (vrp_baselines.py;
           benchmark extra, tests/bench/requirements-bench.txt);
- nearest: NearestNeighbourEngine, the module's fallback.

Sets (--set, repeatable or comma separated; default solomon):

- solomon: the 56 Solomon VRPTW instances, --time-limit 10 s each;
- gh200 / gh400: Gehring & Homberger 200 / 400 customers, 30 s / 60 s;
- x: 5 CVRPLIB X instances (CVRP, rounded EUC_2D, distance only), 30 s;
- tbilisi: a realistic day generated with a fixed seed (city_day.py,
  tbilisi_problem): 1,000 stops (deliveries, pickups and
  pickup-and-delivery pairs) with 2-4 h windows in
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

City days (--city): the module's adapter ('pyvrp': PyVRPEngine(clock=
'wall', scale=1), money objective, not minimise_vehicles) against PyVRP
used directly ('raw': vrp_baselines.RawPyVRPEngine, PyVRP's own solve with
its defaults on the same prepared Instance), on the same data, with the
same seed, in the same run, judged the same way (the base Engine checks and
schedules both plans in double precision; cost = Solution.cost in money).
Days (city_day.py, fixed seeds): tbilisi-150, batumi-150, tbilisi-300,
batumi-300, tbilisi-1000 (--city-days); money magnitudes 0.3, 3 and 3000
per km of a scooter, the other costs in proportion (--magnitudes); wall
clock limits 10, 30 and 60 s (--time-limits).  Each run's clock starts
before the day is generated; the distance matrix is computed once then
(the day's provider, haversine x 1.3) and handed to the engine as a
FixedMatrix; the engine gets limit - (generation + matrix) - a reserve of
0.5 s + 1 ms per stop for what Engine.solve does after the search
(checking, scheduling, inserting left-out stops), so that a run's wall
time, matrix included, stays within its limit (the insertion of stops a
search left out, up to 2 s, can exceed the reserve; the wall column shows
it).  One table per day and magnitude: cost, gap % to the best feasible
cost of that day and magnitude (both engines, all limits), routes,
unplanned stops, feasible (every route checked again, every stop
planned), wall s; and a line "adapter vs raw: +x.xx %" per limit.
Floors (exit status 1 when one is missed): at every day, magnitude and
limit the adapter's cost <= 1.01 x raw PyVRP's (when raw PyVRP leaves
stops out the plans are not comparable and the floor counts as met; when
the adapter leaves more out, missed), the adapter plans every stop on
feasible routes, and tbilisi-1000 at 60 s is feasible in < 60 s wall,
matrix included.

Held-out instances: --files PATH [PATH ...] solves exactly these files
(a directory is searched, subdirectories included, for *.txt and *.vrp)
instead of the standard sets (add --set to run both).  The format is read
from each file's content: Solomon / Gehring-Homberger VRPTW text (as the
solomon set, default 10 s) or CVRPLIB CVRP with EUC_2D distances (as the x
set, default 30 s); --time-limit overrides both.  A VRPLIB file with other
constraints (time windows, route length, service times, several depots,
explicit distances) is refused, not solved without them; a scanned file
that is no instance (README.txt, ...) is skipped with a note.  Reference
of each instance, the first found: a bks.csv (instance,vehicles,distance)
in the file's folder or a parent folder, the bks.csv of --data, for a .vrp
the CVRPLIB .sol beside it (its Cost line, vehicles = its routes).  Only
the name is matched: a file named like a standard instance (C101) gets its
BKS from --data unless a bks.csv beside it says otherwise (--data none to
ignore ours).  Without any, the gap is to the best feasible solution found
by the engines of this run (vehicles then distance; distance only for
CVRP), and the table says so.  The report prints one table per format and
reference kind, the reference of each instance at the end of its row, and
the means.  No targets: the exit status is 1 only when an engine fails
(exception or a route that the check here rejects), 2 when a file named
or a bks.csv cannot be read (before anything is solved).

    .venv/bin/python tests/bench/bench_vrp.py --set solomon
    .venv/bin/python tests/bench/bench_vrp.py --set gh200 --instances 'r1_2_*'
    .venv/bin/python tests/bench/bench_vrp.py --set tbilisi --engines pyvrp
    .venv/bin/python tests/bench/bench_vrp.py --files ~/heldout x1.vrp
    .venv/bin/python tests/bench/bench_vrp.py --city --csv city.csv
    .venv/bin/python tests/bench/bench_vrp.py --city --city-days batumi-150 \
        --magnitudes 3 --time-limits 10
"""
import argparse
import csv
import fnmatch
import math
import multiprocessing
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# the generators of the 'tbilisi' set and of the --city days (city_day.py)
from city_day import CITY_DAYS, named_day, tbilisi_problem  # noqa: E402

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
# --files: instance files of any folder, grouped by the format read in them
FILE_SETS = {
    'files-vrptw': dict(time_limit=SETS['solomon']['time_limit'],
        kind='vrptw', clock='cpu'),
    'files-cvrp': dict(time_limit=SETS['x']['time_limit'],
        kind='cvrp', clock='cpu'),
    }
ENGINES = ('pyvrp', 'ortools', 'nearest')
# --city: the adapter (PyVRPEngine) and PyVRP used directly (vrp_baselines)
CITY_ENGINES = ('pyvrp', 'raw')
CITY_MAGNITUDES = (0.3, 3, 3000)
CITY_LIMITS = (10, 30, 60)
CITY_TOLERANCE_PCT = 1.0
CITY_TOLERANCE = 1 + CITY_TOLERANCE_PCT / 100
CITY_WALL_DAY, CITY_WALL = 'tbilisi-1000', 60
SCALE = 1000
TBILISI_WALL = 60.0


def spec_of(set_name):
    return SETS[set_name] if set_name in SETS else FILE_SETS[set_name]


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
    # vrplib checks the layout and reads the header, but it reads the
    # customer table as integers (a decimal value becomes -1): the table
    # is read again here in floating point
    raw = vrplib.read_instance(
        path, instance_format='solomon', compute_edge_weights=False)
    with open(path) as f:
        lines = [s for s in (line.strip() for line in f)
            if s and not s.startswith('#')]
    table = [[float(t) for t in line.split()] for line in lines[6:]]
    if len(table) < 2 or any(len(row) != 7 for row in table):
        raise ValueError("not 7 numbers on every customer line")
    return dict(
        name=os.path.splitext(os.path.basename(path))[0],
        xy=[(row[1], row[2]) for row in table],
        demand=[row[3] for row in table],
        tw=[(row[4], row[5]) for row in table],
        service=[row[6] for row in table],
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


# ------------------------------------------------------ held-out files

# VRPLIB fields that read_cvrp reads or that change nothing; any other one
# (time windows, route length, service times, ...) is a constraint that it
# would drop, so such a file is refused
CVRP_FIELDS = {'name', 'comment', 'type', 'dimension', 'edge_weight_type',
    'capacity', 'node_coord', 'demand', 'depot', 'vehicles',
    'display_data_type', 'node_coord_type'}


def natural_key(path):
    "x-n101 < x-n1001, c1_2_2 < c1_2_10, for any names"
    return [(0, int(t), '') if t.isdigit() else (1, 0, t)
        for t in re.split(r'(\d+)', path.lower())]


def file_format(path):
    """('vrptw' or 'cvrp', note) read from the content of the file;
    ValueError with the reason when the benchmark cannot solve it"""
    with open(path, errors='replace') as f:
        lines = [s for s in (line.strip() for line in f)
            if s and not s.startswith('#')]
    if len(lines) > 5 and 'VEHICLE' in lines[1] and 'CUSTOMER' in lines[4]:
        try:
            read_vrptw(path)
        except Exception as error:
            raise ValueError(f"Solomon layout but unreadable: {error}")
        return 'vrptw', ''
    if not any(re.match(r'(NODE_COORD|EDGE_WEIGHT)_SECTION\b', line)
            for line in lines):
        raise ValueError("neither Solomon VRPTW nor VRPLIB")
    import vrplib
    try:
        raw = vrplib.read_instance(path, compute_edge_weights=False)
    except Exception as error:
        raise ValueError(f"unreadable VRPLIB file: {error}")
    extra = sorted(set(raw) - CVRP_FIELDS)
    if extra:
        raise ValueError("not supported (CVRP only): "
            + ', '.join(k.upper() for k in extra))
    kind = str(raw.get('type', 'CVRP')).upper()
    if kind != 'CVRP':
        raise ValueError(f"TYPE {kind} not supported (CVRP only)")
    weights = str(raw.get('edge_weight_type', 'missing')).upper()
    if weights != 'EUC_2D':
        raise ValueError(f"EDGE_WEIGHT_TYPE {weights} (EUC_2D only)")
    for field in ('node_coord', 'demand', 'capacity', 'depot'):
        if field not in raw:
            raise ValueError(f"no {field.upper()}")
    if len(raw['depot']) != 1:
        raise ValueError(f"{len(raw['depot'])} depots (one only)")
    read_cvrp(path)
    return 'cvrp', ("VEHICLES ignored (fleet unlimited as in CVRPLIB X)"
        if 'vehicles' in raw else '')


def collect_files(paths, pattern=''):
    """([(path, kind, note)], [(path, reason)] skipped in folders,
    [(path, reason)] errors of the files named)"""
    found, skipped, errors, seen = [], [], [], set()
    patterns = [p.lower() for p in pattern.split(',') if p]
    for given in paths:
        if os.path.isdir(given):
            candidates = []
            for folder, dirs, names in os.walk(given):
                dirs[:] = [d for d in dirs if not d.startswith('.')]
                candidates.extend(os.path.join(folder, n) for n in names
                    if n.lower().endswith(('.txt', '.vrp')))
            candidates.sort(key=natural_key)
            bad = skipped
        elif os.path.isfile(given):
            candidates, bad = [given], errors
        else:
            errors.append((given, "no such file or directory"))
            continue
        for path in candidates:
            real = os.path.realpath(path)
            name = os.path.splitext(os.path.basename(path))[0].lower()
            if real in seen or (patterns and not any(
                        fnmatch.fnmatch(name, p) for p in patterns)):
                continue
            seen.add(real)
            try:
                kind, note = file_format(path)
            except (OSError, ValueError) as error:
                bad.append((path, str(error)))
                continue
            found.append((path, kind, note))
    return found, skipped, errors


def display_names(paths):
    """the file name without extension; when two files share it, their
    paths below the folder common to all files"""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    lower = [s.lower() for s in stems]
    top = os.path.commonpath([os.path.dirname(os.path.abspath(p))
            for p in paths])
    return {p: (s if lower.count(s.lower()) == 1 else os.path.splitext(
                os.path.relpath(os.path.abspath(p), top))[0])
        for p, s in zip(paths, stems)}


def read_sol(path):
    "(vehicles or None, cost) of a CVRPLIB solution file"
    cost, routes = None, 0
    with open(path, errors='replace') as f:
        for line in f:
            match = re.match(r'\s*cost\b\s*[:=]?\s*(\S+)', line, re.I)
            if match:
                cost = float(match.group(1))
            elif re.match(r'\s*route\b', line, re.I):
                routes += 1
    if cost is None:
        raise ValueError(f"{path}: no Cost line")
    return routes or None, cost


def find_reference(path, kind, data_bks, data, tables):
    """((vehicles, distance), where it was found) or (None, ''): a bks.csv
    in the folder of the file or above, --data's bks.csv, the .sol beside
    a CVRP file; tables caches the bks.csv read"""
    name = os.path.splitext(os.path.basename(path))[0].lower()
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        if os.path.isfile(os.path.join(folder, 'bks.csv')):
            if folder not in tables:
                try:
                    tables[folder] = read_bks(folder)
                except (KeyError, ValueError) as error:
                    raise ValueError(f"{os.path.join(folder, 'bks.csv')}: "
                        f"{error!r} (columns instance,vehicles,distance)")
            if name in tables[folder]:
                return tables[folder][name], os.path.join(folder, 'bks.csv')
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    if name in data_bks:
        return data_bks[name], os.path.normpath(os.path.join(data, 'bks.csv'))
    sol = os.path.splitext(path)[0] + '.sol'
    if kind == 'cvrp' and os.path.isfile(sol):
        return read_sol(sol), sol
    return None, ''


def run_best(rows, kind):
    """the best feasible solution of the engines on one instance as the
    reference: ((vehicles, distance), description) or (None, '')"""
    feasible = [r for r in rows if r['ok']]
    if not feasible:
        return None, ''
    best = min(feasible, key=lambda r: (
            (r['vehicles'], r['distance']) if kind == 'vrptw'
            else (r['distance'],)))
    return ((best['vehicles'], best['distance']),
        f"best of this run ({best['engine']})")


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
    kind = spec_of(set_name)['kind']
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


def run_file_task(task):
    """run_task for --files: an exception of the engine (or of the reading)
    becomes a failed row, the other instances go on"""
    path, display = task[1], task[6]
    try:
        row = run_task(task[:6])
    except Exception as error:
        row = dict(set=task[0], engine=task[2], time_limit=task[3],
            clock=task[4], cpu=0.0, wall=0.0, total_wall=0.0, unassigned=0,
            warnings='', ok=False, crashed=True, vehicles=0,
            distance=float('nan'),
            message=f"crashed: {type(error).__name__}: {error}")
    row.update(instance=display, path=path)
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


def report(set_name, rows, bks, engines, out, title=None, label=None,
        ref_name='BKS', note=None, sources=None):
    """The table of a set and a summary line per engine; --files passes
    the title of the table, the label of the summary lines, the name of
    the reference, a note under the title and the reference of each
    instance (sources, printed at the end of its row)"""
    kind = spec_of(set_name)['kind']
    label = label or set_name
    names = []
    for row in rows:
        if row['instance'] not in names:
            names.append(row['instance'])
    width = max([12] + [len(n) for n in names])
    by = {(r['instance'], r['engine']): r for r in rows}
    print(f"\n== {title or set_name}: {len(names)} instances, "
        f"{rows[0]['time_limit']:g} s {rows[0]['clock']} per engine ==",
        file=out)
    if note:
        print(note, file=out)
    header = f"{'instance':<{width}} {ref_name:>14}"
    for e in engines:
        header += f" | {e + ' v':>10} {'dist':>10} {'gap%':>7} {'s':>5}"
    if sources is not None:
        header += " | reference"
    print(header, file=out)
    summary = {}
    for name in names:
        ref = bks.get(name.lower())
        line = f"{name:<{width}} " + (
            f"{ref[0]:>3} {ref[1]:>10.2f}" if ref and kind != 'tbilisi'
            else f"{'':>14}")
        for e in engines:
            r = by.get((name, e))
            if r is None:
                line += f" | {'':>10} {'':>10} {'':>7} {'':>5}"
                continue
            if not r['ok'] and kind != 'tbilisi':
                failure = 'CRASH' if r.get('crashed') else 'FAIL'
                line += (f" | {failure:>10} {r['distance']:>10.2f} "
                    f"{'':>7} {r['cpu']:>5.1f}")
            else:
                g = (gap(r['distance'], ref[1])
                    if ref and kind != 'tbilisi' else float('nan'))
                flag = '' if (not ref or ref[0] is None
                    or r['vehicles'] == ref[0]) else (
                    '+' if r['vehicles'] > ref[0] else '-')
                line += (f" | {str(r['vehicles']) + flag:>10} "
                    f"{r['distance']:>10.2f} {g:>7.2f} {r['cpu']:>5.1f}")
            summary.setdefault(e, []).append((r, ref))
        if sources is not None:
            line += f" | {sources.get(name) or 'none'}"
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
            print(f"{label} {e}: {'feasible' if r['ok'] else 'NOT OK'}"
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
        bks_cnv = sum(ref[0] or 0 for _, ref in feasible)
        ctd = sum(r['distance'] for r, _ in feasible)
        share = 100.0 * len(same) / len(with_ref) if with_ref else 0
        mean_same = (sum(gaps_same) / len(gaps_same)
            if gaps_same else float('nan'))
        mean_all = (sum(gaps_all) / len(gaps_all)
            if gaps_all else float('nan'))
        cpu = sum(r['cpu'] for r, _ in items) / len(items)
        # --files: failed on an instance that has no reference at all
        unref = sum(1 for r, ref in items if not ref and not r['ok'])
        unref = f" (+{unref} failed without reference)" if unref else ''
        results[e] = dict(share=share, gap_same=mean_same,
            gap_all=mean_all, cnv=cnv, ctd=ctd, n=len(with_ref),
            infeasible=len(with_ref) - len(feasible))
        if kind == 'cvrp':
            print(f"{label} {e}: mean gap {mean_all:.2f} % (distance "
                f"only, CVRPLIB convention), CTD {ctd:.0f}, infeasible "
                f"{len(with_ref) - len(feasible)}{unref}, "
                f"mean CPU {cpu:.1f} s",
                file=out)
            continue
        print(f"{label} {e}: {ref_name} vehicles on "
            f"{len(same)}/{len(with_ref)} "
            f"({share:.0f} %), mean gap@{ref_name}v {mean_same:.2f} %, "
            f"gap all {mean_all:.2f} %, CNV {cnv} ({ref_name} {bks_cnv}), "
            f"CTD {ctd:.0f}, infeasible {len(with_ref) - len(feasible)}"
            f"{unref}, mean CPU {cpu:.1f} s", file=out)
    if kind != 'tbilisi' and 'pyvrp' in results:
        for peer in engines:
            if peer != 'pyvrp' and peer in results and results[peer]['ctd']:
                print(f"{label} pyvrp/{peer}: CTD ratio "
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


# ------------------------------------------------------------ city days

def city_reserve(stops):
    """Seconds kept out of an engine's time limit for what follows the
    search in Engine.solve (every route checked and scheduled again in
    double precision, required stops left out inserted): 0.5 s + 1 ms per
    stop (1.5 s for 1,000 stops)"""
    return 0.5 + 0.001 * stops


def make_city_engine(name):
    from trytond.modules.delivery_courier_routes import solver
    if name == 'pyvrp':
        return solver.PyVRPEngine(clock='wall', scale=1)
    if name == 'raw':
        import vrp_baselines
        return vrp_baselines.RawPyVRPEngine(clock='wall')
    raise ValueError(name)


def with_fixed_matrix(problem):
    """The problem with its distance matrix computed once, given to the
    engines as a FixedMatrix that their Instance only looks up"""
    from trytond.modules.delivery_courier_routes.distances import FixedMatrix
    from trytond.modules.delivery_courier_routes.solver import Problem
    points = ([(d.lat, d.lon) for d in problem.depots]
        + [(s.lat, s.lon) for s in problem.stops])
    matrix = problem.distances.matrix(points)
    return Problem(problem.depots, problem.vehicles, problem.stops,
        distances=FixedMatrix(points, matrix.distances, matrix.durations,
            source=matrix.source))


def run_city_task(task):
    """One city day x magnitude x limit x engine.  The wall clock starts
    before the day is generated; the distance matrix is computed once here
    with the day's provider and given to the engine as a FixedMatrix, so
    that the engine's own Instance only looks it up; the engine gets
    limit - (generation + matrix) - city_reserve(stops)"""
    day, money, limit, engine_name, seed = task
    wall = time.monotonic()
    problem = named_day(day, money)
    begin = time.monotonic()
    problem = with_fixed_matrix(problem)
    matrix_time = time.monotonic() - begin
    row = dict(set='city', instance=f"{day} x{money:g}", day=day,
        magnitude=money, time_limit=limit, clock='wall',
        engine=engine_name, seed=seed, stops=len(problem.stops),
        couriers=len(problem.vehicles), matrix=matrix_time)
    engine_limit = max(0.1, limit - (time.monotonic() - wall)
        - city_reserve(len(problem.stops)))
    row['engine_limit'] = engine_limit
    try:
        engine = make_city_engine(engine_name)
        solution = engine.solve(problem, time_limit=engine_limit, seed=seed)
    except Exception as error:
        row.update(total_wall=time.monotonic() - wall, wall=0.0, cpu=0.0,
            cost=float('nan'), distance=float('nan'), vehicles=0,
            unassigned=len(problem.stops), ok=False, crashed=True,
            served=0, warnings='', stats='',
            message=f"crashed: {type(error).__name__}: {error}")
        return row
    total_wall = time.monotonic() - wall
    ok, message = tbilisi_verify(problem, solution)
    stats = {k: v for k, v in solution.stats.items()
        if k in ('iterations', 'raw_feasible', 'fallback', 'dropped',
            'inserted', 'chosen', 'repair', 'chosen_cost', 'break_phase',
            'pyvrp_warnings')}
    row.update(total_wall=total_wall, wall=solution.runtime,
        cpu=solution.cpu_time, cost=solution.cost,
        distance=solution.distance, vehicles=solution.num_vehicles,
        served=solution.num_visits, unassigned=len(solution.unassigned),
        ok=ok, message=message, warnings='; '.join(solution.warnings),
        stats=' '.join(f"{k}={v}" for k, v in sorted(stats.items())))
    return row


def city_progress(row):
    print(f"  {row['instance']:<20} {row['time_limit']:>4g} s "
        f"{row['engine']:<6} cost={row['cost']:.2f} "
        f"routes={row['vehicles']} unplanned={row['unassigned']} "
        f"ok={row['ok']} limit={row['engine_limit']:.2f}s "
        f"total={row['total_wall']:.2f}s {row['stats']}"
        + (f" {row['message']}" if row['message'] else ''), flush=True)


def versus(adapter, raw):
    "100 x (adapter cost / raw cost - 1)"
    if not raw['cost'] or math.isnan(raw['cost']):
        return float('nan')
    return 100.0 * (adapter['cost'] / raw['cost'] - 1)


def city_floor(adapter, raw):
    "(met, note) of the cost floor adapter_cost <= 1.01 x raw_cost"
    if adapter.get('crashed'):
        return False, "the adapter crashed"
    if raw.get('crashed'):
        return False, "raw PyVRP crashed: no comparison"
    if raw['unassigned'] > adapter['unassigned']:
        return True, (f"raw PyVRP left {raw['unassigned']} stops out: "
            "plans not comparable")
    if adapter['unassigned'] > raw['unassigned']:
        return False, (f"the adapter left {adapter['unassigned']} stops "
            f"out, raw PyVRP {raw['unassigned']}")
    return adapter['cost'] <= CITY_TOLERANCE * raw['cost'], ''


def city_report(rows, out):
    """One table per day and magnitude, the adapter vs raw lines; returns
    [(description, met)] of the floors"""
    groups = {}
    for row in rows:
        groups.setdefault((row['day'], row['magnitude']), []).append(row)
    checks = []
    for (day, money), items in groups.items():
        by = {(r['time_limit'], r['engine']): r for r in items}
        limits = sorted({r['time_limit'] for r in items})
        good = [r for r in items if r['ok']] or [
            r for r in items if not r.get('crashed')]
        best = min(good, key=lambda r: r['cost']) if good else None
        first = items[0]
        print(f"\n== {day}, {money:g} money/km: {first['stops']} stops, "
            f"{first['couriers']} couriers, seed {first['seed']}; best "
            + (f"{best['cost']:.2f} ({best['engine']}, "
                f"{best['time_limit']:g} s)" if best else "none")
            + " ==", file=out)
        header = f"{'limit':>6}"
        for e in CITY_ENGINES:
            header += (f" | {e + ' cost':>15} {'gap%':>6} {'rts':>3} "
                f"{'unpl':>4} {'feas':>4} {'wall s':>6}")
        print(header + " | adapter vs raw", file=out)
        lines = []
        for limit in limits:
            line = f"{limit:>4g} s"
            for e in CITY_ENGINES:
                r = by.get((limit, e))
                if r is None:
                    line += f" | {'':>15} {'':>6} {'':>3} {'':>4} {'':>4} " \
                        f"{'':>6}"
                    continue
                g = gap(r['cost'], best['cost']) if best else float('nan')
                line += (f" | {r['cost']:>15.2f} {g:>6.2f} "
                    f"{r['vehicles']:>3} {r['unassigned']:>4} "
                    f"{'yes' if r['ok'] else 'NO':>4} "
                    f"{r['total_wall']:>6.1f}")
            adapter, raw = by.get((limit, 'pyvrp')), by.get((limit, 'raw'))
            if adapter and raw:
                diff = versus(adapter, raw)
                diff = 'n/a' if math.isnan(diff) else f"{diff:+.2f} %"
                met, note = city_floor(adapter, raw)
                line += f" | {diff}"
                lines.append(f"{day} x{money:g} {limit:g} s: adapter vs raw: "
                    f"{diff} (floor <= +{CITY_TOLERANCE_PCT:g} %: "
                    f"{'met' if met else 'MISSED'})"
                    + (f" [{note}]" if note else ''))
                checks.append((f"{day} x{money:g} {limit:g} s adapter "
                    f"{diff} vs raw" + (f" ({note})" if note else ''),
                    met))
            print(line, file=out)
            if adapter:
                checks.append((f"{day} x{money:g} {limit:g} s adapter plans "
                    "every stop on feasible routes"
                    + ('' if adapter['ok'] else
                        f" ({adapter['message']})"), adapter['ok']))
                if day == CITY_WALL_DAY and limit == CITY_WALL:
                    checks.append((f"{day} x{money:g} {limit:g} s adapter "
                        f"feasible in {adapter['total_wall']:.1f} s < "
                        f"{CITY_WALL:g} s wall (matrix included)",
                        adapter['ok'] and adapter['total_wall'] < CITY_WALL))
        for line in lines:
            print(line, file=out)
    return checks


def city_summary(rows, out):
    """The adapter against raw PyVRP over every day x magnitude x limit:
    the mean difference and how many cells are better, within 1 % or worse"""
    by = {(r['day'], r['magnitude'], r['time_limit'], r['engine']): r
        for r in rows}
    diffs = []
    for (day, money, limit, engine), adapter in by.items():
        raw = by.get((day, money, limit, 'raw'))
        if engine != 'pyvrp' or raw is None:
            continue
        diff = versus(adapter, raw)
        if not math.isnan(diff):
            diffs.append(diff)
    if not diffs:
        return
    tolerance = CITY_TOLERANCE_PCT
    print(f"\nAdapter vs raw PyVRP over {len(diffs)} cells: mean "
        f"{sum(diffs) / len(diffs):+.2f} %; better by more than "
        f"{tolerance:g} % in {sum(d < -tolerance for d in diffs)}, within "
        f"{tolerance:g} % in {sum(abs(d) <= tolerance for d in diffs)}, "
        f"worse by more than {tolerance:g} % in "
        f"{sum(d > tolerance for d in diffs)}", file=out)


def city_order(row):
    "a run's rank: fewer stops left out first, then the cost"
    cost = row['cost']
    return (bool(row.get('crashed')), row['unassigned'],
        float('inf') if math.isnan(cost) else cost)


def city_medians(rows):
    """The median run of each day x magnitude x limit x engine over the
    seeds (ranked by city_order; of an even number the upper middle one),
    labelled with the seeds it was taken from"""
    groups = {}
    for row in rows:
        groups.setdefault((row['day'], row['magnitude'], row['time_limit'],
                row['engine']), []).append(row)
    medians = []
    for items in groups.values():
        items = sorted(items, key=city_order)
        median = dict(items[len(items) // 2])
        median['seed'] = 'median of ' + ','.join(
            str(r['seed']) for r in sorted(items, key=lambda r: r['seed']))
        medians.append(median)
    return medians


def city_bands(rows, out):
    """Each cell's costs over the seeds, and raw PyVRP's own spread
    (100 x (dearest / cheapest - 1)): the noise a single run carries"""
    groups = {}
    for row in rows:
        groups.setdefault((row['day'], row['magnitude'], row['time_limit']),
            {}).setdefault(row['engine'], []).append(row)
    print(f"\n{'cell':<28} | {'adapter cost by seed':<44} | "
        f"{'raw cost by seed':<44} | raw spread", file=out)
    spreads = []
    for (day, money, limit), engines in groups.items():
        line = f"{day + ' x' + format(money, 'g') + ' ' + format(limit, 'g') + ' s':<28}"
        for engine in CITY_ENGINES:
            items = sorted(engines.get(engine, []), key=lambda r: r['seed'])
            text = ' '.join(f"{r['cost']:.6g}"
                + (f"+{r['unassigned']}out" if r['unassigned'] else '')
                for r in items)
            line += f" | {text:<44}"
        raw = [r['cost'] for r in engines.get('raw', [])
            if not math.isnan(r['cost']) and not r['unassigned']]
        spread = (100.0 * (max(raw) / min(raw) - 1)
            if len(raw) > 1 and min(raw) > 0 else float('nan'))
        if not math.isnan(spread):
            spreads.append(spread)
        print(line + f" | {spread:.2f} %", file=out)
    if spreads:
        print(f"raw PyVRP's spread over the seeds: mean "
            f"{sum(spreads) / len(spreads):.2f} %, above "
            f"{CITY_TOLERANCE_PCT:g} % in "
            f"{sum(s > CITY_TOLERANCE_PCT for s in spreads)} of "
            f"{len(spreads)} cells, at most {max(spreads):.2f} %", file=out)


def city_identity(args):
    """--city --iterations N: the adapter and raw PyVRP stopped after the
    same N iterations on the same day, seed and magnitude. Identical costs
    show that the adapter runs PyVRP's own search step for step (what
    differs under a time limit is how many iterations each reaches);
    iterations per second compare their speed. (rows, status)"""
    from trytond.modules.delivery_courier_routes import solver
    import vrp_baselines
    days = [d.strip() for d in args.city_days.split(',') if d.strip()]
    magnitudes = [float(m) for m in args.magnitudes.split(',') if m.strip()]
    n = args.iterations
    print(f"city identity: {len(days)} days x {len(magnitudes)} magnitudes, "
        f"{n} iterations each, seed {args.seed}", flush=True)
    print(f"{'day':<14} {'money/km':>8} | {'adapter cost':>15} "
        f"{'it/s':>6} {'wall s':>7} | {'raw cost':>15} {'it/s':>6} "
        f"{'wall s':>7} | same")
    rows, status = [], 0
    for day in days:
        for money in magnitudes:
            problem = with_fixed_matrix(named_day(day, money))
            result = {}
            for name, engine in [
                    ('pyvrp', solver.PyVRPEngine(
                            clock='wall', max_iterations=n)),
                    ('raw', vrp_baselines.RawPyVRPEngine(
                            clock='wall', max_iterations=n))]:
                solution = engine.solve(problem, time_limit=3600,
                    seed=args.seed)
                iterations = solution.stats.get('iterations', 0)
                result[name] = dict(cost=solution.cost,
                    iterations=iterations, wall=solution.runtime)
            same = (result['pyvrp']['iterations']
                == result['raw']['iterations'] and math.isclose(
                    result['pyvrp']['cost'], result['raw']['cost'],
                    rel_tol=1e-9))
            status |= 0 if same else 1
            line = f"{day:<14} {money:>8g}"
            for name in ['pyvrp', 'raw']:
                r = result[name]
                line += (f" | {r['cost']:>15.2f} "
                    f"{r['iterations'] / r['wall']:>6.0f} "
                    f"{r['wall']:>7.2f}")
            print(line + f" | {'yes' if same else 'NO'}", flush=True)
            rows.append(dict(day=day, magnitude=money, same=same,
                    **{f'{k}_{m}': v for k, r in result.items()
                        for m, v in r.items()}))
    print(f"\nSame search (--city --iterations {n}): "
        f"{sum(r['same'] for r in rows)}/{len(rows)}")
    return rows, status


def bench_city(args):
    """--city: (rows, status); status 1 when a floor is missed"""
    if args.iterations:
        return city_identity(args)
    days = [d.strip() for d in args.city_days.split(',') if d.strip()]
    for day in days:
        if day not in CITY_DAYS:
            raise SystemExit(f"unknown city day {day} (one of "
                + ', '.join(CITY_DAYS) + ")")
    magnitudes = [float(m) for m in args.magnitudes.split(',') if m.strip()]
    limits = [float(t) for t in args.time_limits.split(',') if t.strip()]
    seeds = ([int(x) for x in args.seeds.split(',') if x.strip()]
        if args.seeds else [args.seed])
    tasks = [(day, money, limit, engine, seed)
        for seed in seeds for day in days for money in magnitudes
        for limit in limits for engine in CITY_ENGINES]
    print(f"city: {len(days)} days x {len(magnitudes)} magnitudes x "
        f"{len(limits)} limits x {len(CITY_ENGINES)} engines "
        f"({', '.join(CITY_ENGINES)}) x {len(seeds)} seed(s) "
        f"({', '.join(map(str, seeds))}), wall clock, "
        f"{args.jobs} job(s) ...", flush=True)
    rows = solve(tasks, args.jobs, run_city_task, city_progress)
    judged = rows
    if len(seeds) > 1:
        for seed in seeds:
            print(f"\n#### seed {seed} alone", flush=True)
            city_summary([r for r in rows if r['seed'] == seed], sys.stdout)
        judged = city_medians(rows)
        print(f"\n#### the median run of each engine over seeds "
            f"{', '.join(map(str, seeds))} (judged)")
        city_bands(rows, sys.stdout)
    checks = city_report(judged, sys.stdout)
    city_summary(judged, sys.stdout)
    missed = [text for text, met in checks if not met]
    print(f"\nFloors (--city): {len(checks) - len(missed)}/{len(checks)} "
        "met" + ''.join(f"\n  MISSED: {text}" for text in missed))
    return rows, 1 if missed else 0


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
    parser.add_argument('--files', nargs='+', metavar='PATH', default=None,
        help="solve these instance files (folders: every *.txt Solomon/"
        "Gehring-Homberger and *.vrp CVRPLIB file in them) instead of the "
        "sets (with --set: as well); no targets")
    parser.add_argument('--city', action='store_true',
        help="compare the adapter (pyvrp) with raw PyVRP on the city days "
        "instead of the sets (with --set: as well)")
    parser.add_argument('--iterations', type=int, default=None,
        help="--city: stop both engines after so many iterations instead "
        "of a time limit and check that they find the same plan")
    parser.add_argument('--city-days', default=','.join(CITY_DAYS),
        help="--city: days, comma separated (default: %(default)s)")
    parser.add_argument('--magnitudes',
        default=','.join(f'{m:g}' for m in CITY_MAGNITUDES),
        help="--city: money per km of a scooter, comma separated "
        "(default: %(default)s)")
    parser.add_argument('--time-limits',
        default=','.join(f'{t:g}' for t in CITY_LIMITS),
        help="--city: seconds of wall clock per run, matrix included, "
        "comma separated (default: %(default)s)")
    parser.add_argument('--seeds', default=None,
        help="--city: several seeds, comma separated (e.g. 1,2,3): every "
        "cell is run with each and judged on the median run of each engine, "
        "with raw PyVRP's spread over the seeds shown as the noise band "
        "(default: --seed alone)")
    args = parser.parse_args(argv)
    sets = []
    for item in args.set or (
            [] if args.files or args.city else ['solomon']):
        sets.extend(s.strip() for s in item.split(',') if s.strip())
    for name in sets:
        if name not in SETS:
            parser.error(f"unknown set {name}")
    engines = [e.strip() for e in args.engines.split(',') if e.strip()]
    if not sets and not args.files:
        engines = [e for e in engines if e != 'ortools']   # --city only
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
        if not sets and not args.files and not args.city:
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
        rows = solve(tasks, args.jobs)
        all_rows.extend(rows)
        results = report(set_name, rows, bks, engines, sys.stdout)
        checks.extend(targets(set_name, results))
    status = 0
    if args.files:
        status = bench_files(args, engines, all_rows)
    if args.city:
        rows, city_status = bench_city(args)
        all_rows.extend(rows)
        status = max(status, city_status)
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
        return max(status, 1 if missed else 0)
    return status


def solve(tasks, jobs, function=run_task, show=None):
    "rows of the tasks, solved in jobs processes, printed as they come"
    show = show or progress
    rows = []
    if jobs > 1:
        with multiprocessing.get_context('spawn').Pool(jobs) as pool:
            for row in pool.imap(function, tasks):
                rows.append(row)
                show(row)
    else:
        for task in tasks:
            row = function(task)
            rows.append(row)
            show(row)
    return rows


def bench_files(args, engines, all_rows):
    """--files: solve the files found, report per format and reference
    kind; exit status 1 when an engine failed, 2 when a file named or a
    bks.csv cannot be read"""
    found, skipped, errors = collect_files(args.files, args.instances)
    for path, reason in skipped:
        print(f"skipped {path}: {reason}")
    for path, reason in errors:
        print(f"ERROR {path}: {reason}")
    if errors:
        return 2
    if not found:
        print("--files: no instance found"
            + (f" matching {args.instances!r}" if args.instances else ''))
        return 2
    data_bks = read_bks(args.data) if os.path.isdir(args.data) else {}
    names = display_names([path for path, _, _ in found])
    tables, refs, sources = {}, {}, {}
    width = max(len(n) for n in names.values())
    print(f"--files: {len(found)} instances")
    for path, kind, note in found:
        try:
            ref, source = find_reference(path, kind, data_bks, args.data,
                tables)
        except (OSError, ValueError) as error:
            print(f"ERROR in the reference of {path}: {error}")
            return 2
        name = names[path]
        if ref:
            refs[name.lower()], sources[name] = ref, source
        print(f"  {name:<{width}} {kind:<5} {path}  reference: "
            + (source or "none found, best of this run")
            + (f"  ({note})" if note else ''))
    failed = []
    for set_name in FILE_SETS:
        spec = FILE_SETS[set_name]
        paths = [path for path, kind, _ in found if kind == spec['kind']]
        if not paths:
            continue
        time_limit = (args.time_limit if args.time_limit is not None
            else spec['time_limit'])
        clock = args.clock or spec['clock']
        tasks = [(set_name, path, engine, time_limit, clock, args.seed,
                names[path]) for path in paths for engine in engines]
        print(f"{set_name}: {len(paths)} instances x {len(engines)} "
            f"engines, {time_limit:g} s ({clock}) each, {args.jobs} "
            "job(s) ...", flush=True)
        rows = solve(tasks, args.jobs, run_file_task)
        all_rows.extend(rows)
        failed.extend(r for r in rows if not r['ok'])
        published, own = [], []
        for path in paths:
            name = names[path]
            mine = [r for r in rows if r['instance'] == name]
            if name in sources:
                published.extend(mine)
                continue
            ref, source = run_best(mine, spec['kind'])
            if ref:
                refs[name.lower()], sources[name] = ref, source
            own.extend(mine)
        for row in rows:
            ref = refs.get(row['instance'].lower())
            row.update(reference=sources.get(row['instance'], ''),
                ref_vehicles=ref[0] if ref else None,
                ref_distance=ref[1] if ref else None)
        objective = ("vehicles, then distance" if spec['kind'] == 'vrptw'
            else "distance only")
        if published:
            report(set_name, published, refs, engines, sys.stdout,
                title=f"{set_name}, gap to the best-known solutions",
                label=f"{set_name} vs BKS",
                note=f"reference: best-known solution ({objective}) of "
                "the file at the end of each row", sources=sources)
        if own:
            report(set_name, own, refs, engines, sys.stdout,
                title=f"{set_name}, NO best-known solution: gap to the "
                "best of this run", label=f"{set_name} vs run best",
                ref_name='best',
                note="reference: no bks.csv or .sol has these instances; "
                f"the gap is to the best feasible solution ({objective}) "
                "of the engines of this run, 0 for the engine that found "
                "it: a comparison of the engines, not of a BKS",
                sources=sources)
    print(f"\nFiles: {len(found)} instances x {len(engines)} engines, "
        f"no targets; {len(failed)} failed run(s)"
        + ''.join(f"\n  {r['instance']} {r['engine']}: {r['message']}"
            for r in failed))
    return 1 if failed else 0


def progress(row):
    print(f"  {row['instance']:<12} {row['engine']:<8} "
        f"v={row['vehicles']} d={row['distance']:.2f} "
        f"ok={row['ok']} cpu={row['cpu']:.1f}s wall={row['wall']:.1f}s"
        + (f" {row['message']}" if row['message'] else ''), flush=True)


if __name__ == '__main__':
    sys.exit(main())
