# This file is part of the Delivery CRM for Tryton.
"""The demo-data generator on SQLite and PostgreSQL: what it creates, that
the phones it writes the way people do normalise to what it stores, that
its delivery orders went through their workflow and got invoiced, that
running it again adds nothing and that it grows a database on demand."""
import datetime as dt
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from decimal import Decimal

import phonenumbers
import pytest

import demo_data
import launch
from tests import harness

DATABASE = 'test_demo_data'


def connect(backend):
    if backend == 'sqlite':
        return sqlite3.connect(launch.VAR / 'db' / f'{DATABASE}.sqlite')
    import psycopg
    return psycopg.connect(launch.PG_URI + DATABASE)


@pytest.fixture(scope='module', params=['sqlite', 'postgresql'])
def database(request):
    """A copy of the demo database that the tests build once per run, as
    `make demo` builds it (tools/launch.py prepare_database)"""
    backend = request.param
    harness.clone(backend, DATABASE)
    uri = 'sqlite://' if backend == 'sqlite' else launch.PG_URI
    conf = launch.write_config(
        f'test-demo-data-{backend}', database={'uri': uri})
    yield backend, conf
    harness.drop(backend, DATABASE)


def customers(connection):
    return connection.execute(
        'SELECT p.id, p.code, p.name, a.city, a.latitude, a.longitude '
        'FROM party_party p JOIN party_address a ON a.party = p.id '
        'WHERE NOT EXISTS (SELECT 1 FROM company_employee e '
        'WHERE e.party = p.id) '
        'AND NOT EXISTS (SELECT 1 FROM company_company c '
        'WHERE c.party = p.id)').fetchall()


def test_company_users_and_hubs(database):
    with connect(database[0]) as connection:
        logins = {r[0] for r in connection.execute(
                'SELECT login FROM res_user')}
        assert {u[0] for u in demo_data.USERS} | {'admin'} <= logins
        hubs = {r[0]: r[1] for r in connection.execute(
                'SELECT code, city FROM delivery_hub')}
        assert hubs == {h[0]: h[4] for h in demo_data.HUBS}
        currency, = connection.execute(
            'SELECT c.code FROM company_company co '
            'JOIN currency_currency c ON c.id = co.currency').fetchone()
        assert currency == 'GEL'
        accounts, = connection.execute(
            'SELECT COUNT(*) FROM account_account').fetchone()
        assert accounts > 10
        couriers, = connection.execute(
            'SELECT COUNT(*) FROM company_employee WHERE courier').fetchone()
        assert couriers == sum(1 for u in demo_data.USERS if u[5])


def test_customers_have_real_coordinates(database):
    with connect(database[0]) as connection:
        rows = customers(connection)
    assert len(rows) == harness.CUSTOMERS
    assert len({r[1] for r in rows}) == harness.CUSTOMERS, (
        "party codes are unique")
    cities = Counter(r[3] for r in rows)
    assert set(cities) == set(demo_data.CITIES)
    assert cities['Tbilisi'] > cities['Batumi'] > cities['Kutaisi']
    for _, _, _, city, lat, lon in rows:
        south, north, west, east = demo_data.CITIES[city]['bbox']
        assert south <= lat <= north and west <= lon <= east


def test_phones_normalise_to_stored_e164(database):
    with connect(database[0]) as connection:
        mechanisms = connection.execute(
            "SELECT type, value, value_compact FROM party_contact_mechanism "
            "WHERE type IN ('mobile', 'phone')").fetchall()
    written = set()
    for type_, value, compact in mechanisms:
        number = phonenumbers.parse(value, 'GE')
        assert phonenumbers.is_valid_number(number), value
        assert phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.E164) == compact, value
        kind = phonenumbers.number_type(number)
        if type_ == 'mobile':
            assert kind == phonenumbers.PhoneNumberType.MOBILE, value
        else:
            assert kind == phonenumbers.PhoneNumberType.FIXED_LINE, value
        written.add(value)
    # people's ways of writing: spaces, dashes, brackets, 0 and 00995 prefixes
    assert any(' ' in v and not v.startswith('+') for v in written)
    assert any(v.startswith('+995') for v in written)
    assert any(v.startswith('0') for v in written)
    assert any('(' in v for v in written)


def number(value):
    "A numeric column as Decimal (SQLite gives text or bytes)"
    if isinstance(value, bytes):
        value = value.decode()
    return Decimal(str(value if value is not None else 0))


