# This file is part of the Delivery CRM for Tryton.
"""Benchmark of the tariff maths (addons/delivery_crm/tariff.py).

Builds 3 tariffs (a general one of 12 rules: 4 services x 3 distance bands;
a contract for a party category; a contract for one party) and --orders
random shipments with a fixed seed (mixed services, zones, distances,
weights, volumes, parcels, COD, fragile, out of hours, customers with and
without contracts, a few invalid ones), then measures in the same run,
each the best of --repeat:

- the naive way: the obvious per-order computation, as an on_change of the
  order would do it: select and sort the customer's tariffs, sort each
  tariff's rules, convert the numbers and walk the rules, for every order;
- price(): the module's function called once per order;
- price_many(): the module's bulk pricing, as the bulk API calls it;

checks that the three give the same quotes, prints the rates and their
ratio, and exits with 1 when price_many() prices fewer than --minimum
orders per second.

    .venv/bin/python tests/bench/bench_tariff.py --orders 100000
"""
import argparse
import random
import sys
import time
from decimal import ROUND_HALF_UP, Decimal

from trytond.modules.delivery_crm.tariff import (
    SERVICES, Quote, Rule, Shipment, Tariff, price, price_many)

MINIMUM_RATE = 20_000
CONTRACT_PARTY = 42
CONTRACT_CATEGORY = 7
# Tbilisi (3 districts), Rustavi, Kutaisi, Batumi
ZONES = (1, 2, 3, 4, 5, 6)
D = Decimal


def build_tariffs():
    "The general tariff, a category contract and a party contract"
    general = []
    prices = {
        # service: (base, included kg, per kg, per extra parcel, minimum)
        'same_day': ('8.00', '5', '0.50', '3.00', '8.00'),
        'next_day': ('5.00', '5', '0.40', '2.00', '5.00'),
        'express': ('12.00', '3', '0.80', '4.00', '12.00'),
        'intercity': ('10.00', '10', '0.30', '2.50', '10.00'),
        }
    # distance bands in km with their price per km; base +2 per band
    bands = ((0, 15, '0.00'), (15, 100, '0.25'), (100, None, '0.18'))
    rule_id = 100
    for service in SERVICES:
        base, included, per_kg, per_parcel, minimum = prices[service]
        for sequence, (low, high, per_km) in enumerate(bands, 1):
            rule_id += 1
            general.append(Rule(
                    id=rule_id, sequence=sequence * 10, service=service,
                    distance_min=D(low),
                    distance_max=None if high is None else D(high),
                    base_price=D(base) + D(sequence - 1) * 2,
                    price_per_km=D(per_km), included_weight=D(included),
                    price_per_kg=D(per_kg),
                    price_per_extra_parcel=D(per_parcel),
                    minimum_price=D(minimum)))
    category = [
        # Cheaper same-day and next-day inside Tbilisi up to 30 kg
        Rule(id=201, sequence=10, service='same_day', origin_zone=1,
            destination_zone=2, distance_max=D(30), weight_max=D(30),
            base_price=D('6.50'), included_weight=D(5),
            price_per_kg=D('0.40'), price_per_extra_parcel=D('2.00'),
            minimum_price=D('6.00')),
        Rule(id=202, sequence=20, service='same_day', distance_max=D(30),
            weight_max=D(30), base_price=D('7.00'), included_weight=D(5),
            price_per_kg=D('0.45'), price_per_extra_parcel=D('2.50')),
        Rule(id=203, sequence=30, service='next_day', distance_max=D(50),
            weight_max=D(30), base_price=D('4.20'), included_weight=D(5),
            price_per_kg=D('0.35'), price_per_extra_parcel=D('1.50')),
        Rule(id=204, sequence=40, service='intercity', distance_min=D(50),
            base_price=D('9.00'), price_per_km=D('0.15'),
            included_weight=D(10), price_per_kg=D('0.25'),
            minimum_price=D('15.00')),
        ]
    party = [
        # Flat next-day price and a per-km express price for one shop
        Rule(id=301, sequence=10, service='next_day', weight_max=D(20),
            base_price=D('4.00'), price_per_extra_parcel=D('1.00')),
        Rule(id=302, sequence=20, service='express', distance_max=D(60),
            base_price=D('9.00'), price_per_km=D('0.20'),
            included_weight=D(5), price_per_kg=D('0.60'),
            minimum_price=D('10.00')),
        ]
    return (
        Tariff(id=1, rules=tuple(general), sequence=10,
            volumetric_factor=D(200), cod_fee_percent=D('1.5'),
            cod_fee_minimum=D('1.00'), fragile_fee=D('3.00'),
            out_of_hours_percent=D(25),
            cod_services=frozenset({'same_day', 'next_day', 'intercity'})),
        Tariff(id=2, rules=tuple(category), sequence=10,
            categories=frozenset({CONTRACT_CATEGORY}),
            volumetric_factor=D(250), cod_fee_percent=D('1.2'),
            cod_fee_minimum=D('0.80'), fragile_fee=D('2.50'),
            out_of_hours_percent=D(20)),
        Tariff(id=3, rules=tuple(party), sequence=10, party=CONTRACT_PARTY,
            volumetric_factor=D(200), cod_fee_percent=D(1),
            cod_fee_minimum=D('0.50'), fragile_fee=D(2),
            out_of_hours_percent=D(15),
            cod_services=frozenset({'next_day'})),
        )


