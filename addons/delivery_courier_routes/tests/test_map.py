# This file is part of the Delivery CRM for Tryton.
"""The map page of a trip, end to end: a SQLite database activated by
trytond-admin, a trip written by a separate Python process as root, real
`trytond` web servers on 127.0.0.1, the signed URL read over JSON-RPC and
the page fetched over HTTP.

    python -m unittest -v \\
        trytond.modules.delivery_courier_routes.tests.test_map

Server A has [delivery_courier_routes] map_key and a leaflet_root (a stand-in
for Leaflet's dist/ folder made by the test); server B, on the same database,
has neither: its links are signed with the secret stored in the database and
its map page answers 503."""
import base64
import configparser
import hashlib
import hmac
import html
import json
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import polib

from trytond.modules.delivery_crm.tests.server import (
    ADMIN_PASSWORD, activated_database, free_port, tail)

MODULE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = 'map_test'
PREFERRED_PORTS = (8220, 8221)
NOBODY = ('nobody', 'Nobody#Reads-Trips-2026')
MAP_KEY = 'a-test-secret-for-the-map-links'
FAKE_LEAFLET_JS = b'/* leaflet.js stand-in of test_map */\nwindow.L = {};\n'
FAKE_LEAFLET_CSS = b'/* leaflet.css stand-in of test_map */\n'
FAKE_PNG = b'\x89PNG\r\n\x1a\n' + b'\x00' * 16

# the stops in the order of their sequence: (name, city, sequence)
STOPS = [
    ("Nino First", "Tbilisi", 10),
    ("Giorgi Second", "Rustavi", 20),
    ("Tamar Third", "Mtskheta", 30),
    ("Levan Cancelled", "Gori", 40),
    ]
# personal data of the orders and the stops: none of it may reach the page
PRIVATE = [
    "+995 599 11 22 33", "599 11 22 33", "+995555446677", "555446677",
    "7 Marjanishvili Street", "Marjanishvili", "12 Rustaveli Avenue",
    "Rustaveli", "Secret Shop LLC", "REF-PRIVATE-991", "45.00", "45,00",
    "₾", "GEL"]

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
    Trip = pool.get('delivery.trip')
    if 'map_url' not in Trip._fields:
        print(json.dumps({'map_url': False}))
        sys.exit(0)
    Lang = pool.get('ir.lang')
    ka, = Lang.search([('code', '=', 'ka')])
    Lang.load_translations([ka])
    Currency = pool.get('currency.currency')
    gel, = Currency.create([{'name': "Georgian Lari", 'code': 'GEL',
        'symbol': '\u20be', 'rounding': Decimal('0.01'), 'digits': 2}])
    Party = pool.get('party.party')
    company_party, customer, courier_party = Party.create([
        {'name': "Map Test Couriers"},
        {'name': values['customer']},
        {'name': "Levan Courier"}])
    Company = pool.get('company.company')
    company, = Company.create([{'party': company_party.id,
        'currency': gel.id, 'timezone': 'Asia/Tbilisi'}])
    User = pool.get('res.user')
    admin, = User.search([('login', '=', 'admin')])
    User.write([admin], {
        'companies': [('add', [company.id])], 'company': company.id})
    login, password = values['nobody']
    User.create([{'login': login, 'name': "Nobody", 'password': password,
        'companies': [('add', [company.id])], 'company': company.id}])
    with tx.set_context(company=company.id):
        Hub = pool.get('delivery.hub')
        depot, = Hub.create([{'company': company.id, 'name': "Didube Depot",
            'code': 'DID', 'city': "Tbilisi", 'kind': 'depot',
            'latitude': 41.7479, 'longitude': 44.7806}])
        Employee = pool.get('company.employee')
        courier, = Employee.create([{'company': company.id,
            'party': courier_party.id, 'courier': True,
            'vehicle_type': 'scooter', 'home_depot': depot.id}])
        # 06:00 UTC is 10:00 in Tbilisi
        day = dt.date.today() + dt.timedelta(days=1)
        six = dt.datetime.combine(day, dt.time(6, 0))
        Order = pool.get('delivery.order')
        orders = Order.create([{
            'company': company.id,
            'customer': customer.id,
            'reference': values['reference'],
            'sender_name': "Shop",
            'sender_phone': values['phone'],
            'recipient_name': name,
            'recipient_phone': values['phone'],
            'pickup_street': values['pickup_street'],
            'pickup_city': "Tbilisi",
            'delivery_street': values['street'],
            'delivery_city': city,
            'cod_amount': Decimal('45.00'),
            } for name, city, _ in values['stops']])
        positions = [(41.7151, 44.8271), (41.5490, 45.0110),
            (41.8420, 44.7190), None]
        stops = []
        for i, ((name, city, sequence), order, where) in enumerate(
                zip(values['stops'], orders, positions)):
            start = six + dt.timedelta(hours=i)
            stops.append({
                'order': order.id,
                'kind': 'delivery',
                'sequence': sequence,
                'name': name,
                'city': city,
                'phone': values['phone'],
                'street': values['street'],
                'latitude': where[0] if where else None,
                'longitude': where[1] if where else None,
                'window_start': start,
                'window_end': start + dt.timedelta(hours=1),
                'planned_arrival': start + dt.timedelta(minutes=25),
                'cod_amount': Decimal('45.00'),
                'late': 25 if i == 1 else 0,
                'state': 'cancelled' if where is None else 'waiting',
                })
        # created in another order than their sequence
        stops = [stops[2], stops[0], stops[3], stops[1]]
        trip, other = Trip.create([
            {'company': company.id, 'date': day, 'courier': courier.id,
                'depot': depot.id, 'distance': 23.4,
                'duration': dt.timedelta(hours=3, minutes=5),
                'stops': [('create', stops)]},
            {'company': company.id, 'date': day, 'courier': courier.id,
                'depot': depot.id}])
        # the reference is written by SQL after the creation
        table = Trip.__table__()
        cursor = tx.connection.cursor()
        cursor.execute(*table.select(table.reference,
                where=table.id == trip.id))
        reference, = cursor.fetchone()
        result = {
            'map_url': True,
            'trip': trip.id,
            'other': other.id,
            'date': day.isoformat(),
            'reference': reference,
            }
