#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Benchmark of the demo-data generator on PostgreSQL.

Creates the database bench_demo_data, activates the four modules, builds the
demo company, then measures in the same run:
- the naive way: one ORM create per customer (party with its address and
  contact mechanisms) on a slice of --slice customers;
- ours: tools/demo_data.py's bulk writer (COPY) for --customers customers;
and prints both rates and their ratio.

    .venv/bin/python tests/bench/bench_demo_data.py --customers 1000000
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools'))

import demo_data  # noqa: E402
import launch  # noqa: E402

DATABASE = 'bench_demo_data'


def naive(database, count, seed):
    "One ORM call per customer, as a loop over a CSV would do"
    import random

    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    rng = random.Random(seed)
    with Transaction().start(database, 0) as transaction:
        Party = pool.get('party.party')
        Country = pool.get('country.country')
        georgia, = Country.search([('code', '=', 'GE')])
        start = time.perf_counter()
        for _ in range(count):
            name, street, city, lat, lon, mechanisms, _ = (
                demo_data.generate_customer(rng))
            Party.create([{
                        'name': name,
                        'addresses': [('create', [{
                                        'street': street, 'city': city,
                                        'country': georgia.id,
                                        'latitude': lat, 'longitude': lon,
                                        }])],
                        'contact_mechanisms': [('create', [
                                    {'type': t, 'value': v}
                                    for t, v, _ in mechanisms])],
                        }])
        elapsed = time.perf_counter() - start
        transaction.rollback()
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--customers', type=int, default=1_000_000)
    parser.add_argument('--slice', type=int, default=2_000)
    parser.add_argument('--keep', action='store_true',
        help="keep the database for other benchmarks")
    args = parser.parse_args()

    conf = launch.write_config('bench', database={'uri': launch.PG_URI})
    launch.drop_database(DATABASE, 'postgresql')
    (launch.VAR / 'db' / f'{DATABASE}.postgresql.stamp').unlink(
        missing_ok=True)
    print(f"bench: building {DATABASE} with the four modules ...", flush=True)
    launch.prepare_database(conf, DATABASE, 'postgresql', 0, log=print)

    from trytond import config
    config.update_etc(str(conf))
    from trytond.pool import Pool
    Pool.start()
    Pool(DATABASE).init()

    naive_seconds = naive(DATABASE, args.slice, 'bench')
    naive_rate = args.slice / naive_seconds
    print(f"naive ORM loop: {args.slice:,} customers in {naive_seconds:.1f} s "
        f"({naive_rate:,.0f}/s)", flush=True)

    start = time.perf_counter()
    added = demo_data.bulk_customers(DATABASE, str(conf), args.customers,
        'tbilisi-express', lambda m: None)
    bulk_seconds = time.perf_counter() - start
    bulk_rate = added / bulk_seconds
    print(f"bulk generator: {added:,} customers in {bulk_seconds:.1f} s "
        f"({bulk_rate:,.0f}/s)")
    print(f"ratio: bulk is {bulk_rate / naive_rate:.1f}x the naive ORM loop; "
        f"the naive loop would take {args.customers / naive_rate / 60:.0f} min "
        f"for {args.customers:,}")
    if not args.keep:
        launch.drop_database(DATABASE, 'postgresql')


if __name__ == '__main__':
    main()
