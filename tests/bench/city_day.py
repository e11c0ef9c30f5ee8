# This file is part of the Delivery CRM for Tryton.
"""Realistic courier days for the route optimiser benchmark (not shipped).

Pure Python (random, math), deterministic by seed; the result is a
`delivery_courier_routes.solver.Problem` with the default haversine
provider (``DistanceMatrix()``: great circle x 1.3, each vehicle's own
average speed, see ``solver.SPEEDS``).

``city_day(city, stops, seed, money_per_km)``: one day of ``city``
('tbilisi' or 'batumi'):

- 2 depots (Tbilisi: centre and Didube; Batumi: port and airport), open
  07:00-21:00;
- stops drawn around the city's districts (centre, spread in km, weight);
  ~5-10 % of the stops (drawn per day) form pickup-and-delivery pairs (an
  order collected at a shop and brought to a customer on the same trip:
  ``Stop(kind='pickup')`` + ``Stop(kind='delivery', pickup=<its id>)``),
  ~12 % of the others are pickups brought back to the depot, the rest
  deliveries loaded at the depot;
- demand in 3 dimensions (kg, m3, parcels); 4 % big parcels (20-60 kg);
- windows of 2, 3 or 4 h on half-hour starts within 09:00-19:00 for 80 %
  of the single stops (the others have none: the courier's shift bounds
  them); a pair: pickup window in 09:00-16:00, delivery from 1 h after the
  pickup window opens until 2-4 h later (19:00 at the latest);
- service 2-8 min + 1 min per extra parcel (2-10 min), 5-10 min more for a
  big parcel;
- couriers: one per 25 stops (rounded up), 15 % bicycles, 35 % scooters,
  30 % cars, 20 % vans (largest remainders, at least one car and one van
  for the big parcels), 3-D capacities (bicycle 15 kg / 0.08 m3 / 15
  parcels; scooter, car and van as the FLEET of the Tbilisi set), depots
  alternating, shifts of 9.5 h starting at 08:00, 09:00, 10:00, 08:30,
  09:30 or 11:00 in turn (so each depot has late shifts for the evening
  windows), a 30 min break starting between 12:00 and 15:00.

Money: ``money_per_km`` is the scooter's cost per km; every other amount
keeps its ratio to it (per km: bicycle 1/3, scooter 1, car 2, van 3; per
day: bicycle 66.7, scooter 100, car 150, van 200 times money_per_km).  With
0.3: bicycle 0.1/km and 20/day, scooter 0.3 and 30, car 0.6 and 45, van
0.9 and 60; with 3000 the same numbers x 10,000.  Only the money changes
with it: the stops, the fleet and the plans are the same.

``CITY_DAYS``: the benchmark's days, name -> (city, stops, seed).

``tbilisi_problem()``: the older 'tbilisi' set of bench_vrp.py (1,000 stops,
40 couriers of the FLEET below, seed 2026), kept exactly as it was so that
its figures do not change.

    .venv/bin/python tests/bench/city_day.py     # summary of every day
"""
import math
import random

__all__ = ['CITY_DAYS', 'CITIES', 'DEPOTS', 'DISTRICTS', 'FLEET',
    'city_day', 'tbilisi_problem']

H = 3600

# ---------------------------------------------------------------- Tbilisi

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
# type: (count of 40, capacity kg, m3, parcels, cost per km, cost per day)
# of the 'tbilisi' set (tbilisi_problem)
FLEET = {
    'scooter': (16, 30.0, 0.15, 30, 0.15, 60.0),
    'car': (16, 250.0, 1.5, 90, 0.35, 90.0),
    'van': (8, 800.0, 6.0, 250, 0.60, 130.0),
    }

# ----------------------------------------------------------------- Batumi