def build_shipments(count, seed):
    "Realistic mixed orders; about 1% are invalid"
    rng = random.Random(seed)
    shipments = []
    for _ in range(count):
        service = rng.choices(
            SERVICES + ('pigeon',), (35, 40, 15, 10, 0.2))[0]
        if service == 'intercity':
            origin = rng.choice(ZONES[:4])
            destination = rng.choice(ZONES[3:])
            distance = D(rng.randint(2000, 40000)) / 100
        else:
            origin, destination = rng.choice(ZONES[:3]), rng.choice(ZONES[:4])
            distance = D(rng.randint(50, 6000)) / 100
        if rng.random() < 0.02:
            origin = None   # address outside every zone
        weight = D(round(rng.lognormvariate(0.7, 1.0), 2))
        if rng.random() < 0.002:
            weight = D(-1)
        volume = (D(rng.randint(1, 200)) / 1000 if rng.random() < 0.6
            else D(0))
        parcels = 1 if rng.random() < 0.8 else rng.randint(2, 6)
        cod = (D(rng.randint(500, 50000)) / 100 if rng.random() < 0.4
            else D(0))
        roll = rng.random()
        if roll < 0.1:
            party, categories = CONTRACT_PARTY, frozenset({3})
        elif roll < 0.35:
            party = rng.randint(1000, 5000)
            categories = frozenset({CONTRACT_CATEGORY})
        else:
            party = rng.randint(1000, 5000)
            categories = (frozenset({3}) if rng.random() < 0.2
                else frozenset())
        shipments.append(Shipment(
                service=service, origin_zone=origin,
                destination_zone=destination, distance=distance,
                weight=weight, volume=volume, parcels=parcels,
                cod_amount=cod, fragile=rng.random() < 0.05,
                out_of_hours=rng.random() < 0.1, party=party,
                categories=categories))
    return shipments


# -- the naive way -----------------------------------------------------------

CENT = D('0.01')


def naive_quote(error=None, tariff=None, rule=None, chargeable=D(0),
        delivery=D(0), cod_fee=D(0), surcharge=D(0)):
    def r(amount):
        return D(amount).quantize(CENT, rounding=ROUND_HALF_UP)
    delivery, cod_fee, surcharge = r(delivery), r(cod_fee), r(surcharge)
    return Quote(tariff=tariff, rule=rule, chargeable_weight=chargeable,
        delivery=delivery, cod_fee=cod_fee, surcharge=surcharge,
        total=r(delivery + cod_fee + surcharge), error=error)


