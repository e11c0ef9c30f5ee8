#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Benchmarks of the contact discipline on PostgreSQL.

Builds the database bench_crm with the demo-data generator (--customers,
3 contacts per customer, --plan-tasks, 50 contact staff), then measures in
the same run:

1. building one day's contact list with its distribution among the staff:
   the set-based job on all customers, next to the naive ORM loop (one
   search and one create per customer) on a --slice of customers;
2. the planned-vs-done report of one month over all plan tasks;
3. customer search by part of a name or a phone through JSON-RPC
   search_read (80 rows) on a trytond server: median with the trigram
   indexes, next to the same searches with those indexes dropped.

    .venv/bin/python tests/bench/bench_contacts.py --customers 1000000
"""
import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools'))
sys.path.insert(0, str(ROOT))

import demo_data  # noqa: E402
import launch  # noqa: E402

DATABASE = 'bench_crm'
PORT = 8300


def build(args, conf):
    launch.drop_database(DATABASE, 'postgresql')
    (launch.VAR / 'db' / f'{DATABASE}.postgresql.stamp').unlink(
        missing_ok=True)
    print(f"bench: building {DATABASE} ...", flush=True)
    launch.create_database(DATABASE, 'postgresql')
    launch.run_logged([launch.BIN / 'trytond-admin', '-c', conf,
            '-d', DATABASE, '--all', '--email', 'admin@example.com',
            '-u', *launch.MODULES, '--activate-dependencies'],
        'bench-admin.log', env=launch.admin_env())
    start = time.perf_counter()
    launch.run_logged([sys.executable, ROOT / 'tools' / 'demo_data.py',
            '-c', conf, '-d', DATABASE, '--customers', args.customers,
            '--orders', 0,
            '--contacts', 3 * args.customers,
            '--plan-tasks', args.plan_tasks, '--staff', 50, '--no-today'],
        'bench-demo-data.log')
    print(f"data: {args.customers:,} customers, {3 * args.customers:,} "
        f"contacts, {args.plan_tasks:,} plan tasks, 50 contact staff in "
        f"{time.perf_counter() - start:.0f} s", flush=True)


def contact_list(args):
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(DATABASE)
    Task = pool.get('delivery.contact.task')
    Party = pool.get('party.party')
    Rule = pool.get('delivery.contact.rule')
    Company = pool.get('company.company')
    Employee = pool.get('company.employee')
    date = dt.date.today()

    with Transaction().start(DATABASE, 0) as transaction:
        company, = Company.search([])
        with transaction.set_context(company=company.id):
            start = time.perf_counter()
            Task.generate(date, [company])
            ours = time.perf_counter() - start
            cursor = transaction.connection.cursor()
            cursor.execute('SELECT h.code, t.employee, COUNT(*) '
                'FROM delivery_contact_task t '
                'JOIN company_employee e ON e.id = t.employee '
                'LEFT JOIN delivery_hub h ON h.id = e.hub '
                'WHERE t.date = %s GROUP BY h.code, t.employee', (date,))
            by_branch = {}
            tasks = 0
            for code, _, count in cursor:
                by_branch.setdefault(code or '-', []).append(count)
                tasks += count
        transaction.rollback()
    spread = ', '.join(f"{code}: {len(c)} staff, {min(c)}..{max(c)} each"
        for code, c in sorted(by_branch.items()))
    print(f"contact list, set-based: {tasks:,} tasks for {args.customers:,} "
        f"customers in {ours:.1f} s, shared in each branch ({spread})",
        flush=True)

    # the naive way: per customer, find its rule and whether it is due,
    # then create its task through the ORM, giving it to the least loaded
    with Transaction().start(DATABASE, 0) as transaction:
        company, = Company.search([])
        with transaction.set_context(company=company.id):
            rules = Rule.covering(company)
            staff = Employee.contact_staff(company, date)
            load = {e.id: 0 for e in staff}
            customers = Party.search([('delivery_customer', '=', True)],
                limit=args.slice, order=[('id', 'ASC')])
            start = time.perf_counter()
            created = 0
            for party in customers:
                party = Party(party.id)
                categories = {c.id for c in party.categories}
                for rule, covered in rules:
                    if covered is None or categories & covered:
                        break
                else:
                    continue
                threshold = dt.datetime.combine(date, dt.time()) \
                    - dt.timedelta(days=rule.interval)
                if party.last_contact and party.last_contact >= threshold:
                    continue
                if Task.search([('party', '=', party.id),
                            ('date', '=', date)]):
                    continue
                employee = min(load, key=load.get)
                load[employee] += 1
                Task.create([{
                            'company': company.id, 'date': date,
                            'party': party.id, 'employee': employee,
                            'branch': party.branch.id if party.branch
                            else None,
                            'reason': rule.reason, 'rule': rule.id,
                            'priority': rule.priority * 100000,
                            }])
                created += 1
            naive = time.perf_counter() - start
        transaction.rollback()
    naive_total = naive / args.slice * args.customers
    print(f"contact list, naive ORM loop: {created:,} tasks for "
        f"{args.slice:,} customers in {naive:.1f} s, "
        f"{naive_total:.0f} s extrapolated to {args.customers:,}")
    print(f"ratio: set-based is {naive_total / ours:.1f}x faster than the "
        "naive loop", flush=True)
    return ours


def plan_report():
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(DATABASE)
    ByEmployee = pool.get('delivery.plan.report.employee')
    ByBranch = pool.get('delivery.plan.report.branch')
    Company = pool.get('company.company')
    PlanTask = pool.get('delivery.plan.task')
    today = dt.date.today()
    month_start = today.replace(day=1)
    month_end = (month_start + dt.timedelta(days=32)).replace(day=1) \
        - dt.timedelta(days=1)
    with Transaction().start(DATABASE, 0) as transaction:
        company, = Company.search([])
        total = PlanTask.search_count([])
        timings = []
        for _ in range(3):
            with transaction.set_context(company=company.id,
                    from_date=month_start, to_date=month_end):
                start = time.perf_counter()
                rows = ByEmployee.search_read([], fields_names=[
                        'employee.rec_name', 'planned', 'done',
                        'difference'])
                branches = ByBranch.search_read([], fields_names=[
                        'branch', 'planned', 'done', 'difference'])
                timings.append(time.perf_counter() - start)
    best = min(timings)
    print(f"planned vs done, {month_start:%B %Y}: {len(rows)} employees, "
        f"{len(branches)} branches over {total:,} plan tasks in "
        f"{best:.2f} s (best of 3)", flush=True)
    return best


SEARCHES = ['ნინო', 'Beridze', 'მაისურაძე', 'Pharma', 'Giorgi Kap',
    'ლომიძე', '555 12', '599', '0577 1', '+995 595', 'ხალვაში', 'Luka']


def search(conf):
    import psycopg

    from tests.jsonrpc import Session
    server = launch.start([launch.BIN / 'trytond', '-c', conf,
            '-d', DATABASE], 'bench-server.log')
    try:
        launch.wait_for_port(PORT, server, what="The benchmark server")
        session = Session(f'http://127.0.0.1:{PORT}', DATABASE, 'manager',
            demo_data.password('manager'))

        def measure():
            timings = []
            rng = random.Random(1)
            for text in SEARCHES * 3:
                start = time.perf_counter()
                session.model('party.party', 'search_read',
                    [('delivery_customer', '=', True),
                        ('rec_name', 'ilike', f'%{text}%')],
                    0, 80, None, ['rec_name', 'code'])
                timings.append(time.perf_counter() - start)
                rng.random()
            return statistics.median(timings), max(timings)

        measure()  # warm the caches
        ours, ours_max = measure()
        with psycopg.connect(launch.PG_URI + DATABASE,
                autocommit=True) as conn:
            indexes = [r for r in conn.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE "
                    "indexdef LIKE '%gin_trgm_ops%' AND tablename IN "
                    "('party_party', 'party_contact_mechanism')")]
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            try:
                base, base_max = measure()
            finally:
                for _, definition in indexes:
                    conn.execute(definition)
    finally:
        launch.stop([server])
    print(f"customer search over JSON-RPC (80 rows, {len(SEARCHES)} "
        f"searches x3): median {ours * 1000:.0f} ms (max "
        f"{ours_max * 1000:.0f} ms) with {len(indexes)} trigram indexes, "
        f"{base * 1000:.0f} ms (max {base_max * 1000:.0f} ms) without: "
        f"{base / ours:.1f}x", flush=True)
    return ours


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--customers', type=int, default=1_000_000)
    parser.add_argument('--plan-tasks', type=int, default=1_000_000)
    parser.add_argument('--slice', type=int, default=2_000)
    parser.add_argument('--reuse', action='store_true',
        help="reuse the database of a previous run")
    args = parser.parse_args()

    conf = launch.write_config('bench-crm', database={'uri': launch.PG_URI},
        web={'listen': f'127.0.0.1:{PORT}'})
    if not args.reuse:
        build(args, conf)

    from trytond import config
    config.update_etc(str(conf))
    from trytond.pool import Pool
    Pool.start()
    Pool(DATABASE).init()

    results = {
        'contact list (s, limit 60)': (contact_list(args), 60),
        'planned vs done (s, limit 5)': (plan_report(), 5),
        'search median (s, limit 0.2)': (search(conf), 0.2),
        }
    failed = [name for name, (value, limit) in results.items()
        if value > limit]
    print("targets: " + ("all met" if not failed
            else "missed: " + ', '.join(failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