BATUMI_DEPOTS = (('port', 41.6460, 41.6420), ('airport', 41.6140, 41.6010))
BATUMI_DISTRICTS = (
    ('Old Batumi', 41.6490, 41.6380, 0.6, 10),
    ('Rustaveli', 41.6420, 41.6300, 0.6, 8),
    ('Boni-Gorodoki', 41.6370, 41.6450, 0.7, 8),
    ('Javakhishvili', 41.6290, 41.6460, 0.6, 6),
    ('Angisa', 41.6230, 41.6530, 0.6, 5),
    ('Aghmashenebeli', 41.6230, 41.6350, 0.7, 9),
    ('Khimshiashvili', 41.6300, 41.6150, 0.8, 10),
    ('Bagrationi', 41.6190, 41.6230, 0.7, 7),
    ('Tamar', 41.6140, 41.6050, 0.6, 6),
    ('Kakhaberi', 41.6150, 41.5940, 0.6, 4),
    )

# city: depots, districts, (lat min, lat max), (lon min, lon max)
CITIES = {
    'tbilisi': (DEPOTS, DISTRICTS, (41.65, 41.82), (44.70, 44.95)),
    'batumi': (BATUMI_DEPOTS, BATUMI_DISTRICTS, (41.61, 41.66),
        (41.58, 41.66)),
    }

# type: (share of the fleet, kg, m3, parcels, cost per km and per day in
# money_per_km units)
COURIERS = (
    ('bicycle', 0.15, 15.0, 0.08, 15, 1 / 3, 200 / 3),
    ('scooter', 0.35) + FLEET['scooter'][1:4] + (1.0, 100.0),
    ('car', 0.30) + FLEET['car'][1:4] + (2.0, 150.0),
    ('van', 0.20) + FLEET['van'][1:4] + (3.0, 200.0),
    )
STOPS_PER_COURIER = 25
SHIFT_STARTS = (8 * H, 9 * H, 10 * H, 8 * H + 1800, 9 * H + 1800, 11 * H)
SHIFT = 9 * H + 1800

CITY_DAYS = {
    'tbilisi-150': ('tbilisi', 150, 150),
    'batumi-150': ('batumi', 150, 151),
    'tbilisi-300': ('tbilisi', 300, 300),
    'batumi-300': ('batumi', 300, 301),
    'tbilisi-1000': ('tbilisi', 1000, 1000),
    }


def _money(value):
    "12 significant digits: 0.3 / 3 gives 0.1, not 0.09999999999999999"
    return float(f'{value:.12g}')


def fleet_counts(couriers):
    "{type: count}: the shares by largest remainders, >= 1 car and 1 van"
    exact = [share * couriers for _, share, *_ in COURIERS]
    counts = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda k: (counts[k] - exact[k], k))
    for k in order[:couriers - sum(counts)]:
        counts[k] += 1
    for big in (2, 3):
        if not counts[big] and couriers >= 2:
            donor = max(range(2), key=lambda k: counts[k])
            counts[donor] -= 1
            counts[big] += 1
    return {c[0]: n for c, n in zip(COURIERS, counts)}