def naive_price(shipment, tariffs):
    "The obvious per-order way, straight from the specification"
    s = shipment
    if s.service not in SERVICES:
        return naive_quote('service')
    weight, volume = D(s.weight), D(s.volume)
    cod, distance = D(s.cod_amount), D(s.distance)
    if not 0 <= weight <= 10_000:
        return naive_quote('weight')
    if not 0 <= volume <= 100:
        return naive_quote('volume')
    if not 1 <= s.parcels <= 1000:
        return naive_quote('parcels')
    if cod < 0:
        return naive_quote('cod_amount')

    def group(tariff):
        if tariff.party is not None:
            return 0 if tariff.party == s.party else None
        if tariff.categories:
            return 1 if tariff.categories & s.categories else None
        return 2
    applicable = sorted(
        (t for t in tariffs if group(t) is not None),
        key=lambda t: (group(t), t.sequence, t.id))
    if not applicable:
        return naive_quote('no_tariff')
    for tariff in applicable:
        chargeable = max(weight, volume * tariff.volumetric_factor)
        for rule in sorted(tariff.rules, key=lambda r: (r.sequence, r.id)):
            if (rule.service in (None, s.service)
                    and rule.origin_zone in (None, s.origin_zone)
                    and rule.destination_zone in (None, s.destination_zone)
                    and rule.distance_min <= distance
                    and (rule.distance_max is None
                        or distance < rule.distance_max)
                    and rule.weight_min <= chargeable
                    and (rule.weight_max is None
                        or chargeable < rule.weight_max)):
                break
        else:
            continue
        break
    else:
        return naive_quote('no_rule')
    if cod > 0 and s.service not in tariff.cod_services:
        return naive_quote('cod_not_allowed', tariff.id, rule.id, chargeable)
    delivery = max(rule.minimum_price, rule.base_price
        + rule.price_per_km * distance
        + rule.price_per_kg * max(0, chargeable - rule.included_weight)
        + rule.price_per_extra_parcel * (s.parcels - 1))
    delivery = delivery.quantize(CENT, rounding=ROUND_HALF_UP)
    cod_fee = (max(tariff.cod_fee_minimum,
            cod * tariff.cod_fee_percent / 100) if cod > 0 else 0)
    surcharge = ((tariff.fragile_fee if s.fragile else 0)
        + (delivery * tariff.out_of_hours_percent / 100
            if s.out_of_hours else 0))
    return naive_quote(None, tariff.id, rule.id, chargeable, delivery,
        cod_fee, surcharge)


def best_of(repeat, function):
    "Best elapsed seconds of repeat calls, with the last result"
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--orders', type=int, default=100_000)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--seed', default='tariff-bench')
    parser.add_argument('--minimum', type=int, default=MINIMUM_RATE,
        help="orders per second price_many must reach (default %(default)s)")
    args = parser.parse_args()

    tariffs = build_tariffs()
    shipments = build_shipments(args.orders, args.seed)
    print(f"data: {len(tariffs)} tariffs "
        f"({sum(len(t.rules) for t in tariffs)} rules), "
        f"{len(shipments):,} shipments", flush=True)

    naive_seconds, naive_quotes = best_of(args.repeat,
        lambda: [naive_price(s, tariffs) for s in shipments])
    single_seconds, single_quotes = best_of(args.repeat,
        lambda: [price(s, tariffs) for s in shipments])
    bulk_seconds, bulk_quotes = best_of(args.repeat,
        lambda: price_many(shipments, tariffs))

    if not (bulk_quotes == single_quotes == naive_quotes):
        for s, a, b, c in zip(
                shipments, naive_quotes, single_quotes, bulk_quotes):
            if not a == b == c:
                print(f"MISMATCH {s}\n naive {a}\n price {b}\n bulk  {c}")
                break
        sys.exit(2)
    errors = {}
    for quote in bulk_quotes:
        errors[quote.error] = errors.get(quote.error, 0) + 1
    priced = errors.pop(None, 0)
    print(f"quotes: {priced:,} priced, errors "
        + ', '.join(f"{k} {v:,}" for k, v in sorted(errors.items()))
        + "; identical in the three ways")

    count = len(shipments)
    naive_rate = count / naive_seconds
    single_rate = count / single_seconds
    bulk_rate = count / bulk_seconds
    print(f"naive per-order loop: {naive_seconds:.2f} s "
        f"({naive_rate:,.0f} orders/s)")
    print(f"price() per order:    {single_seconds:.2f} s "
        f"({single_rate:,.0f} orders/s)")
    print(f"price_many():         {bulk_seconds:.2f} s "
        f"({bulk_rate:,.0f} orders/s)")
    print(f"ratio: price_many is {bulk_rate / naive_rate:.1f}x the naive "
        f"loop and {bulk_rate / single_rate:.1f}x price() per order")
    if bulk_rate < args.minimum:
        print(f"FAIL: price_many below {args.minimum:,} orders/s")
        sys.exit(1)


if __name__ == '__main__':
    main()