print(json.dumps(result))
'''


def registration_pending():
    "Why the module does not serve the map yet, or None"
    try:
        import trytond.modules.delivery_courier_routes.map_routes  # noqa
    except Exception as exc:
        return f"map_routes does not import: {exc!r}"
    parser = configparser.ConfigParser()
    parser.read(MODULE_DIR / 'tryton.cfg')
    models = parser.get('register', 'model', fallback='').split()
    xml = parser.get('tryton', 'xml', fallback='').split()
    missing = []
    if 'map_routes.MapKey' not in models:
        missing.append("map_routes.MapKey under [register] model")
    if 'map.xml' not in xml:
        missing.append("map.xml under [tryton] xml")
    if missing:
        return "tryton.cfg does not list " + " nor ".join(missing)
    if 'map_routes' not in (MODULE_DIR / '__init__.py').read_text():
        return "__init__.py does not import map_routes"


def ka_translation(context, msgid):
    "The Georgian of msgid in locale/ka.po, or None"
    for entry in polib.pofile(str(MODULE_DIR / 'locale' / 'ka.po')):
        if (entry.msgctxt == context and entry.msgid == msgid
                and entry.msgstr and 'fuzzy' not in entry.flags):
            return entry.msgstr


def sign(secret, trip_id, date):
    "The key as the brief defines it, computed independently of the module"
    message = f'{DATABASE}\n{trip_id}\n{date}'.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class Server:
    "A trytond web server of the test"

    def __init__(self, directory, name, port, env, **sections):
        self.port = port
        self.url = f'http://127.0.0.1:{port}'
        self.conf = directory / f'{name}.conf'
        lines = [
            "[database]", "uri = sqlite://", f"path = {directory}",
            "language = en",
            "[web]", f"listen = 127.0.0.1:{port}",
            "[password]", "length = 8"]
        for section, options in sections.items():
            lines.append(f"[{section}]")
            lines += [f"{k} = {v}" for k, v in options.items()]
        self.conf.write_text('\n'.join(lines) + '\n')
        self.env = dict(env, TRYTOND_CONFIG=str(self.conf))
        self.log_path = directory / f'{name}.log'
        self.process = None

    def start(self):
        self.log = self.log_path.open('w')
        # -d loads the pool at start: without it, trytond 8.0.12 answers
        # KeyError 'res.user' to a JSON-RPC login that comes first
        self.process = subprocess.Popen([
                str(BIN / 'trytond'), '-c', str(self.conf), '-d', DATABASE],
            env=self.env, stdin=subprocess.DEVNULL, stdout=self.log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise AssertionError(
                    "trytond stopped while starting:\n" + tail(self.log_path))
            with socket.socket() as sock:
                if sock.connect_ex(('127.0.0.1', self.port)) == 0:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(
                    "trytond did not listen in 60 s:\n" + tail(self.log_path))
            time.sleep(0.2)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)
        if self.process:
            self.log.close()

    def rpc(self, method, *params, session=None):
        "(result, error) of a JSON-RPC call"
        data = json.dumps(
            {'id': 1, 'method': method, 'params': list(params)}).encode()
        request = urllib.request.Request(
            f'{self.url}/{DATABASE}/rpc/', data=data,
            headers={'Content-Type': 'application/json'})
        if session:
            request.add_header('Authorization', session)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            return None, f'HTTP {error.code}'
        return answer.get('result'), answer.get('error')

    def login(self, login, password):
        result, error = self.rpc(
            'common.db.login', login, {'password': password}, 'en')
        if error:
            raise AssertionError(f"{login} cannot log in: {error}\n"
                + tail(self.log_path))
        uid, token = result[0], result[1]
        return 'Session ' + base64.b64encode(
            f'{login}:{uid}:{token}'.encode()).decode()

    def map_url(self, trip_id, login='admin', password=ADMIN_PASSWORD):
        "(url, error) of the trip's map_url read by login over JSON-RPC"
        session = self.login(login, password)
        result, error = self.rpc('model.delivery.trip.read',
            [trip_id], ['map_url'], {}, session=session)
        return (result[0]['map_url'] if result else None), error

    def get(self, path, headers=None):
        "GET path (from the root of the server): (status, headers, body)"
        request = urllib.request.Request(self.url + path,
            headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


class TripMapTestCase(unittest.TestCase):
    "The map page of a trip served by a real trytond"

    @classmethod
    def setUpClass(cls):
        pending = registration_pending()
        assert not pending, (
            "delivery_courier_routes does not serve the trip map: "
            + pending)
        tmp = tempfile.TemporaryDirectory(prefix='delivery-map-')
        cls.addClassCleanup(tmp.cleanup)
        cls.directory = directory = Path(tmp.name)
        leaflet = directory / 'leaflet-dist'
        (leaflet / 'images').mkdir(parents=True)
        (leaflet / 'leaflet.js').write_bytes(FAKE_LEAFLET_JS)
        (leaflet / 'leaflet.css').write_bytes(FAKE_LEAFLET_CSS)
        (leaflet / 'images' / 'layers.png').write_bytes(FAKE_PNG)
        (leaflet / 'notes.txt').write_text("not an asset")
        (directory / 'secret.js').write_text("outside the root")

        cls.db_path = directory / f'{DATABASE}.sqlite'
        # the database of every HTTP test of the delivery modules
        env = activated_database(
            directory, DATABASE, 'delivery_courier_routes')

        port_a = free_port(PREFERRED_PORTS[0])
        port_b = free_port(PREFERRED_PORTS[1], taken={port_a})
        cls.server = Server(directory, 'server-a', port_a, env,
            delivery_courier_routes={
                'map_key': MAP_KEY, 'leaflet_root': leaflet})
        # the same database without the options
        cls.server_b = Server(directory, 'server-b', port_b, env)

        setup = subprocess.run([sys.executable, '-c', SETUP,
                str(cls.server.conf), DATABASE, json.dumps({
                        'customer': "Secret Shop LLC",
                        'reference': "REF-PRIVATE-991",
                        'phone': "+995 555 44 66 77",
                        'street': "12 Rustaveli Avenue",
                        'pickup_street': "7 Marjanishvili Street",
                        'stops': STOPS,
                        'nobody': NOBODY,
                        })],
            env=cls.server.env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=600)
        if setup.returncode:
            raise AssertionError(
                "Could not create the trip:\n" + setup.stderr[-4000:])
        cls.data = json.loads(setup.stdout.strip().splitlines()[-1])
        assert cls.data['map_url'], "delivery.trip has no map_url"

        for server in [cls.server, cls.server_b]:
            cls.addClassCleanup(server.stop)
            server.start()
        cls.key = sign(MAP_KEY, cls.data['trip'], cls.data['date'])
        cls.path = (f"/{DATABASE}/delivery/trip/{cls.data['trip']}/map")

    def fetch(self, query='', path=None, server=None, headers=None):
        "The map page: (status, headers, text)"
        server = server or self.server
        status, headers, body = server.get(
            (path or self.path) + query, headers=headers)
        return status, headers, body.decode('utf-8')

    def assertHTMLPage(self, status, headers, text, lang):
        self.assertTrue(headers['Content-Type'].startswith('text/html'))
        self.assertIn('no-store', headers['Cache-Control'])
        self.assertEqual(headers['Content-Language'], lang)
        self.assertEqual(headers['X-Frame-Options'], 'DENY')
        self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
        self.assertIn(f'<html lang="{lang}">', text)
        self.assertIn('<meta name="robots" content="noindex">', text)
        for private in PRIVATE:
            self.assertNotIn(private, text)

    def assertNoExternalResource(self, text, headers):
        "only our routes, and the tiles, which the CSP alone allows"
        csp = [d.strip() for d in
            headers['Content-Security-Policy'].split(';')]
        self.assertIn("default-src 'none'", csp)
        self.assertIn("script-src 'self'", csp)
        self.assertIn("style-src 'self'", csp)
        self.assertIn(
            "img-src 'self' data: https://tile.openstreetmap.org", csp)
        self.assertIn("connect-src 'none'", csp)
        self.assertEqual(
            re.findall(r'https?://[^\s;]+',
                headers['Content-Security-Policy']),
            ['https://tile.openstreetmap.org'])
        for url in re.findall(r'(?:src|href)="([^"]*)"', text):
            self.assertFalse(re.match(r'(?i)[a-z]+:|//', url), url)
        self.assertNotRegex(text, r'<script(?![^>]*\bsrc=)'
            r'(?![^>]*type="application/json")')
        self.assertNotRegex(text, r'<style|\sstyle=|\son[a-z]+=')
        # the key never leaves the origin
        self.assertIn('strict-origin', headers['Referrer-Policy'])

    def stop_names(self, text):
        "the names of the stops in the HTML list, in their order"
        items = re.findall(
            r'<li class="stop[^"]*" data-stop="(\d+)" value="\d+">.*?'
            r'<strong class="name">(.*?)</strong>', text, re.S)
        self.assertEqual([int(n) for n, _ in items],
            list(range(1, len(items) + 1)))
        return [html.unescape(name) for _, name in items]

    def data_of(self, text):
        match = re.search(r'<script type="application/json" id="trip-data">'
            r'(.*?)</script>', text, re.S)
        self.assertTrue(match, "no trip data in the page")
        return json.loads(match.group(1))

    def test_map_url(self):
        "map_url: the signed absolute URL, for users who can read the trip"
        url, error = self.server.map_url(self.data['trip'])
        self.assertIsNone(error)
        self.assertEqual(url, f"{self.server.url}{self.path}?"
            + urllib.parse.urlencode({'key': self.key, 'lang': 'en'}))
        other, _ = self.server.map_url(self.data['other'])
        self.assertNotEqual(
            urllib.parse.parse_qs(urllib.parse.urlsplit(other).query)['key'],
            [self.key])
        # a user without access to the trips gets no URL
        url, error = self.server.map_url(self.data['trip'], *NOBODY)
        self.assertIsNone(url)
        self.assertTrue(error)
        self.assertNotIn(self.key, json.dumps(error))
        # and cannot read the secret of the links
        session = self.server.login('admin', ADMIN_PASSWORD)
        result, error = self.server.rpc(
            'model.delivery.trip.map.key.search_read', [], 0, None, None,
            ['secret'], {}, session=session)
        self.assertIsNone(result)
        self.assertTrue(error)

    def test_page(self):
        "A valid key: the trip, its stops in their order, nothing private"
        status, headers, text = self.fetch(f'?key={self.key}',
            headers={'Accept-Language': 'en'})
        self.assertEqual(status, 200, "the route is not registered at start:"
            " does delivery_courier_routes/__init__.py import map_routes?\n"
            + text[:500])
        self.assertHTMLPage(status, headers, text, 'en')
        self.assertNoExternalResource(text, headers)
        self.assertIn(f"<h1>Trip {self.data['reference']}</h1>", text)
        self.assertIn("Levan Courier", text)
        self.assertIn("Didube Depot", text)
        self.assertIn("23.4 km", text)
        self.assertIn("3:05", text)
        self.assertEqual(self.stop_names(text), [s[0] for s in STOPS])
        # windows and planned arrivals on the company's clock
        for hour in (10, 11, 12):
            self.assertIn(f'<dd>{hour}:00\u2013{hour + 1}:00</dd>', text)
            self.assertIn(f'<dd>{hour}:25</dd>', text)
        self.assertIn("25 min late", text)
        self.assertIn(">Waiting<", text)
        self.assertIn(">Cancelled<", text)
        self.assertIn("No coordinates", text)
        self.assertIn("Asia/Tbilisi", text)
        # Leaflet and our script, relative to the page
        self.assertIn('href="../map/leaflet/leaflet.css?v=1.9.4"', text)
        self.assertIn('src="../map/leaflet/leaflet.js?v=1.9.4"', text)
        self.assertRegex(text, r'src="\.\./map/static/map\.js\?v=\w+"')
        self.assertIn('href="?key=' + self.key + '&amp;lang=ka"', text)
        # the data of the map: depot, stops in order with their position
        data = self.data_of(text)
        self.assertEqual(data['depot']['position'], [41.7479, 44.7806])
        self.assertEqual([s['name'] for s in data['stops']],
            [s[0] for s in STOPS])
        self.assertEqual([s['number'] for s in data['stops']], [1, 2, 3, 4])
        self.assertEqual(data['stops'][0]['position'], [41.7151, 44.8271])
        self.assertIsNone(data['stops'][3]['position'])
        self.assertEqual(data['stops'][3]['stateCode'], 'cancelled')
        self.assertEqual(data['tiles']['url'],
            'https://tile.openstreetmap.org/{z}/{x}/{y}.png')
        self.assertIn('OpenStreetMap', data['tiles']['attribution'])
        for stop in data['stops']:
            self.assertLessEqual(set(stop), {
                    'number', 'name', 'city', 'kind', 'window', 'arrival',
                    'state', 'stateCode', 'late', 'position'})

    def test_page_in_georgian(self):
        "?lang=ka, or Accept-Language: ka, shows the page in Georgian"
        title = ka_translation(
            'model:ir.message,text:msg_map_title', "Trip %(trip)s")
        self.assertIsNotNone(title,
            "locale/ka.po has no Georgian for msg_map_title")
        title = html.escape(title % {'trip': self.data['reference']})
        for query, header in [
                (f'?key={self.key}&lang=ka', 'en'),
                (f'?key={self.key}', 'ka-GE,ka;q=0.9,en;q=0.5')]:
            with self.subTest(query=query, header=header):
                status, headers, text = self.fetch(
                    query, headers={'Accept-Language': header})
                self.assertEqual(status, 200)
                self.assertHTMLPage(status, headers, text, 'ka')
                self.assertIn(f'<h1>{title}</h1>', text)
                self.assertNotIn('<h1>Trip ', text)
                self.assertEqual(self.stop_names(text),
                    [s[0] for s in STOPS])
                self.assertIn('href="?key=' + self.key + '&amp;lang=en"',
                    text)

    def forbidden_bodies(self, queries, paths=None):
        bodies = set()
        for path in paths or [self.path]:
            for query in queries:
                with self.subTest(path=path, query=query):
                    status, headers, text = self.fetch(query, path=path,
                        headers={'Accept-Language': 'en'})
                    self.assertEqual(status, 403)
                    self.assertHTMLPage(status, headers, text, 'en')
                    self.assertNotIn(self.data['reference'], text)
                    for name, city, _ in STOPS:
                        self.assertNotIn(name, text)
                        self.assertNotIn(city, text)
                    self.assertNotIn('Didube', text)
                    self.assertNotIn('trip-data', text)
                    self.assertNotIn('<script', text)
                    self.assertIn("default-src 'none'",
                        headers['Content-Security-Policy'])
                    self.assertNotIn('tile.openstreetmap.org',
                        headers['Content-Security-Policy'])
                    bodies.add(text)
        return bodies

    def test_bad_keys(self):
        "Missing, wrong and foreign keys: the same 403, nothing leaks"
        other = sign(MAP_KEY, self.data['other'], self.data['date'])
        other_day = sign(MAP_KEY, self.data['trip'], '2000-01-01')
        wrong_secret = sign('not-the-secret', self.data['trip'],
            self.data['date'])
        flipped = self.key[:-1] + ('0' if self.key[-1] != '0' else '1')
        bodies = self.forbidden_bodies([
                '', '?key=', f'?key={flipped}', f'?key={other}',
                f'?key={other_day}', f'?key={wrong_secret}',
                f'?key={self.key.upper()}', f'?key={self.key[:32]}',
                f'?key={self.key}0', f'?key=%20{self.key}',
                f'?lang=en&kei={self.key}'])
        self.assertEqual(len(bodies), 1, "403 pages differ by key")
        self.assertIn("This map link is not valid", bodies.pop())

    def test_unknown_trips(self):
        "Unknown and malformed trip ids: the same 403 as a wrong key"
        reference, = self.forbidden_bodies(['?key=' + '0' * 64])
        paths = [f'/{DATABASE}/delivery/trip/{i}/map' for i in [
                999999, 0, '-1', '00' + str(self.data['trip']), 'abc',
                10 ** 12, 2 ** 31]]
        bodies = self.forbidden_bodies(
            [f'?key={self.key}', '?key=' + '0' * 64, ''], paths=paths)
        self.assertEqual(bodies, {reference})

    def test_leaflet_served(self):
        "Leaflet's files from leaflet_root, ours from static/map, only them"
        assets = f'/{DATABASE}/delivery/trip/map'
        for path, content_type, content in [
                ('/leaflet/leaflet.js', 'text/javascript', FAKE_LEAFLET_JS),
                ('/leaflet/leaflet.css', 'text/css', FAKE_LEAFLET_CSS),
                ('/leaflet/images/layers.png', 'image/png', FAKE_PNG),
                ('/static/map.js', 'text/javascript', None),
                ('/static/map.css', 'text/css', None),
                ]:
            with self.subTest(path=path):
                status, headers, body = self.server.get(assets + path)
                self.assertEqual(status, 200)
                self.assertTrue(
                    headers['Content-Type'].startswith(content_type))
                self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
                if content is not None:
                    self.assertEqual(body, content)
                else:
                    self.assertEqual(body, (MODULE_DIR / 'static' / 'map'
                            / path.split('/')[-1]).read_bytes())
        for path in ['/leaflet/notes.txt', '/leaflet/missing.js',
                '/leaflet/../secret.js', '/leaflet/%2e%2e/secret.js',
                '/leaflet/..%2fsecret.js', '/static/../map_routes.py',
                '/static/..%2f..%2fmap_routes.py', '/static/%2e%2e/map.xml']:
            with self.subTest(path=path):
                status, _, body = self.server.get(assets + path)
                self.assertIn(status, {404, 400})
                self.assertNotIn(b'outside the root', body)
                self.assertNotIn(b'import', body)

    def test_database_secret_and_missing_leaflet(self):
        """Without map_key the links are signed with the secret stored in
        the database; without leaflet_root the page answers 503"""
        server = self.server_b
        url, error = server.map_url(self.data['trip'])
        self.assertIsNone(error)
        with sqlite3.connect(self.db_path) as connection:
            (secret,), = connection.execute(
                'SELECT secret FROM delivery_trip_map_key WHERE id = 1')
        self.assertGreaterEqual(len(secret), 32)
        self.assertNotEqual(secret, MAP_KEY)
        key = sign(secret, self.data['trip'], self.data['date'])
        self.assertEqual(url, f"{server.url}{self.path}?"
            + urllib.parse.urlencode({'key': key, 'lang': 'en'}))
        # the links of server A are not valid on B, nor B's on A
        status, _, _ = self.fetch(f'?key={self.key}', server=server)
        self.assertEqual(status, 403)
        status, _, _ = self.fetch(f'?key={key}')
        self.assertEqual(status, 403)
        # a valid key, but no Leaflet
        status, headers, text = self.fetch(f'?key={key}', server=server,
            headers={'Accept-Language': 'en'})
        self.assertEqual(status, 503)
        self.assertHTMLPage(status, headers, text, 'en')
        self.assertIn("Map unavailable", text)
        self.assertIn("leaflet_root", text)
        self.assertIn("[delivery_courier_routes]", text)
        self.assertNotIn(self.data['reference'], text)
        self.assertNotIn('<script', text)
        status, _, body = server.get(
            f'/{DATABASE}/delivery/trip/map/leaflet/leaflet.js')
        self.assertEqual(status, 503)
        self.assertIn(b'leaflet_root', body)
        # a wrong key still gets 403, not 503
        status, _, _ = self.fetch('?key=' + '0' * 64, server=server)
        self.assertEqual(status, 403)

    # the map where a dispatcher picks the position of an address

    def pick_link(self):
        "(path, query) of the delivery_pick_url of the first order, as admin"
        session = self.server.login('admin', ADMIN_PASSWORD)
        orders, error = self.server.rpc('model.delivery.order.search_read',
            [('reference', '=', "REF-PRIVATE-991")], 0, 1, [('id', 'ASC')],
            ['delivery_pick_url', 'delivery_latitude'], {}, session=session)
        self.assertIsNone(error)
        order, = orders
        split = urllib.parse.urlsplit(order['delivery_pick_url'])
        return order['id'], session, split.path, split.query

    def post(self, path, payload):
        "(status, answer) of a POST of the picked coordinates"
        request = urllib.request.Request(self.server.url + path,
            data=json.dumps(payload).encode(),
            headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def latitude(self, order_id, session):
        orders, error = self.server.rpc('model.delivery.order.read',
            [order_id], ['delivery_latitude', 'delivery_longitude'], {},
            session=session)
        self.assertIsNone(error)
        return orders[0]['delivery_latitude'], orders[0]['delivery_longitude']

    def test_pick(self):
        "the signed link opens the map; Save writes as the link's user"
        order_id, session, path, query = self.pick_link()
        self.assertEqual(path, f'/{DATABASE}/delivery/trip/map/pick')
        status, headers, text = self.fetch('?' + query, path=path)
        self.assertEqual(status, 200, text[:500])
        self.assertIn('<h1>Position of the Delivery</h1>', text)
        self.assertIn('src="../map/leaflet/leaflet.js"', text)
        self.assertIn('../map/static/pick.js', text)
        csp = headers['Content-Security-Policy']
        self.assertIn("connect-src 'self'", csp)
        self.assertNotRegex(text, r'<script(?![^>]*\bsrc=)'
            r'(?![^>]*type="application/json")')
        status, _, script = self.fetch(path=(
                f'/{DATABASE}/delivery/trip/map/static/pick.js'))
        self.assertEqual(status, 200)
        self.assertIn('fetch(window.location.pathname', script)

        link = dict(urllib.parse.parse_qsl(query))
        link.pop('lang', None)
        status, answer = self.post(path, {
                'link': link, 'latitude': 41.70123456, 'longitude': 44.79})
        self.assertEqual(status, 200, answer)
        self.assertEqual(self.latitude(order_id, session),
            (41.7012346, 44.79))

        # bad coordinates, a forged or expired link: refused, unchanged
        for payload, code in [
                ({'link': link, 'latitude': 95, 'longitude': 44.8}, 400),
                ({'link': link, 'latitude': 'north', 'longitude': 1}, 400),
                ({'link': {**link, 'key': '0' * 64},
                    'latitude': 41.6, 'longitude': 44.7}, 403),
                ({'link': {**link, 'id': str(int(link['id']) + 1)},
                    'latitude': 41.6, 'longitude': 44.7}, 403),
                ({'link': {**link, 'expires': '1'},
                    'latitude': 41.6, 'longitude': 44.7}, 403),
                ({'latitude': 41.6, 'longitude': 44.7}, 403),
                ]:
            with self.subTest(payload=payload):
                status, answer = self.post(path, payload)
                self.assertEqual(status, code, answer)
                self.assertTrue(answer.get('error'))
        self.assertEqual(self.latitude(order_id, session),
            (41.7012346, 44.79))
        status, _, _ = self.fetch('?' + urllib.parse.urlencode(
                {**link, 'key': '0' * 64}), path=path)
        self.assertEqual(status, 403)

    def test_pick_no_more_than_its_user(self):
        "a link signed for a user who may not change orders writes nothing"
        order_id, session, path, query = self.pick_link()
        before = self.latitude(order_id, session)
        nobody = self.server.login(*NOBODY)
        _, uid, _ = base64.b64decode(nobody.split()[1]).decode().split(':')
        link = dict(urllib.parse.parse_qsl(query))
        link.pop('lang', None)
        link['user'] = uid
        message = (f"pick\n{DATABASE}\ndelivery.order\n{link['id']}\n"
            f"delivery\n{uid}\n{link['expires']}")
        link['key'] = hmac.new(MAP_KEY.encode(), message.encode(),
            hashlib.sha256).hexdigest()
        status, answer = self.post(path, {
                'link': link, 'latitude': 41.6, 'longitude': 44.7})
        self.assertEqual(status, 403, answer)
        self.assertEqual(self.latitude(order_id, session), before)


    # the dispatcher board -------------------------------------------------

    def board_link(self, session=None):
        """(path, query) of the board of the trip's day that the Dispatcher
        Board wizard opens for admin (or session)"""
        session = session or self.server.login('admin', ADMIN_PASSWORD)
        trips, error = self.server.rpc('model.delivery.trip.read',
            [self.data['trip']], ['company', 'date', 'depot'], {},
            session=session)
        self.assertIsNone(error)
        trip, = trips
        (wizard, _, _), error = self.server.rpc(
            'wizard.delivery.trip.board.create', {}, session=session)
        self.assertIsNone(error)
        result, error = self.server.rpc('wizard.delivery.trip.board.execute',
            wizard, {'start': {'company': trip['company'],
                    'date': trip['date'], 'depot': trip['depot']}},
            'open_', {}, session=session)
        self.assertIsNone(error, error)
        (action, _), = result['actions']
        self.assertEqual(action['type'], 'ir.action.url')
        split = urllib.parse.urlsplit(action['url'])
        self.assertEqual(f'{split.scheme}://{split.netloc}', self.server.url)
        return split.path, split.query

    def test_board(self):
        "the wizard's signed link: the trips of the day as columns"
        path, query = self.board_link()
        self.assertEqual(path, f'/{DATABASE}/delivery/trip/board')
        status, headers, text = self.fetch('?' + query, path=path)
        self.assertEqual(status, 200, text[:500])
        self.assertHTMLPage(status, headers, text, 'en')
        self.assertIn('<h1>Dispatcher Board, ', text)
        csp = [d.strip() for d in
            headers['Content-Security-Policy'].split(';')]
        self.assertIn("default-src 'none'", csp)
        self.assertNotIn('script', headers['Content-Security-Policy'])
        self.assertNotRegex(text, r'<script|\sstyle=|\son[a-z]+=')
        for url in re.findall(r'(?:src|href)="([^"]*)"', text):
            if 'delivery/trip/' in url and '/map?' in url:
                continue    # the map of each trip, signed
            self.assertFalse(re.match(r'(?i)[a-z]+:|//', url), url)
        # the trip's column: its stops in their order, its distance
        columns = re.findall(r'<section class="column" data-trip="(\d+)"',
            text)
        self.assertIn(str(self.data['trip']), columns)
        names = [html.unescape(n) for n in re.findall(
                r'<p class="name">(.*?) <span class="city">', text)]
        self.assertEqual(names[:len(STOPS)], [n for n, _, _ in STOPS])
        self.assertIn('23.4 km', text)
        self.assertIn('<meta http-equiv="refresh" content="60">', text)
        self.assertIn('href="map/static/board.css', text)
        status, _, css = self.fetch(
            path=f'/{DATABASE}/delivery/trip/map/static/board.css')
        self.assertEqual(status, 200)
        self.assertIn('.board', css)
        # in Georgian
        status, headers, text = self.fetch(
            '?' + query.replace('lang=en', 'lang=ka'), path=path)
        self.assertEqual(status, 200)
        self.assertEqual(headers['Content-Language'], 'ka')
        self.assertIn('დისპეტჩერის დაფა', text)

    def test_board_refused(self):
        "forged, expired, altered links and a user without rights: 403"
        path, query = self.board_link()
        link = dict(urllib.parse.parse_qsl(query))
        for change in [{'key': '0' * 64}, {'expires': '1'},
                {'date': '2001-01-01'}, {'depot': '0'}, {'company': 'x'},
                {'user': '1; drop'}]:
            with self.subTest(change=change):
                status, _, text = self.fetch(
                    '?' + urllib.parse.urlencode({**link, **change}),
                    path=path)
                self.assertEqual(status, 403, text[:300])
                self.assertNotIn('data-trip', text)
        # well signed for a user who may not read trips: nothing shown
        nobody = self.server.login(*NOBODY)
        _, uid, _ = base64.b64decode(nobody.split()[1]).decode().split(':')
        message = (f"board\n{DATABASE}\n{link['company']}\n{link['depot']}"
            f"\n{link['date']}\n{uid}\n{link['expires']}")
        forged = {**link, 'user': uid, 'key': hmac.new(MAP_KEY.encode(),
                message.encode(), hashlib.sha256).hexdigest()}
        status, _, text = self.fetch(
            '?' + urllib.parse.urlencode(forged), path=path)
        self.assertEqual(status, 403, text[:300])
        self.assertNotIn('data-trip', text)
        for name, _, _ in STOPS:
            self.assertNotIn(name, text)
        # a link of a user who no longer exists (or was deactivated)
        message = (f"board\n{DATABASE}\n{link['company']}\n{link['depot']}"
            f"\n{link['date']}\n999999\n{link['expires']}")
        gone = {**link, 'user': '999999', 'key': hmac.new(MAP_KEY.encode(),
                message.encode(), hashlib.sha256).hexdigest()}
        status, _, text = self.fetch(
            '?' + urllib.parse.urlencode(gone), path=path)
        self.assertEqual(status, 403, text[:300])
        # and gets no link from the wizard
        result, error = self.server.rpc(
            'wizard.delivery.trip.board.create', {}, session=nobody)
        self.assertIsNone(result)
        self.assertTrue(error)

if __name__ == '__main__':
    unittest.main()
