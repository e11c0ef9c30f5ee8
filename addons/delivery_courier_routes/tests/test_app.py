# This file is part of the Delivery CRM for Tryton.
"""The routes of the courier app, end to end: a SQLite database activated
by trytond-admin (with the Georgian translations), a real `trytond` web
server on 127.0.0.1, and the files fetched over HTTP without any login.

    python -m unittest trytond.modules.delivery_courier_routes.tests.test_app

What the page does with them (log in, stops, offline queue) is tested in
the browser: tests/browser/test_courier_app.py.
"""
import configparser
import http.client
import json
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

import polib

from trytond.modules.delivery_crm.tests.server import (
    activated_database, free_port, tail)

MODULE_DIR = Path(__file__).absolute().parent.parent
STATIC = MODULE_DIR / 'static' / 'app'
BIN = Path(sys.executable).parent
DATABASE = 'courier_app_test'
PREFERRED_PORT = 8212
ROUTE = '/<database_name>/delivery/courier/'
APP = f'/{DATABASE}/delivery/courier/'


def registration_pending():
    "Why the module does not serve the app yet, or None"
    try:
        import trytond.modules.delivery_courier_routes  # noqa: F401
        from trytond.wsgi import app
    except Exception as exc:
        return f"the module does not import: {exc!r}"
    missing = []
    if ROUTE not in {rule.rule for rule in app.url_map.iter_rules()}:
        missing.append("__init__.py does not import app_routes")
    parser = configparser.ConfigParser()
    parser.read(MODULE_DIR / 'tryton.cfg')
    if 'app.xml' not in parser.get('tryton', 'xml', fallback='').split():
        missing.append("tryton.cfg does not list app.xml under [tryton] xml")
    if missing:
        return ', '.join(missing)


def app_messages():
    "{id without msg_app_: English text} of app.xml"
    root = ET.parse(MODULE_DIR / 'app.xml').getroot()
    return {
        record.get('id')[len('msg_app_'):]: record.find('field').text
        for record in root.iter('record')
        if record.get('model') == 'ir.message'}


def ka_translations():
    "{id without msg_app_: Georgian} of locale/ka.po"
    result = {}
    prefix = 'model:ir.message,text:msg_app_'
    for entry in polib.pofile(str(MODULE_DIR / 'locale' / 'ka.po')):
        if (entry.msgctxt and entry.msgctxt.startswith(prefix)
                and entry.msgstr and 'fuzzy' not in entry.flags):
            result[entry.msgctxt[len(prefix):]] = entry.msgstr
    return result