def city_day(city, stops, seed, money_per_km):
    """A courier day of city with stops stops: a solver Problem, the same
    for the same arguments (money_per_km changes only the costs)"""
    from trytond.modules.delivery_courier_routes.distances import (
        DistanceMatrix)
    from trytond.modules.delivery_courier_routes.solver import (
        SPEEDS, Break, Depot, Problem, Stop, Vehicle)
    depot_table, districts, (lat0, lat1), (lon0, lon1) = CITIES[city]
    rng = random.Random(seed)
    depots = [Depot(name, lat, lon, opens=7 * H, closes=21 * H)
        for name, lat, lon in depot_table]
    weights = [d[4] for d in districts]

    def point():
        _, lat, lon, spread, _ = rng.choices(districts, weights)[0]
        lat += rng.gauss(0, spread / 111.0)
        lon += rng.gauss(0, spread / (111.0 * math.cos(math.radians(lat))))
        return (round(min(lat1, max(lat0, lat)), 6),
            round(min(lon1, max(lon0, lon)), 6))

    def window(first=9 * H, last=19 * H):
        width = rng.choice((2, 3, 3, 4)) * H
        start = first + rng.randrange(0, last - first - width + 1, 1800)
        return start, start + width

    def parcel(big_share=0.04):
        "(demand (kg, m3, parcels), service s)"
        big = rng.random() < big_share
        if big:
            kg = round(rng.uniform(20, 60), 1)
            m3 = round(kg * rng.uniform(0.004, 0.008), 3)
            count = rng.choice((1, 1, 2))
        else:
            kg = round(max(0.1, min(15.0, rng.lognormvariate(0.3, 0.9))), 1)
            m3 = round(max(0.001, kg * rng.uniform(0.002, 0.006)), 3)
            count = rng.choice((1, 1, 1, 2, 3))
        service = rng.randint(120, 480) + 60 * (count - 1)
        if big:
            service += rng.randint(300, 600)
        return (kg, m3, count), service

    result = []
    pairs = round(stops * rng.uniform(0.05, 0.10) / 2)
    singles = stops - 2 * pairs
    pickups = round(singles * 0.12)
    for k in range(pairs):
        q, service = parcel(big_share=0)
        s, e = window(9 * H, 16 * H)
        result.append(Stop(f'P{k}', *point(), demand=q,
                service_time=service, tw_start=s, tw_end=e, kind='pickup'))
        start = s + H
        end = min(19 * H, start + rng.choice((2, 3, 4)) * H)
        result.append(Stop(f'D{k}', *point(), demand=q,
                service_time=rng.randint(120, 360), tw_start=start,
                tw_end=end, kind='delivery', pickup=f'P{k}'))
    for k in range(singles):
        q, service = parcel()
        s, e = window() if rng.random() < 0.8 else (None, None)
        result.append(Stop(f'S{k}', *point(), demand=q,
                service_time=service, tw_start=s, tw_end=e,
                kind='pickup' if k < pickups else 'delivery'))
    vehicles = []
    couriers = max(2, math.ceil(stops / STOPS_PER_COURIER))
    counts = fleet_counts(couriers)
    k = 0
    for kind, _, kg, m3, parcels, per_km, per_day in COURIERS:
        for _ in range(counts[kind]):
            start = SHIFT_STARTS[k % len(SHIFT_STARTS)]
            vehicles.append(Vehicle(
                    f'{kind}{k}', depots[k % 2].id,
                    capacity=(kg, m3, parcels),
                    cost_per_km=_money(per_km * money_per_km),
                    fixed_cost=_money(per_day * money_per_km),
                    shift_start=start, shift_end=start + SHIFT,
                    break_=Break(12 * H, 15 * H, 1800),
                    speed_kmh=SPEEDS[kind]))
            k += 1
    return Problem(depots, vehicles, result, distances=DistanceMatrix())


def named_day(name, money_per_km):
    "The Problem of a day of CITY_DAYS"
    city, stops, seed = CITY_DAYS[name]
    return city_day(city, stops, seed, money_per_km)


# -------------------------------------------- the older 'tbilisi' set

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


def summary(problem):
    "One line on a Problem: stops by kind, windows, fleet, money"
    from trytond.modules.delivery_courier_routes.solver import Instance
    stops = problem.stops
    pairs = sum(1 for s in stops if s.pickup is not None)
    pickups = sum(1 for s in stops if s.kind == 'pickup') - pairs
    open_ = sum(1 for s in stops if s.tw_start is None)
    kinds = {}
    for v in problem.vehicles:
        kind = v.id.rstrip('0123456789')
        kinds[kind] = kinds.get(kind, 0) + 1
    instance = Instance(problem)
    money = ', '.join(f'{kind} {v.cost_per_km:g}/km {v.fixed_cost:g}/day'
        for kind, v in {v.id.rstrip('0123456789'): v
            for v in problem.vehicles}.items())
    return (f"{len(stops)} stops ({pairs} pairs, {pickups} pickups, "
        f"{open_} without window), kg {sum(s.demand[0] for s in stops):.0f}, "
        f"couriers {kinds}, {len(instance.excluded)} excluded; {money}")


if __name__ == '__main__':
    for name in CITY_DAYS:
        for money in (0.3, 3000):
            print(f"{name} x{money:g}: {summary(named_day(name, money))}")
