# This file is part of the Delivery CRM for Tryton.
"""Fixtures of the browser tests: a trytond server of their own on port 8200
(SQLite database 'browser', a copy of the demo database that the tests build
once per run with tools/launch.py, tests/harness.py), Debian's Chromium for
pytest-playwright, a full-page screenshot of every failed test in
tests/browser/screenshots/ and an RPC client (as admin) that tells the tests
what a user should see: his language and the menu names translated in it.
"""
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCREENSHOTS = HERE / 'screenshots'

sys.path.insert(0, str(ROOT / 'tools'))
import launch  # noqa: E402

from tests import harness  # noqa: E402
from tests.jsonrpc import Session  # noqa: E402

PORT = 8200
DATABASE = 'browser'
CUSTOMERS = harness.CUSTOMERS
ADMIN = ('admin', launch.ADMIN_PASSWORD)

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run']

# sao answers most clicks within a second; the first requests of a fresh
# server load the pool and the views, which takes longer on a busy machine.
expect.set_options(timeout=15_000)


@pytest.fixture(scope='session')
def server_url():
    """Build (or update) the SQLite database 'browser' and serve it with a
    trytond of our own on 127.0.0.1:8200; the URL has no trailing slash.

    127.0.0.1 and not another address: the session cookie is Secure and
    Chromium accepts it over plain HTTP only on localhost/127.0.0.1."""
    if launch.port_in_use(PORT):
        pytest.fail(
            f"Port {PORT} is already in use: the browser tests start their "
            "own trytond there; stop the program using it.")
    conf = launch.write_config(
        'browser', web={'listen': f'127.0.0.1:{PORT}'},
        delivery_crm={'public_url': f'http://127.0.0.1:{PORT}'})
    try:
        # a copy of the demo database the tests build once per run
        harness.clone('sqlite', DATABASE, CUSTOMERS, log=print)
        process = launch.start(
            [launch.BIN / 'trytond', '-c', conf, '-d', DATABASE],
            'browser-server.log')
    except launch.LaunchError as exc:
        pytest.fail(str(exc))
    try:
        launch.wait_for_port(PORT, process, what='the browser-test server')
    except launch.LaunchError as exc:
        launch.stop([process])
        pytest.fail(str(exc))
    try:
        yield f'http://127.0.0.1:{PORT}'
    finally:
        launch.stop([process])
        harness.drop('sqlite', DATABASE)


@pytest.fixture(scope='session')
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        'executable_path': CHROMIUM,
        'args': CHROMIUM_ARGS,
        }


@pytest.fixture(scope='session')
def browser_context_args(browser_context_args):
    # wide enough for sao's desktop layout: menu on the left, tabs on top
    return {
        **browser_context_args,
        'viewport': {'width': 1400, 'height': 900},
        }


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    "Save a full-page screenshot of the page of each failed test"
    outcome = yield
    report = outcome.get_result()
    if report.when not in {'setup', 'call'} or not report.failed:
        return
    page = getattr(item, 'funcargs', {}).get('page')
    if page is None or page.is_closed():
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r'[^\w.-]+', '_', item.name).strip('_')
    path = SCREENSHOTS / f'{name}.png'
    try:
        page.screenshot(path=str(path), full_page=True, timeout=10_000)
    except Exception as exc:  # the page may be gone with the browser
        report.sections.append(('screenshot', f"none taken: {exc}"))
    else:
        report.sections.append(('screenshot', str(path)))


class Tryton(Session):
    """JSON-RPC to the test server as admin, plus the XML ids of the
    database: what a given user should see, independently of his language"""

    def __init__(self, url, database):
        super().__init__(url, database, *ADMIN)
        self.database = database
        self._labels = {}

    def db_id(self, xml_id):
        "The database id of module.fs_id (ir.model.data has no RPC)"
        module, fs_id = xml_id.split('.')
        path = launch.VAR / 'db' / f'{self.database}.sqlite'
        with sqlite3.connect(f'file:{path}?mode=ro', uri=True) as conn:
            row = conn.execute(
                'SELECT db_id FROM ir_model_data '
                'WHERE module = ? AND fs_id = ?', (module, fs_id)).fetchone()
        assert row, f"no record {xml_id} in the database"
        return row[0]

    def user(self, login):
        "language code and the names of the employees of the user"
        user, = self.model('res.user', 'search_read',
            [('login', '=', login)], 0, None, None,
            ['language.code', 'employees'])
        employees = self.model('company.employee', 'read',
            user['employees'], ['rec_name'])
        return {
            'language': (user.get('language.') or {}).get('code') or 'en',
            'employees': [e['rec_name'] for e in employees],
            }

    def menu_label(self, xml_id, language):
        "The name of the menu xml_id as sao shows it in language"
        key = (xml_id, language)
        if key not in self._labels:
            menu, = self.call('model.ir.ui.menu.read',
                [self.db_id(xml_id)], ['name'], {'language': language})
            self._labels[key] = menu['name']
        return self._labels[key]


@pytest.fixture(scope='session')
def tryton(server_url):
    "An RPC client as admin; its first call also warms the server up"
    return Tryton(server_url, DATABASE)


def pytest_configure(config):
    # pytest-playwright 0.10 (its base_url fixture) on pytest 9: not ours
    config.addinivalue_line('filterwarnings',
        'ignore:Session-scoped fixtures defined as instance methods'
        ':pytest.PytestRemovedIn10Warning')