class CourierAppRoutesTestCase(unittest.TestCase):
    "The courier app's page, files and texts served by a real trytond"

    @classmethod
    def setUpClass(cls):
        pending = registration_pending()
        assert not pending, (
            f"delivery_courier_routes does not serve the app: {pending}")
        tmp = tempfile.TemporaryDirectory(prefix='delivery-courier-app-')
        cls.addClassCleanup(tmp.cleanup)
        cls.directory = Path(tmp.name)
        cls.port = free_port(PREFERRED_PORT)
        conf = cls.directory / 'trytond.conf'
        conf.write_text(
            "[database]\n"
            "uri = sqlite://\n"
            f"path = {cls.directory}\n"
            "language = en\n"
            "[web]\n"
            f"listen = 127.0.0.1:{cls.port}\n")
        # the database of every HTTP test of the delivery modules
        env = activated_database(
            cls.directory, DATABASE, 'delivery_courier_routes')
        env.update(TRYTOND_CONFIG=str(conf))

        cls.server_log = cls.directory / 'server.log'
        log = cls.server_log.open('w')
        cls.addClassCleanup(log.close)
        cls.server = subprocess.Popen([
                str(BIN / 'trytond'), '-c', str(conf)],
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

    def get(self, path, headers=None, method='GET'):
        """The raw path as given (no normalisation of '..' or '%2e');
        (status, headers, body bytes)"""
        connection = http.client.HTTPConnection(
            '127.0.0.1', self.port, timeout=60)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def assertServed(self, path, content_type):
        status, headers, body = self.get(path)
        self.assertEqual(status, 200, f"{path}: {body[:300]!r}\n"
            + tail(self.server_log))
        self.assertEqual(headers['Content-Type'], content_type, path)
        self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
        self.assertIn('no-cache', headers['Cache-Control'])
        self.assertTrue(headers['ETag'])
        return headers, body

    def test_index(self):
        "The page: HTML with a strict CSP, only its own files, no login"
        headers, body = self.assertServed(APP, 'text/html; charset=utf-8')
        text = body.decode('utf-8')
        self.assertEqual(text, (STATIC / 'index.html').read_text())
        csp = headers['Content-Security-Policy']
        for directive in ["default-src 'none'", "script-src 'self'",
                "connect-src 'self'", "frame-ancestors 'none'"]:
            self.assertIn(directive, csp)
        self.assertNotIn('unsafe', csp)
        self.assertIn('<meta name="viewport"', text)
        self.assertIn(
            '<link rel="manifest" href="static/manifest.webmanifest">', text)
        self.assertIn('<script src="static/app.js"', text)
        # nothing from elsewhere, no inline script or style
        self.assertNotRegex(text, r'(?i)(src|href)="(https?:)?//')
        self.assertNotRegex(text, r'(?i)<script>|<style|style=')
        # the path without its slash goes to the page
        status, headers, _ = self.get(APP.rstrip('/'))
        self.assertIn(status, {301, 308})
        self.assertTrue(headers['Location'].endswith(APP))

    def test_static_files(self):
        "The files of the app with their content types"
        for name, content_type in [
                ('app.js', 'text/javascript; charset=utf-8'),
                ('app.css', 'text/css; charset=utf-8'),
                ('index.html', 'text/html; charset=utf-8'),
                ('icons/icon.svg', 'image/svg+xml'),
                ('icons/icon-192.png', 'image/png'),
                ]:
            with self.subTest(name=name):
                _, body = self.assertServed(
                    APP + 'static/' + name, content_type)
                self.assertEqual(body, (STATIC / name).read_bytes())

    def test_manifest(self):
        "An installable PWA: its manifest and each of its icons"
        _, body = self.assertServed(
            APP + 'static/manifest.webmanifest', 'application/manifest+json')
        manifest = json.loads(body)
        self.assertEqual(manifest['start_url'], '../')
        self.assertEqual(manifest['scope'], '../')
        self.assertEqual(manifest['display'], 'standalone')
        self.assertTrue(manifest['name'] and manifest['short_name'])
        sizes = set()
        for icon in manifest['icons']:
            with self.subTest(icon=icon['src']):
                _, data = self.assertServed(
                    APP + 'static/' + icon['src'], icon['type'])
                if icon['type'] == 'image/png':
                    self.assertTrue(data.startswith(b'\x89PNG'))
                    width, height = (int.from_bytes(data[16:20], 'big'),
                        int.from_bytes(data[20:24], 'big'))
                    self.assertEqual(f'{width}x{height}', icon['sizes'])
                    sizes.add(icon['sizes'])
        self.assertLessEqual({'192x192', '512x512'}, sizes)

    def test_service_worker(self):
        "The worker under static/ may control the whole app"
        headers, body = self.assertServed(
            APP + 'static/sw.js', 'text/javascript; charset=utf-8')
        self.assertEqual(headers['Service-Worker-Allowed'], APP)
        text = body.decode('utf-8')
        for name in ["'app.js'", "'app.css'", "'manifest.webmanifest'",
                "'../'"]:
            self.assertIn(name, text)
        # every file of the shell exists: addAll() fails on a single 404
        shell = re.search(r'const SHELL = \[(.*?)\];', text, re.S).group(1)
        for name in re.findall(r"'([^']+)'", shell):
            if name != '../':
                self.assertTrue((STATIC / name).is_file(), name)

    def test_conditional_get(self):
        "Unchanged files answer 304 to their ETag"
        headers, _ = self.assertServed(
            APP + 'static/app.js', 'text/javascript; charset=utf-8')
        status, _, body = self.get(APP + 'static/app.js',
            headers={'If-None-Match': headers['ETag']})
        self.assertEqual(status, 304)
        self.assertEqual(body, b'')

    def texts(self, query='', headers=None):
        status, response_headers, body = self.get(
            APP + 'texts' + query, headers=headers)
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(response_headers['Content-Type'],
            'application/json; charset=utf-8')
        data = json.loads(body)
        self.assertEqual(response_headers['Content-Language'], data['lang'])
        return data

    def test_texts_english(self):
        "Every msg_app_ message of app.xml, and the selections of the app"
        data = self.texts('?lang=en')
        self.assertEqual(data['lang'], 'en')
        self.assertEqual(data['texts'], app_messages())
        reasons = dict(data['reasons'])
        self.assertEqual(reasons['absent'], "Recipient Absent")
        self.assertIn('other', reasons)
        self.assertNotIn(None, reasons)
        self.assertNotIn('', reasons)
        self.assertEqual(set(data['states']),
            {'waiting', 'arrived', 'done', 'failed', 'cancelled'})
        self.assertEqual(set(data['kinds']), {'pickup', 'delivery'})
        self.assertEqual(set(data['actions']),
            {'arrived', 'picked_up', 'delivered', 'failed'})

    def test_texts_georgian(self):
        "?lang=ka: the messages as locale/ka.po translates them"
        english = app_messages()
        georgian = ka_translations()
        self.assertIn('title', georgian,
            "locale/ka.po has no Georgian for msg_app_title")
        for query, headers in [
                ('?lang=ka', None),
                ('?lang=ka-GE', None),
                ('', {'Accept-Language': 'ka-GE,ka;q=0.9,en;q=0.5'}),
                ]:
            with self.subTest(query=query, headers=headers):
                data = self.texts(query, headers)
                self.assertEqual(data['lang'], 'ka')
                self.assertEqual(set(data['texts']), set(english))
                for key, text in data['texts'].items():
                    self.assertEqual(text, georgian.get(key, english[key]),
                        key)
                self.assertNotEqual(dict(data['reasons'])['absent'],
                    "Recipient Absent")

    def test_texts_default(self):
        "An unknown language and no Accept-Language: English"
        self.assertEqual(self.texts('?lang=xx')['lang'], 'en')
        self.assertEqual(
            self.texts('', {'Accept-Language': 'de-DE,de;q=0.9'})['lang'],
            'en')
        self.assertEqual(
            self.texts('?lang=en', {'Accept-Language': 'ka'})['lang'], 'en')

    def test_not_found(self):
        "Unknown files, folders, another database: 404"
        for path in [
                APP + 'static/',
                APP + 'static/icons/',
                ]:
            with self.subTest(path=path):
                status, _, _ = self.get(path)
                # no route of the app: trytond's own answer
                self.assertIn(status, {404, 405})
        for path in [
                APP + 'static/nope.js',
                APP + 'static/app.py',
                APP + 'static/icons/nope.png',
                '/no_such_database/delivery/courier/',
                '/no_such_database/delivery/courier/static/app.js',
                '/no_such_database/delivery/courier/texts',
                ]:
            with self.subTest(path=path):
                status, _, _ = self.get(path)
                self.assertEqual(status, 404)

    def test_path_traversal(self):
        "No path reaches a file outside static/app/"
        secrets = [
            (MODULE_DIR / 'tryton.cfg').read_bytes(),
            (MODULE_DIR / 'app_routes.py').read_bytes()[:200],
            b'root:',
            ]
        for path in [
                'static/../app_routes.py',
                'static/../../app_routes.py',
                'static/../../../tryton.cfg',
                'static/icons/../../../../tryton.cfg',
                'static/..%2f..%2f..%2ftryton.cfg',
                'static/%2e%2e/%2e%2e/%2e%2e/tryton.cfg',
                'static/%2E%2E%2F%2E%2E%2F%2E%2E%2Fapp_routes.py',
                'static/....//....//tryton.cfg',
                'static/..\\..\\..\\tryton.cfg',
                'static/%2fetc%2fpasswd',
                'static//etc/passwd',
                'static/../../../../../../../../etc/passwd',
                'static/.%2e/.%2e/.%2e/tryton.cfg',
                'static/app.js%00.png',
                ]:
            with self.subTest(path=path):
                status, _, body = self.get(APP + path)
                self.assertIn(status, {301, 308, 400, 404, 405}, path)
                for secret in secrets:
                    self.assertNotIn(secret, body)

    def test_only_get(self):
        "The app's routes answer GET only"
        for path in [APP, APP + 'static/app.js', APP + 'texts']:
            with self.subTest(path=path):
                status, _, _ = self.get(path, method='POST')
                self.assertEqual(status, 405)


if __name__ == '__main__':
    unittest.main()
