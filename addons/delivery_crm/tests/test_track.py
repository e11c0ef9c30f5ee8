# This file is part of the Delivery CRM for Tryton.
"""The public tracking page, end to end: a SQLite database activated by
trytond-admin, data written by a separate Python process as root, a real
`trytond` web server on 127.0.0.1, and the page fetched over HTTP.

    python -m unittest trytond.modules.delivery_crm.tests.test_track -v

The server trusts one proxy ([web] num_proxies = 1): each test sends its own
X-Forwarded-For address (TEST-NET-1, 192.0.2.0/24: only a header, nothing is
sent there) so that the failures counted for one address do not leak into
another test."""
import configparser
import datetime as dt
import json
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import polib

from trytond.modules.delivery_crm.tests.server import (
    activated_database, free_port, tail)

MODULE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = 'track_test'
PREFERRED_PORT = 8210
MAX_FAILURES = 5
MAX_VIEWS = 12

# personal data of the order: none of it may reach the page
SENDER_NAME = "Giorgi Sendersson"
SENDER_PHONE = "+995 599 11 22 33"
RECIPIENT_NAME = "Nino Recipientidze"
RECIPIENT_PHONE = "+995 555 44 55 66"
PICKUP_STREET = "7 Marjanishvili Street"
DELIVERY_STREET = "12 Rustaveli Avenue"
CUSTOMER_NAME = "Secret Shop LLC"
REFERENCE = "REF-PRIVATE-991"
ORDER_NOTE = "Gate code 4711"
EVENT_NOTE = "Left with neighbour Tamar"
PRIVATE = [
    SENDER_NAME, SENDER_PHONE, RECIPIENT_NAME, RECIPIENT_PHONE,
    PICKUP_STREET, DELIVERY_STREET, CUSTOMER_NAME, REFERENCE, ORDER_NOTE,
    EVENT_NOTE, "Nino", "Giorgi", "Tamar", "555 44", "599 11",
    "Rustaveli", "Marjanishvili", "45.00", "45,00", "120.00", "₾", "GEL"]

# Run in a separate process so that this test process keeps its own trytond
# configuration: the data of the page, created as root like a back-office
# script would
SETUP = r'''
import datetime as dt
import json
import sys
from decimal import Decimal

conf, database, values = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
from trytond import config
config.update_etc(conf)
from trytond.pool import Pool
from trytond.transaction import Transaction

Pool.start()
pool = Pool(database)
with Transaction().start(database, 0, readonly=True):
    pool.init()
with Transaction().start(database, 0, context={'language': 'en'}) as tx:
    Lang = pool.get('ir.lang')
    ka, = Lang.search([('code', '=', 'ka')])
    Lang.load_translations([ka])
    Currency = pool.get('currency.currency')
    gel, = Currency.create([{'name': "Georgian Lari", 'code': 'GEL',
        'symbol': '\u20be', 'rounding': Decimal('0.01'), 'digits': 2}])
    Party = pool.get('party.party')
    company_party, customer = Party.create([
        {'name': "Tracking Test Couriers"},
        {'name': values['customer_name']}])
    Company = pool.get('company.company')
    company, = Company.create([{'party': company_party.id,
        'currency': gel.id, 'timezone': 'Asia/Tbilisi'}])
    with tx.set_context(company=company.id):
        Hub = pool.get('delivery.hub')
        tbilisi, batumi = Hub.create([
            {'company': company.id, 'name': "Didube Depot", 'code': 'DID',
                'city': "Tbilisi", 'kind': 'depot'},
            {'company': company.id, 'name': "Batumi Hub", 'code': 'BUS',
                'city': "Batumi", 'kind': 'hub'}])
        now = dt.datetime.utcnow().replace(microsecond=0)
        tomorrow = (now + dt.timedelta(days=1)).replace(
            hour=6, minute=0, second=0)
        Order = pool.get('delivery.order')
        order, = Order.create([{
            'company': company.id,
            'customer': customer.id,
            'reference': values['reference'],
            'service': 'intercity',
            'sender_name': values['sender_name'],
            'sender_phone': values['sender_phone'],
            'recipient_name': values['recipient_name'],
            'recipient_phone': values['recipient_phone'],
            'pickup_street': values['pickup_street'],
            'pickup_city': "Tbilisi",
            'delivery_street': values['delivery_street'],
            'delivery_city': "Batumi",
            'delivery_start': tomorrow,
            'delivery_end': tomorrow + dt.timedelta(hours=4),
            'parcel_count': 3,
            'weight': 2.5,
            'volume': 0.02,
            'declared_value': Decimal('120.00'),
            'cod_amount': Decimal('45.00'),
            'notes': values['order_note'],
            }])
        Order.write([order], {'state': 'in_transit', 'failed_attempts': 1})
        Event = pool.get('delivery.order.event')
        dates = [now - dt.timedelta(hours=h) for h in (30, 26, 3)]
        Event.create([
            {'order': order.id, 'date': dates[0], 'event': 'confirmed'},
            {'order': order.id, 'date': dates[1], 'event': 'picked_up',
                'hub': tbilisi.id},
            {'order': order.id, 'date': dates[2], 'event': 'at_hub',
                'hub': batumi.id, 'note': values['event_note']}])
        order = Order(order.id)
        result = {
            'token': order.tracking_token,
            'number': order.number,
            'delivery_start': tomorrow.isoformat(),
            'events': [d.isoformat() for d in dates],
            }
print(json.dumps(result))
'''