def when(value):
    "A timestamp column as datetime (SQLite gives text)"
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def orders(connection):
    "The orders as dicts of their main columns"
    cursor = connection.execute(
        'SELECT id, state, service, customer, pickup_city, delivery_city, '
        'origin_hub, destination_hub, delivery_latitude, routing_issue, '
        'cod_amount, cod_state, amount, delivery_amount, price_error, '
        'tariff, invoice, date FROM delivery_order')
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# the families of the order states
FAMILIES = {
    'draft': 'new', 'confirmed': 'open', 'assigned': 'open',
    'picked_up': 'open', 'in_transit': 'open', 'delivered': 'delivered',
    'failed': 'failed', 'returned': 'failed', 'cancelled': 'cancelled'}


def test_orders_went_through_their_workflow(database):
    with connect(database[0]) as connection:
        rows = orders(connection)
        legs = defaultdict(list)
        for order, kind, state, from_hub, to_hub in connection.execute(
                'SELECT "order", kind, state, from_hub, to_hub '
                'FROM delivery_order_leg ORDER BY "order", sequence'):
            legs[order].append((kind, state, from_hub, to_hub))
        events = defaultdict(list)
        for order, event in connection.execute(
                'SELECT "order", event FROM delivery_order_event '
                'ORDER BY "order", date, id'):
            events[order].append(event)
        hubs = dict(connection.execute('SELECT id, code FROM delivery_hub'))
        links = connection.execute(
            'SELECT from_hub, to_hub, distance FROM delivery_hub_link'
            ).fetchall()
    # 5 orders per customer by default
    assert len(rows) == 5 * 300
    states = Counter(r['state'] for r in rows)
    assert {'open', 'delivered', 'failed', 'cancelled'} <= {
        FAMILIES[s] for s in states}
    assert states['delivered'] > 0.8 * len(rows)
    assert states['returned'] > 0
    # today's orders are on their way, the past ones are done
    assert states['assigned'] + states['picked_up'] + states['in_transit']
    services = Counter(r['service'] for r in rows)
    assert set(services) == {'same_day', 'next_day', 'express', 'intercity'}
    assert services['intercity'] > services['express'] > 0

    from trytond.modules.delivery_crm.tariff import hub_path
    tbilisi_batumi = 0
    for row in rows:
        assert row['price_error'] is None
        assert number(row['amount']) >= number(row['delivery_amount']) > 0
        assert row['tariff']
        order_legs = legs[row['id']]
        history = events[row['id']]
        if row['state'] == 'draft':
            assert not order_legs and not history
            continue
        assert history[0] == 'confirmed'
        if row['service'] != 'intercity':
            assert row['pickup_city'] == row['delivery_city']
            assert [k for k, *_ in order_legs] == ['direct']
        else:
            assert row['pickup_city'] != row['delivery_city']
            # from the pickup to the origin hub, from hub to hub along the
            # links, from the destination hub to the door
            path = hub_path(links, row['origin_hub'], row['destination_hub'])
            assert [(k, f, t) for k, _, f, t in order_legs] == (
                [('pickup', None, path[0])]
                + [('linehaul', a, b) for a, b in zip(path, path[1:])]
                + [('last_mile', path[-1], None)])
            if {hubs[path[0]], hubs[path[-1]]} == {'TBS', 'BUS'}:
                # through Kutaisi
                assert len(order_legs) == 4
                tbilisi_batumi += 1
        if row['state'] == 'delivered':
            assert {s for _, s, _, _ in order_legs} == {'done'}
            assert history.index('picked_up') < history.index('delivered')
            assert history[-1] == 'delivered'
        elif row['state'] == 'returned':
            assert history[-2:] == ['failed', 'returned']
            assert order_legs[-1][1] == 'cancelled'
        elif row['state'] == 'cancelled':
            assert {s for _, s, _, _ in order_legs} == {'cancelled'}
        if not number(row['cod_amount']):
            assert row['cod_state'] == 'none'
        elif row['state'] == 'delivered' and when(row['date']) < (
                dt.datetime.now() - dt.timedelta(days=2)):
            assert row['cod_state'] == 'handed_in'
    assert tbilisi_batumi > 0
    cod = [r for r in rows if number(r['cod_amount'])]
    assert 0.1 < len(cod) / len(rows) < 0.3
    assert not any(r['service'] == 'express' for r in cod)
    # the orders delivered to an address without coordinates cannot be put
    # on a route
    missing = [r for r in rows if r['delivery_latitude'] is None]
    assert 0 < len(missing) < 0.1 * len(rows)
    for row in rows:
        assert row['routing_issue'] == (
            'delivery_coordinates' if row['delivery_latitude'] is None
            else None)


