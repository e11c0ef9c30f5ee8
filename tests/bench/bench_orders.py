#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Benchmarks of the delivery orders on PostgreSQL.

Builds the database bench_orders with the demo-data generator (--customers,
5 orders per customer, invoiced), gives one business customer 10,000 orders
(--big), then measures, each next to a naive baseline measured in the same
run:

1. creating --orders orders (100 per customer for --orders / 100 customers
   invoiced monthly, dated last month) with Order.bulk_create, confirmed
   with their legs and history; naive: Order.create([values]) one order at
   a time on --slice orders, extrapolated;
2. pricing them with tariff.price_many() against the database's tariffs
   loaded through Pricer; naive: tariff.price() one shipment at a time, and
   the on-change way (a Pricer per order) on --slice orders;
3. the monthly invoicing run Order.invoice_period() of these orders once
   delivered (set with SQL) for their customers, in a transaction started
   with the orders locked, as trytond's cron runs a task once it holds the
   locks (--cron: also the whole run as the cron does it); naive: an
   invoice and its lines through the ORM per order for 2 customers x 100
   orders, extrapolated;
4. opening the customer with 10,000 orders over JSON-RPC on a trytond
   server: party.party read of the form's fields, then delivery.order
   search_read of the first page (80) of its orders with the list's fields,
   median of --runs.

The orders of steps 1 and 3 are deleted at the end and the invoices rolled
back, so --reuse runs the measures again on the same database. Exits with 1
when a target is missed.

    .venv/bin/python tests/bench/bench_orders.py [--reuse]