def registration_pending():
    "Why the module does not serve the page yet, or None"
    try:
        import trytond.modules.delivery_crm.routes  # noqa: F401
    except Exception as exc:
        return f"its routes do not import: {exc!r}"
    parser = configparser.ConfigParser()
    parser.read(MODULE_DIR / 'tryton.cfg')
    models = parser.get('register', 'model', fallback='').split()
    xml = parser.get('tryton', 'xml', fallback='').split()
    missing = []
    if 'routes.TrackAttempt' not in models:
        missing.append("routes.TrackAttempt under [register] model")
    if 'routes.xml' not in xml:
        missing.append("routes.xml under [tryton] xml")
    if missing:
        return "tryton.cfg does not list " + " nor ".join(missing)


def ka_translation(context, msgid):
    "The Georgian of msgid in locale/ka.po, or None"
    for entry in polib.pofile(str(MODULE_DIR / 'locale' / 'ka.po')):
        if (entry.msgctxt == context and entry.msgid == msgid
                and entry.msgstr and 'fuzzy' not in entry.flags):
            return entry.msgstr


def local(iso):
    "A naive UTC ISO datetime on Tbilisi's clock (UTC+4, no DST)"
    return dt.datetime.fromisoformat(iso) + dt.timedelta(hours=4)


class TrackingPageTestCase(unittest.TestCase):
    "The public tracking page served by a real trytond"

    @classmethod
    def setUpClass(cls):
        pending = registration_pending()
        assert not pending, (
            f"delivery_crm does not load the tracking page: {pending}")
        tmp = tempfile.TemporaryDirectory(prefix='delivery-track-')
        cls.addClassCleanup(tmp.cleanup)
        cls.directory = Path(tmp.name)
        cls.port = free_port(PREFERRED_PORT)
        cls.base = f'http://127.0.0.1:{cls.port}/{DATABASE}/delivery/track/'
        cls.conf = cls.directory / 'trytond.conf'
        cls.conf.write_text(
            "[database]\n"
            "uri = sqlite://\n"
            f"path = {cls.directory}\n"
            "language = en\n"
            "[web]\n"
            f"listen = 127.0.0.1:{cls.port}\n"
            "num_proxies = 1\n"
            "[delivery_crm]\n"
            f"track_max_failures = {MAX_FAILURES}\n"
            f"track_max_views = {MAX_VIEWS}\n")
        cls.db_path = cls.directory / f'{DATABASE}.sqlite'
        # the database of every HTTP test of the delivery modules
        env = activated_database(
            cls.directory, DATABASE, 'delivery_courier_routes')
        env.update(TRYTOND_CONFIG=str(cls.conf))
        cls.env = env

        setup = subprocess.run([sys.executable, '-c', SETUP,
                str(cls.conf), DATABASE, json.dumps({
                        'customer_name': CUSTOMER_NAME,
                        'reference': REFERENCE,
                        'sender_name': SENDER_NAME,
                        'sender_phone': SENDER_PHONE,
                        'recipient_name': RECIPIENT_NAME,
                        'recipient_phone': RECIPIENT_PHONE,
                        'pickup_street': PICKUP_STREET,
                        'delivery_street': DELIVERY_STREET,
                        'order_note': ORDER_NOTE,
                        'event_note': EVENT_NOTE,
                        })],
            env=env, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=600)
        if setup.returncode:
            raise AssertionError(
                "Could not create the company and the order:\n"
                + setup.stderr[-4000:])
        cls.data = json.loads(setup.stdout.strip().splitlines()[-1])

        cls.server_log = cls.directory / 'server.log'
        log = cls.server_log.open('w')
        cls.addClassCleanup(log.close)
        cls.server = subprocess.Popen([
                str(BIN / 'trytond'), '-c', str(cls.conf)],
            env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop_server)
        deadline = time.monotonic() + 60
        while True:
            if cls.server.poll() is not None:
                raise AssertionError(
                    "trytond stopped while starting:\n" + tail(cls.server_log))
            with socket.socket() as sock:
                if sock.connect_ex(('127.0.0.1', cls.port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(
                    "trytond did not listen in 60 s:\n" + tail(cls.server_log))
            time.sleep(0.2)

    @classmethod
    def stop_server(cls):
        if cls.server.poll() is None:
            cls.server.terminate()
            try:
                cls.server.wait(15)
            except subprocess.TimeoutExpired:
                cls.server.kill()
                cls.server.wait(15)

    def fetch(self, token, address, query='', headers=None):
        "GET the page from address; (status, headers, text)"
        request = urllib.request.Request(self.base + token + query,
            headers={'X-Forwarded-For': address, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return (response.status, response.headers,
                    response.read().decode('utf-8'))
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode('utf-8')

    @staticmethod
    def plain(text):
        "ir.lang.strftime puts no-break spaces in the dates"
        return text.replace('\xa0', ' ')

    def attempts(self, kind='failure'):
        "The stored attempts, read straight from the SQLite file"
        with sqlite3.connect(self.db_path) as connection:
            return [r[0] for r in connection.execute(
                    'SELECT ip_address FROM delivery_track_attempt '
                    'WHERE kind = ?', (kind,))]

    def assertPublicPage(self, text, lang):
        self.assertIn(f'<html lang="{lang}">', text)
        self.assertIn('<meta name="robots" content="noindex">', text)
        self.assertIn('name="viewport"', text)
        for private in PRIVATE:
            self.assertNotIn(private, text)
        # no external resource, no script
        self.assertNotRegex(text, r'(?i)https?://|<script|<link|<img|src=')

    def tampered(self):
        token = self.data['token']
        last = 'A' if token[-1] != 'A' else 'B'
        return token[:-1] + last

    def test_page_in_english(self):
        "The page shows the order's public data in English"
        address = '192.0.2.1'
        before = len(self.attempts())
        status, headers, text = self.fetch(self.data['token'], address)
        self.assertEqual(status, 200, "the route is not registered at start:"
            " does delivery_crm/__init__.py import routes?\n" + text[:500])
        self.assertTrue(headers['Content-Type'].startswith('text/html'))
        self.assertIn('no-store', headers['Cache-Control'])
        self.assertEqual(headers['Content-Language'], 'en')
        self.assertPublicPage(text, 'en')
        self.assertIn(self.data['number'], text)
        self.assertIn("In Transit", text)
        self.assertIn("Tbilisi", text)
        self.assertIn("Batumi", text)
        self.assertRegex(text, r'<dd>3</dd>')
        self.assertIn("Intercity", text)
        # the window on the company's clock, in the language's date format
        plain = self.plain(text)
        start = local(self.data['delivery_start'])
        self.assertIn(f'{start:%m/%d/%Y} 10:00\u201314:00', plain)
        # the history, newest first, on the company's clock, with the city
        confirmed, picked, at_hub = map(local, self.data['events'])
        self.assertIn(f'{at_hub:%m/%d/%Y %H:%M}</time><span>At Hub</span>'
            '<span class="where">Batumi</span>', plain)
        self.assertIn(f'{picked:%m/%d/%Y %H:%M}</time><span>Picked Up</span>'
            '<span class="where">Tbilisi</span>', plain)
        self.assertIn(
            f'{confirmed:%m/%d/%Y %H:%M}</time><span>Confirmed</span>', plain)
        self.assertLess(
            plain.index(f'{at_hub:%m/%d/%Y %H:%M}'),
            plain.index(f'{confirmed:%m/%d/%Y %H:%M}'))
        self.assertIn("Asia/Tbilisi", text)
        self.assertIn('href="?lang=ka"', text)
        self.assertNotIn('href="?lang=en"', text)
        # successful lookups are not counted
        self.fetch(self.data['token'], address)
        self.assertEqual(len(self.attempts()), before)

    def test_page_in_georgian(self):
        "?lang=ka: the state and the labels in Georgian"
        status, headers, text = self.fetch(
            self.data['token'], '192.0.2.2', '?lang=ka',
            headers={'Accept-Language': 'en'})
        self.assertEqual(status, 200)
        self.assertEqual(headers['Content-Language'], 'ka')
        self.assertPublicPage(text, 'ka')
        self.assertIn(self.data['number'], text)
        self.assertIn('href="?lang=en"', text)
        start = local(self.data['delivery_start'])
        self.assertIn(f'{start:%d.%m.%Y} 10:00\u201314:00', self.plain(text))
        state = ka_translation(
            'selection:delivery.order,state:', "In Transit")
        self.assertIsNotNone(state,
            "locale/ka.po has no Georgian for the state \"In Transit\"")
        self.assertIn(state, text)
        self.assertNotIn("In Transit", text)
        title = ka_translation(
            'model:ir.message,text:msg_track_title', "Track your delivery")
        self.assertIsNotNone(title,
            "locale/ka.po has no Georgian for msg_track_title")
        self.assertIn(f'<h1>{title}</h1>', text)

    def test_accept_language(self):
        "Without ?lang, the Accept-Language header chooses; else English"
        token, address = self.data['token'], '192.0.2.3'
        for header, lang in [
                ('ka-GE,ka;q=0.9,en;q=0.8', 'ka'),
                ('ka', 'ka'),
                ('de-DE,de;q=0.9', 'en'),
                ('en-US,en;q=0.9,ka;q=0.5', 'en'),
                ]:
            with self.subTest(header=header):
                status, headers, text = self.fetch(token, address,
                    headers={'Accept-Language': header})
                self.assertEqual(status, 200)
                self.assertEqual(headers['Content-Language'], lang)
                self.assertIn(f'<html lang="{lang}">', text)
        status, headers, text = self.fetch(token, address, '?lang=en',
            headers={'Accept-Language': 'ka'})
        self.assertEqual(headers['Content-Language'], 'en')
        status, headers, text = self.fetch(token, address, '?lang=xx',
            headers={'Accept-Language': 'ka'})
        self.assertEqual(headers['Content-Language'], 'ka')

    def test_unknown_tokens(self):
        "Unknown, tampered and malformed tokens: the same 404, nothing leaks"
        address = '192.0.2.4'
        before = len(self.attempts())
        tokens = [
            secrets.token_urlsafe(18),  # unknown, well formed
            self.tampered(),  # a valid token with one character changed
            'abc',  # too short
            'x' * 200,  # too long
            "%27%20OR%201%3D1--",  # not URL-safe base64
            ]
        self.assertEqual(len(tokens), MAX_FAILURES)
        bodies = set()
        for token in tokens:
            with self.subTest(token=token):
                status, headers, text = self.fetch(token, address)
                self.assertEqual(status, 404)
                self.assertTrue(headers['Content-Type'].startswith(
                        'text/html'))
                self.assertIn('no-store', headers['Cache-Control'])
                self.assertPublicPage(text, 'en')
                self.assertNotIn(token, text)
                self.assertNotIn(self.data['number'], text)
                bodies.add(text)
        self.assertEqual(len(bodies), 1, "404 pages differ by token")
        self.assertIn("Delivery not found", bodies.pop())
        # each was recorded as a hash, never as the address itself
        attempts = self.attempts()
        self.assertEqual(len(attempts), before + MAX_FAILURES)
        for value in attempts:
            self.assertRegex(value, r'^[0-9a-f]{64}$')
        # exactly N failures do not block yet
        status, _, text = self.fetch(self.data['token'], address)
        self.assertEqual(status, 200)

    def test_rate_limit(self):
        """After N failures: 429 for unknown tokens of the address, the
        valid token still opens (recipients behind one NAT)"""
        address = '192.0.2.5'
        for _ in range(MAX_FAILURES):
            status, _, _ = self.fetch(secrets.token_urlsafe(18), address)
            self.assertEqual(status, 404)
        count = len(self.attempts())
        for token in [secrets.token_urlsafe(18), self.tampered(), 'x' * 3]:
            with self.subTest(token=token):
                status, headers, text = self.fetch(token, address)
                self.assertEqual(status, 429)
                retry_after = int(headers['Retry-After'])
                self.assertTrue(0 < retry_after <= 600, retry_after)
                self.assertPublicPage(text, 'en')
                self.assertNotIn(self.data['number'], text)
                self.assertIn("Too many attempts", text)
        status, headers, text = self.fetch(
            secrets.token_urlsafe(18), address, '?lang=ka')
        self.assertEqual(status, 429)
        self.assertIn('<html lang="ka">', text)
        # blocked requests are not recorded
        self.assertEqual(len(self.attempts()), count)
        # the valid token is not blocked by the failures of the address
        status, _, text = self.fetch(self.data['token'], address)
        self.assertEqual(status, 200)
        self.assertIn(self.data['number'], text)
        # another network is not blocked
        status, _, _ = self.fetch(secrets.token_urlsafe(18), '198.51.100.7')
        self.assertEqual(status, 404)

    def test_view_limit(self):
        "Valid tokens have their own limit per address: M views, then 429"
        address = '192.0.2.9'
        for _ in range(MAX_VIEWS):
            status, _, _ = self.fetch(self.data['token'], address)
            self.assertEqual(status, 200)
        status, headers, text = self.fetch(self.data['token'], address)
        self.assertEqual(status, 429)
        self.assertNotIn(self.data['number'], text)
        self.assertTrue(0 < int(headers['Retry-After']) <= 600)
        # views do not count as failures: an unknown token still gets 404
        status, _, _ = self.fetch(secrets.token_urlsafe(18), address)
        self.assertEqual(status, 404)

    def test_address_key_generated(self):
        """Without [delivery_crm] track_ip_key the server generates its key
        once and keeps it; nobody reads it over RPC"""
        with sqlite3.connect(self.db_path) as connection:
            rows = connection.execute(
                'SELECT id, secret FROM delivery_track_key').fetchall()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][0], 1)
        self.assertGreaterEqual(len(rows[0][1]), 48)

    def test_old_attempts_purged(self):
        "Recording a failure removes the attempts older than 10 minutes"
        old = (dt.datetime.utcnow() - dt.timedelta(hours=1)).isoformat(' ')
        with sqlite3.connect(self.db_path) as connection:
            connection.execute(
                'INSERT INTO delivery_track_attempt '
                '(ip_address, kind, create_date, create_uid) '
                "VALUES (?, 'failure', ?, 0)",
                ('0' * 64, old))
        self.assertIn('0' * 64, self.attempts())
        status, _, _ = self.fetch(secrets.token_urlsafe(18), '192.0.2.6')
        self.assertEqual(status, 404)
        self.assertNotIn('0' * 64, self.attempts())


if __name__ == '__main__':
    unittest.main()