def test_delivered_orders_are_invoiced(database):
    with connect(database[0]) as connection:
        rows = {r['id']: r for r in orders(connection)}
        methods = dict(connection.execute(
                'SELECT id, delivery_invoice_method FROM party_party '
                'WHERE delivery_customer'))
        invoices = {r[0]: r[1:] for r in connection.execute(
                'SELECT id, party, state, invoice_date, type '
                'FROM account_invoice')}
        lines = connection.execute(
            'SELECT invoice, origin, product FROM account_invoice_line'
            ).fetchall()
    assert Counter(methods.values())['order'] > 0.05 * len(methods)
    assert invoices
    assert {i[1] for i in invoices.values()} == {'draft'}
    assert {i[3] for i in invoices.values()} == {'out'}
    invoiced = defaultdict(set)
    for invoice, origin, product in lines:
        model, order_id = origin.split(',')
        assert model == 'delivery.order'
        order = rows[int(order_id)]
        assert order['invoice'] == invoice
        assert order['state'] == 'delivered'
        assert invoices[invoice][0] == order['customer']
        invoiced[invoice].add(order['id'])
    assert set(invoiced) == set(invoices)
    months = set()
    for invoice, order_ids in invoiced.items():
        party, _, date, _ = invoices[invoice]
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        if methods[party] == 'order':
            assert len(order_ids) == 1
        else:
            # at the end of the month of its orders
            assert (date + dt.timedelta(days=1)).day == 1
            months.add(date)
    assert len(months) >= 2
    # every delivered order of the previous months is invoiced
    first = dt.date.today().replace(day=1) - dt.timedelta(days=1)
    for order in rows.values():
        if (order['state'] == 'delivered'
                and when(order['date']).date() < first):
            assert order['invoice'], order


def when(value):
    "A naive UTC datetime of the database (SQLite gives text)"
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def test_todays_trips_are_planned(database):
    """The demo plans today's trips as a dispatcher does in the morning:
    one planning of today, done, its stops after the time it was made plus
    the lead time; trips unless the couriers' day was nearly over"""
    from zoneinfo import ZoneInfo
    backend = database[0]
    with connect(backend) as connection:
        plans = connection.execute(
            'SELECT id, state, create_date, message FROM delivery_trip_plan'
            ).fetchall()
        assert len(plans) == 1, plans
        plan_id, state, created, message = plans[0]
        assert state == 'done', message
        created = when(created)
        arrivals = [when(r[0]) for r in connection.execute(
                'SELECT s.planned_arrival FROM delivery_trip_stop s '
                'JOIN delivery_trip t ON t.id = s.trip '
                f'WHERE t.planning = {int(plan_id)}').fetchall()]
    assert all(a >= created + dt.timedelta(minutes=29) for a in arrivals), (
        created, min(arrivals))
    local = created.replace(tzinfo=dt.timezone.utc).astimezone(
        ZoneInfo(demo_data.TIMEZONE))
    if local.time() < dt.time(15, 0):
        assert arrivals, message


def counts(backend):
    with connect(backend) as connection:
        return [connection.execute(f'SELECT COUNT(*) FROM {t}').fetchone()[0]
            for t in ['delivery_order', 'delivery_order_event',
                'account_invoice', 'account_invoice_line']]


def generate(conf, count):
    "Run the generator as a user does, in its own process"
    result = subprocess.run([sys.executable, demo_data.__file__, '-c', conf,
            '-d', DATABASE, '--customers', str(count)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_rerun_adds_nothing_and_grows_on_demand(database):
    backend, conf = database
    before = counts(backend)
    output = generate(conf, 300)
    assert '300 customers exist, none added' in output
    assert '1500 orders exist, none added' in output
    assert counts(backend) == before
    with connect(backend) as connection:
        assert len(customers(connection)) == 300
    assert '(50 customers added)' in generate(conf, 350)
    with connect(backend) as connection:
        rows = customers(connection)
        users, = connection.execute(
            'SELECT COUNT(*) FROM res_user').fetchone()
    assert len(rows) == 350
    assert len({r[1] for r in rows}) == 350
    assert users == len(demo_data.USERS) + 1 + 1  # root and admin too