"""
import argparse
import datetime as dt
import os
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

DATABASE = 'bench_orders'
PORT = 8310
TAG = 'BENCH'           # reference of the orders of steps 1 and 3
BIG_TAG = 'BENCH-BIG'   # reference of the orders of the big customer
TARGETS = {
    'create': 120,          # s for --orders orders
    'price': 20_000,        # orders/s at least
    'invoice': 120,         # s for the monthly run
    'open': 0.300,          # s, median
    }


def build(args, conf):
    launch.drop_database(DATABASE, 'postgresql')
    (launch.VAR / 'db' / f'{DATABASE}.postgresql.stamp').unlink(
        missing_ok=True)
    print(f"bench: building {DATABASE} ...", flush=True)
    launch.create_database(DATABASE, 'postgresql')
    start = time.perf_counter()
    launch.run_logged([launch.BIN / 'trytond-admin', '-c', conf,
            '-d', DATABASE, '--all', '--email', 'admin@example.com',
            '-u', *launch.MODULES, '--activate-dependencies', '-l', 'ka'],
        'bench-orders-admin.log', env=launch.admin_env())
    print(f"modules activated in {time.perf_counter() - start:.0f} s",
        flush=True)
    start = time.perf_counter()
    launch.run_logged([sys.executable, ROOT / 'tools' / 'demo_data.py',
            '-c', conf, '-d', DATABASE, '--customers', args.customers,
            '--no-today'],
        'bench-orders-demo-data.log')
    print(f"demo data: {args.customers:,} customers, "
        f"{5 * args.customers:,} orders invoiced in "
        f"{time.perf_counter() - start:.0f} s (var/log/"
        "bench-orders-demo-data.log)", flush=True)


def transaction(**extras):
    from trytond.transaction import Transaction
    return Transaction().start(DATABASE, 0, **extras)


def company_context(transaction_):
    cursor = transaction_.connection.cursor()
    cursor.execute('SELECT id FROM company_company ORDER BY id')
    company, = cursor.fetchone()
    cursor.execute("SELECT id FROM res_user WHERE login = 'admin'")
    admin, = cursor.fetchone()
    return transaction_.set_context(company=company, user=admin), company


def clean():
    """Delete the orders of steps 1 and 3 with their legs and history.

    Without the foreign key triggers: delivery_order_event.leg has no index,
    so PostgreSQL would scan the whole history for each leg deleted (hours
    for 100,000 orders)."""
    with transaction() as t:
        cursor = t.connection.cursor()
        cursor.execute('SET LOCAL session_replication_role = replica')
        cursor.execute('CREATE TEMPORARY TABLE bench_ids ON COMMIT DROP AS '
            'SELECT id FROM delivery_order WHERE reference = %s', (TAG,))
        for table in ['delivery_order_event', 'delivery_order_leg']:
            cursor.execute(f'DELETE FROM "{table}" '
                'WHERE "order" IN (SELECT id FROM bench_ids)')
        cursor.execute('DELETE FROM delivery_order '
            'WHERE id IN (SELECT id FROM bench_ids)')
        deleted = cursor.rowcount
        t.commit()
    return deleted


def customers(pool, t, count):
    """count customers invoiced monthly (not the big one) as
    demo_data.order_customers gives them"""
    from trytond.pool import Pool
    cursor = t.connection.cursor()
    all_ = demo_data.order_customers(cursor, demo_data.CrmData(Pool()))
    cursor.execute("SELECT id FROM party_party "
        "WHERE delivery_invoice_method = 'period'")
    period = {r[0] for r in cursor}
    cursor.execute('SELECT DISTINCT customer FROM delivery_order '
        'WHERE reference = %s', (BIG_TAG,))
    big = {r[0] for r in cursor}
    result = [c for c in all_ if c[0] in period and c[0] not in big]
    if len(result) < count:
        sys.exit(f"only {len(result)} customers invoiced monthly: "
            "build with more --customers")
    return result[:count]


def generate_rows(customers_, per_customer, days, seed):
    "per_customer orders of each customer picked up on one of days"
    rng = random.Random(seed)
    now = dt.datetime.now().replace(second=0, microsecond=0)
    rows = []
    for customer in customers_:
        for _ in range(per_customer):
            values, _ = demo_data.generate_order(
                rng, customer, rng.choice(days), False, now)
            values['reference'] = TAG
            rows.append(values)
    rng.shuffle(rows)
    return rows


def previous_month():
    last = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    return [last.replace(day=d) for d in range(1, last.day + 1)], last


def big_customer(args):
    """The customer with --big orders: a business customer invoiced
    monthly, its orders over the last two years, the past ones delivered"""
    from trytond.pool import Pool
    pool = Pool(DATABASE)
    Order = pool.get('delivery.order')
    with transaction() as t:
        cursor = t.connection.cursor()
        cursor.execute('SELECT customer, COUNT(*) FROM delivery_order '
            'WHERE reference = %s GROUP BY customer', (BIG_TAG,))
        row = cursor.fetchone()
        if row and row[1] >= args.big:
            return row[0]
        crm = demo_data.CrmData(pool)
        candidates = [c for c in demo_data.order_customers(cursor, crm)
            if c[-1] > 5]   # businesses weigh 8x
        customer = next((c for c in candidates if row and c[0] == row[0]),
            candidates[0])
        todo = args.big - (row[1] if row else 0)
        rng = random.Random('big')
        today = dt.date.today()
        now = dt.datetime.now().replace(second=0, microsecond=0)
        rows = []
        for _ in range(todo):
            day = today - dt.timedelta(days=rng.randrange(1, 730))
            values, _ = demo_data.generate_order(rng, customer, day, False,
                now)
            values['reference'] = BIG_TAG
            rows.append(values)
        context, _ = company_context(t)
        with context:
            start = time.perf_counter()
            ids = Order.bulk_create(rows, confirm=True, history=True)
        cursor.execute("UPDATE delivery_order SET state = 'delivered', "
            "cod_state = CASE WHEN cod_amount > 0 THEN 'handed_in' "
            "ELSE 'none' END WHERE id = ANY(%s)", (ids,))
        cursor.execute("UPDATE delivery_order_leg SET state = 'done' "
            'WHERE "order" = ANY(%s)', (ids,))
        t.commit()
        cursor.execute('ANALYZE delivery_order')
        cursor.execute('ANALYZE delivery_order_leg')
        cursor.execute('ANALYZE delivery_order_event')
        t.commit()
        print(f"setup: customer {customer[1]} (id {customer[0]}) given "
            f"{todo:,} orders in {time.perf_counter() - start:.1f} s",
            flush=True)
        return customer[0]


# 1 -------------------------------------------------------------------------

def create(args):
    from trytond.pool import Pool
    pool = Pool(DATABASE)
    Order = pool.get('delivery.order')
    days, _ = previous_month()
    per_customer = 100
    with transaction() as t:
        chosen = customers(pool, t, args.orders // per_customer)
    rows = generate_rows(chosen, per_customer, days, 'bench-orders')

    # naive: one ORM create per order; its windows are moved to the
    # future (create refuses past windows; bulk_create takes history)
    shift = dt.timedelta(days=60)
    naive_rows = []
    for values in rows[:args.slice]:
        values = dict(values)
        for name in ['date', 'pickup_start', 'pickup_end', 'delivery_start',
                'delivery_end']:
            values[name] += shift
        naive_rows.append(values)
    with transaction() as t:
        context, _ = company_context(t)
        with context:
            start = time.perf_counter()
            for values in naive_rows:
                Order.create([values])
            naive = time.perf_counter() - start
        t.rollback()
    naive_rate = len(naive_rows) / naive

    with transaction() as t:
        context, _ = company_context(t)
        with context:
            start, cpu = time.perf_counter(), time.process_time()
            ids = Order.bulk_create(rows, confirm=True, history=True)
            ours = time.perf_counter() - start
            cpu = time.process_time() - cpu
        cursor = t.connection.cursor()
        cursor.execute('SELECT COUNT(*) FROM delivery_order_leg '
            'WHERE "order" = ANY(%s)', (ids,))
        legs, = cursor.fetchone()
        t.commit()
    rate = len(ids) / ours
    print(f"1. create {len(ids):,} orders (confirmed: {legs:,} legs, "
        f"{len(ids):,} events) with Order.bulk_create: {ours:.1f} s "
        f"({rate:,.0f}/s; {cpu:.1f} s CPU in this process); naive "
        "Order.create one at a time: "
        f"{len(naive_rows):,} drafts in {naive:.1f} s ({naive_rate:,.0f}/s),"
        f" {len(ids) / naive_rate / 60:.0f} min extrapolated: "
        f"{rate / naive_rate:.0f}x", flush=True)
    return rows, ours


# 2 -------------------------------------------------------------------------

def price(args, rows):
    from trytond.modules.delivery_crm import tariff as pure
    from trytond.modules.delivery_crm.order import Pricer
    from trytond.pool import Pool
    Pool(DATABASE)
    with transaction() as t:
        context, company = company_context(t)
        with context:
            pricer = Pricer(company)
            pricer.preload_categories(r['customer'] for r in rows)
            start = time.perf_counter()
            shipments = [pricer.shipment(r)[1] for r in rows]
            prepare = time.perf_counter() - start
            timings = []
            for _ in range(3):
                start = time.perf_counter()
                quotes = pure.price_many(shipments, pricer.tariffs)
                timings.append(time.perf_counter() - start)
            ours = min(timings)

            start = time.perf_counter()
            singles = [pure.price(s, pricer.tariffs) for s in shipments]
            one_by_one = time.perf_counter() - start
            assert singles == quotes

            # as the order form prices an order: a Pricer per order
            start = time.perf_counter()
            for values in rows[:args.slice]:
                Pricer(company).compute_many([values])
            on_change = time.perf_counter() - start
    errors = sum(1 for q in quotes if q.error)
    rate = len(rows) / ours
    one_rate = len(rows) / one_by_one
    change_rate = args.slice / on_change
    print(f"2. price {len(rows):,} orders against the database's "
        f"{len(pricer.tariffs)} tariffs with tariff.price_many: "
        f"{ours:.2f} s ({rate:,.0f}/s, best of 3, {errors} errors; zones, "
        f"hubs and distances by Pricer.shipment before: {prepare:.1f} s); "
        f"tariff.price one at a time: {one_rate:,.0f}/s "
        f"({rate / one_rate:.1f}x);"
        f" a Pricer per order as the form does: {change_rate:,.0f}/s on "
        f"{args.slice:,} ({rate / change_rate:,.0f}x)", flush=True)
    return rate


# 3 -------------------------------------------------------------------------

def invoice(args):
    from trytond.pool import Pool
    from trytond.transaction import TransactionError
    pool = Pool(DATABASE)
    Order = pool.get('delivery.order')
    Invoice = pool.get('account.invoice')
    Line = pool.get('account.invoice.line')
    Configuration = pool.get('delivery.configuration')
    Party = pool.get('party.party')
    _, last = previous_month()

    with transaction() as t:
        cursor = t.connection.cursor()
        cursor.execute("UPDATE delivery_order SET state = 'delivered', "
            "cod_state = CASE WHEN cod_amount > 0 THEN 'handed_in' "
            "ELSE 'none' END WHERE reference = %s", (TAG,))
        cursor.execute("UPDATE delivery_order_leg SET state = 'done' "
            'WHERE "order" IN (SELECT id FROM delivery_order '
            'WHERE reference = %s)', (TAG,))
        cursor.execute('SELECT customer, ARRAY_AGG(id ORDER BY id) '
            'FROM delivery_order WHERE reference = %s GROUP BY customer '
            'ORDER BY customer', (TAG,))
        by_customer = cursor.fetchall()
        t.commit()
        cursor.execute('ANALYZE delivery_order')
        t.commit()
    delivered = sum(len(ids) for _, ids in by_customer)

    # naive: per order an invoice with its lines through the ORM
    sample = [i for _, ids in by_customer[:2] for i in ids]
    with transaction(_lock_records={Order._table: sample}) as t:
        context, _ = company_context(t)
        with context:
            config = Configuration(1)
            products = {
                'delivery_amount': config.delivery_product,
                'cod_fee': config.cod_fee_product,
                'surcharge_amount': config.surcharge_product,
                }
            start = time.perf_counter()
            for order in Order.browse(sample):
                invoice = Invoice(company=order.company, type='out',
                    party=order.customer, currency=order.company.currency)
                invoice.on_change_type()
                invoice.on_change_party()
                lines = []
                for column, product in products.items():
                    amount = getattr(order, column)
                    if not amount:
                        continue
                    line = Line(type='line',
                        company=order.company, currency=invoice.currency,
                        party=order.customer, invoice_type='out',
                        product=product, quantity=1, origin=order)
                    line.on_change_product()
                    line.unit_price = amount
                    line.description = f"{product.name} {order.number}"
                    lines.append(line)
                invoice.lines = lines
                invoice.save()
                Order.write([order], {'invoice': invoice.id})
            naive = time.perf_counter() - start
        t.rollback()
    naive_total = naive / len(sample) * delivered

    customers_ = [c for c, _ in by_customer]
    # as trytond-cron runs the monthly task once it holds the locks: a
    # transaction started with every order to invoice locked
    with transaction() as t:
        cursor = t.connection.cursor()
        cursor.execute('SELECT id FROM delivery_order '
            'WHERE reference = %s', (TAG,))
        ids = [r[0] for r in cursor]
    start, cpu = time.perf_counter(), time.process_time()
    with transaction(_lock_records={Order._table: ids}) as t:
        context, _ = company_context(t)
        with context:
            invoices = Order.invoice_period(
                date=last, customers=Party.browse(customers_))
            cursor = t.connection.cursor()
            invoice_ids = [i.id for i in invoices]
            cursor.execute('SELECT COUNT(*) FROM account_invoice_line '
                'WHERE invoice = ANY(%s)', (invoice_ids,))
            lines, = cursor.fetchone()
            cursor.execute('SELECT COUNT(*) FROM delivery_order '
                'WHERE invoice = ANY(%s)', (invoice_ids,))
            invoiced, = cursor.fetchone()
        t.rollback()
    ours = time.perf_counter() - start
    cpu = time.process_time() - cpu
    assert invoiced == delivered, (invoiced, delivered)
    # invoice_period selects and locks all the orders at once: trytond-cron
    # starts the transaction again once with the locks
    restarts = "not measured (--cron)"
    if args.cron:
        extras, attempts = {}, 0
        start = time.perf_counter()
        while True:
            attempts += 1
            with transaction(**extras) as t:
                try:
                    context, _ = company_context(t)
                    with context:
                        Order.invoice_period(
                            date=last, customers=Party.browse(customers_))
                    t.rollback()
                    break
                except TransactionError as error:
                    t.rollback()
                    error.fix(extras)
        restarts = (f"{time.perf_counter() - start:.1f} s measured, "
            f"{attempts} attempts")

    print(f"3. invoice_period up to {last}: {invoiced:,} delivered orders of "
        f"{len(invoices):,} customers into {len(invoices):,} invoices of "
        f"{lines:,} lines in {ours:.1f} s ({invoiced / ours:,.0f} orders/s, "
        f"{cpu:.1f} s CPU in this process) with the orders locked at the "
        f"start; as trytond-cron runs it, the transaction started again "
        f"once with the locks: {restarts}; naive ORM invoice per order: "
        f"{len(sample):,} orders in {naive:.1f} s, "
        f"{naive_total / 60:.0f} min extrapolated to {delivered:,}: "
        f"{naive_total / ours:.0f}x", flush=True)
    return ours


# 4 -------------------------------------------------------------------------

def gzip_session(*args):
    """A tests.jsonrpc.Session that accepts gzip answers as sao (a browser)
    does: werkzeug's server is slow to write an uncompressed answer of
    some 70 KB (about 300 ms for the page of 80 orders, 110 ms gzipped)"""
    import gzip
    import json
    import urllib.request

    from tests.jsonrpc import RPCError, Session

    class GzipSession(Session):
        def call(self, method, *params):
            data = json.dumps({'id': 1, 'method': method,
                    'params': list(params)}).encode()
            request = urllib.request.Request(self.url, data=data, headers={
                    'Content-Type': 'application/json',
                    'Accept-Encoding': 'gzip',
                    })
            if self.authorization:
                request.add_header('Authorization', self.authorization)
            with urllib.request.urlopen(request, timeout=120) as response:
                body = response.read()
                if response.headers.get('Content-Encoding') == 'gzip':
                    body = gzip.decompress(body)
            answer = json.loads(body)
            if answer.get('error'):
                raise RPCError(answer['error'])
            return answer['result']

    return GzipSession(*args)


def read_fields(view):
    "The names sao reads for the fields of a view"
    names = []
    for name, field in view['fields'].items():
        names.append(name)
        if field['type'] in {'many2one', 'one2one', 'reference'}:
            names.append(name + '.rec_name')
    return names + ['rec_name', '_timestamp', '_write', '_delete']


def open_customer(args, conf, customer, optimize):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONOPTIMIZE'}
    if optimize:
        env['PYTHONOPTIMIZE'] = '1'
    server = launch.start([launch.BIN / 'trytond', '-c', conf,
            '-d', DATABASE], 'bench-orders-server.log', env=env)
    try:
        launch.wait_for_port(PORT, server, what="The benchmark server")
        session = gzip_session(f'http://127.0.0.1:{PORT}', DATABASE,
            'manager', demo_data.password('manager'))
        form = session.model('party.party', 'fields_view_get', None, 'form')
        tree = session.model('delivery.order', 'fields_view_get', None,
            'tree')
        party_fields = read_fields(form)
        order_fields = read_fields(tree)
        reads, searches, totals = [], [], []
        for run in range(args.runs + 2):
            start = time.perf_counter()
            party, = session.model('party.party', 'read', [customer],
                party_fields)
            middle = time.perf_counter()
            page = session.model('delivery.order', 'search_read',
                [('customer', '=', customer)], 0, 80, None, order_fields)
            end = time.perf_counter()
            if run >= 2:    # warm the caches first
                reads.append(middle - start)
                searches.append(end - middle)
                totals.append(end - start)
    finally:
        launch.stop([server])
    median = statistics.median(totals)
    revenue = party['order_revenue']
    if isinstance(revenue, dict):   # a Decimal over JSON-RPC
        revenue = revenue['decimal']
    print(f"4. open the customer with {len(party['delivery_orders']):,} "
        f"orders ({party['order_count']:,} counted, revenue {revenue} GEL) "
        "over JSON-RPC (gzip), trytond "
        f"{'with python -O' if optimize else 'as started by default'}: "
        f"median {median * 1000:.0f}"
        f" ms (max {max(totals) * 1000:.0f} ms) over {len(totals)} runs: "
        f"party.party read of the form's {len(form['fields'])} fields "
        f"{statistics.median(reads) * 1000:.0f} ms, delivery.order "
        f"search_read of {len(page)} orders with the list's "
        f"{len(tree['fields'])} fields "
        f"{statistics.median(searches) * 1000:.0f} ms", flush=True)
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('--customers', type=int, default=2000,
        help="customers of the demo data (at least --orders / 100 of them "
        "invoiced monthly)")
    parser.add_argument('--orders', type=int, default=100_000,
        help="orders created, priced and invoiced (100 per customer)")
    parser.add_argument('--big', type=int, default=10_000,
        help="orders of the customer opened in step 4")
    parser.add_argument('--slice', type=int, default=1_000,
        help="orders of the naive loops of steps 1 and 2")
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--reuse', action='store_true',
        help="reuse the database of a previous run")
    parser.add_argument('--steps', default='1234',
        help="the steps to run (default 1234; 2 and 3 need 1)")
    parser.add_argument('--cron', action='store_true',
        help="also run step 3 as trytond-cron does, the transaction started "
        "again once for the locks")
    args = parser.parse_args()

    conf = launch.write_config('bench-orders',
        database={'uri': launch.PG_URI},
        web={'listen': f'127.0.0.1:{PORT}'})
    if not args.reuse or not launch.database_exists(
            conf, DATABASE, 'postgresql'):
        build(args, conf)

    from trytond import config
    config.update_etc(str(conf))
    from trytond.pool import Pool
    Pool.start()
    Pool(DATABASE).init()

    if clean():
        print("deleted the orders of a previous run", flush=True)
    customer = big_customer(args)
    results = []
    if '1' in args.steps:
        try:
            rows, created = create(args)
            results.append((f"create {args.orders:,} orders (s)", created,
                    TARGETS['create'], created <= TARGETS['create']))
            if '2' in args.steps:
                rate = price(args, rows)
                results.append(("price_many (orders/s)", rate,
                        TARGETS['price'], rate >= TARGETS['price']))
            if '3' in args.steps:
                invoiced = invoice(args)
        finally:
            clean()
        if '3' in args.steps:
            results.append(("monthly invoicing (s)", invoiced,
                    TARGETS['invoice'], invoiced <= TARGETS['invoice']))
    if '4' in args.steps:
        opened = open_customer(args, conf, customer, False)
        opened_optimized = open_customer(args, conf, customer, True)
        results += [
            ("open a customer, trytond's default (s, median)", opened,
                TARGETS['open'], opened <= TARGETS['open']),
            ("open a customer, python -O (s, median)", opened_optimized,
                TARGETS['open'], opened_optimized <= TARGETS['open']),
            ]
    for name, value, target, met in results:
        print(f"  {name}: {value:,.3f} (target {target:,}) "
            f"{'met' if met else 'MISSED'}")
    failed = [name for name, _, _, met in results if not met]
    print("targets: " + ("all met" if not failed
            else "missed: " + ', '.join(failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
