# This file is part of the Delivery CRM for Tryton.
"""The demo-data generator on SQLite and PostgreSQL: what it creates, that
the phones it writes the way people do normalise to what it stores, that
running it again adds nothing and that it grows a database on demand."""
import sqlite3
import subprocess
import sys
from collections import Counter

import phonenumbers
import pytest

import demo_data
import launch

DATABASE = 'test_demo_data'


def connect(backend):
    if backend == 'sqlite':
        return sqlite3.connect(launch.VAR / 'db' / f'{DATABASE}.sqlite')
    import psycopg
    return psycopg.connect(launch.PG_URI + DATABASE)


@pytest.fixture(scope='module', params=['sqlite', 'postgresql'])
def database(request):
    backend = request.param
    launch.drop_database(DATABASE, backend)
    (launch.VAR / 'db' / f'{DATABASE}.{backend}.stamp').unlink(
        missing_ok=True)
    uri = 'sqlite://' if backend == 'sqlite' else launch.PG_URI
    conf = launch.write_config(
        f'test-demo-data-{backend}', database={'uri': uri})
    launch.prepare_database(conf, DATABASE, backend, 300)
    yield backend, conf
    launch.drop_database(DATABASE, backend)


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
    assert len(rows) == 300
    assert len({r[1] for r in rows}) == 300, "party codes are unique"
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


def generate(conf, count):
    "Run the generator as a user does, in its own process"
    result = subprocess.run([sys.executable, demo_data.__file__, '-c', conf,
            '-d', DATABASE, '--customers', str(count)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_rerun_adds_nothing_and_grows_on_demand(database):
    backend, conf = database
    assert '300 customers exist, none added' in generate(conf, 300)
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
