# This file is part of the Delivery CRM for Tryton.
"""What the HTTP, browser, security and production tests share: the demo
database built once per recipe and copied for each suite, a trytond server
on a free port, its log.

A *recipe* is the backend, the number of customers and everything the
database depends on (the modules' sources, the generator, the day: the demo
data is dated from today). The first suite that needs it builds the
template with tools/launch.py, exactly as `make demo` does; the others copy
it: `CREATE DATABASE ... TEMPLATE` on PostgreSQL, a file copy on SQLite.
Templates of other recipes are removed when a new one is built.
"""
import contextlib
import datetime as dt
import fcntl
import hashlib
import shutil
import socket
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tools'))
import launch  # noqa: E402

CUSTOMERS = 300
TEMPLATE_PREFIX = 'tmpl_delivery_'


def recipe_key(backend, customers=CUSTOMERS):
    digest = hashlib.sha256()
    digest.update(launch.modules_stamp().encode())
    for path in [ROOT / 'tools' / 'demo_data.py', ROOT / 'tools' / 'launch.py',
            ROOT / 'trytond.conf']:
        digest.update(path.read_bytes())
    digest.update(f'{backend}:{customers}:{dt.date.today()}'.encode())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def _locked(name):
    "An exclusive lock between the processes of the test run"
    path = launch.VAR / 'db' / f'{name}.lock'
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open('w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _uri(backend):
    return 'sqlite://' if backend == 'sqlite' else launch.PG_URI


def _pg_databases(prefix):
    import psycopg
    with psycopg.connect(launch.PG_URI + 'postgres', autocommit=True) as conn:
        return [r[0] for r in conn.execute(
                'SELECT datname FROM pg_database WHERE datname LIKE %s',
                (prefix + '%',))]


def _sqlite_path(name):
    return launch.VAR / 'db' / f'{name}.sqlite'


def _remove_other_templates(backend, keep):
    if backend == 'sqlite':
        for path in (launch.VAR / 'db').glob(f'{TEMPLATE_PREFIX}*.sqlite*'):
            if not path.name.startswith(keep):
                path.unlink(missing_ok=True)
    else:
        for name in _pg_databases(TEMPLATE_PREFIX):
            if name != keep:
                launch.drop_database(name, 'postgresql')


def template(backend, customers=CUSTOMERS, log=print):
    """The name of the template database of the recipe, built if missing"""
    name = f'{TEMPLATE_PREFIX}{backend[:2]}_{recipe_key(backend, customers)}'
    with _locked(f'template-{backend}'):
        ready = launch.VAR / 'db' / f'{name}.ready'
        if ready.exists() and launch.database_exists(None, name, backend):
            return name
        _remove_other_templates(backend, name)
        launch.drop_database(name, backend)
        conf = launch.write_config(
            f'template-{backend}', database={'uri': _uri(backend)})
        log(f"Building the {backend} demo database of the tests "
            f"({customers} customers), once for every suite ...")
        launch.prepare_database(conf, name, backend, customers, log=log)
        if backend == 'sqlite':
            with sqlite3.connect(_sqlite_path(name)) as conn:
                conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        ready.write_text(name)
        return name


def clone(backend, database, customers=CUSTOMERS, log=print):
    """A fresh copy of the demo database named database, with the stamp
    that tells tools/launch.py it is up to date; return a configuration
    file for it"""
    source = template(backend, customers, log)
    launch.drop_database(database, backend)
    if backend == 'sqlite':
        shutil.copyfile(_sqlite_path(source), _sqlite_path(database))
        files = launch.VAR / 'db' / source
        if files.is_dir():
            shutil.copytree(files, launch.VAR / 'db' / database,
                dirs_exist_ok=True)
    else:
        import psycopg
        with psycopg.connect(launch.PG_URI + 'postgres',
                autocommit=True) as conn:
            conn.execute(
                f'CREATE DATABASE "{database}" TEMPLATE "{source}"')
    stamp = launch.VAR / 'db' / f'{database}.{backend}.stamp'
    stamp.write_text(launch.modules_stamp())
    return database


def drop(backend, database):
    launch.drop_database(database, backend)
    (launch.VAR / 'db' / f'{database}.{backend}.stamp').unlink(
        missing_ok=True)
    if backend == 'sqlite':
        shutil.rmtree(launch.VAR / 'db' / database, ignore_errors=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Server:
    """A trytond web process of a test on a free port of 127.0.0.1 (the
    session cookie is Secure: browsers accept it over HTTP only there)"""

    def __init__(self, backend, database, name, port=None, **config):
        self.backend = backend
        self.database = database
        self.port = port or free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        options = {
            'database': {'uri': _uri(backend)},
            'web': {'listen': f'127.0.0.1:{self.port}'},
            'delivery_crm': {'public_url': self.url},
            }
        for section, values in config.items():
            options.setdefault(section, {}).update(values)
        self.conf = launch.write_config(name, **options)
        self.log_name = f'{name}-server.log'
        self.log_path = launch.LOG / self.log_name
        self.log_start = 0
        self.process = None

    def start(self):
        if launch.port_in_use(self.port):
            raise launch.LaunchError(
                f"Port {self.port} is already in use: stop the program "
                "using it.")
        self.log_start = self.log_size()
        self.process = launch.start(
            [launch.BIN / 'trytond', '-c', self.conf, '-d', self.database],
            self.log_name)
        try:
            launch.wait_for_port(
                self.port, self.process, what=f"the test server {self.url}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.process is not None:
            launch.stop([self.process])
            self.process = None

    def log_size(self):
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since_start(self, until=None):
        "What this server wrote to its log (up to the offset until)"
        if not self.log_path.exists():
            return ''
        with self.log_path.open('rb') as log:
            log.seek(self.log_start)
            data = log.read((until - self.log_start) if until else -1)
        return data.decode('utf-8', errors='replace')

    def log_tail(self, lines=40):
        return '\n'.join(self.log_since_start().splitlines()[-lines:])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def rpc_decimal(value):
    "A Decimal as JSON-RPC sends it"
    return {'__class__': 'Decimal', 'decimal': str(value)}


class Users:
    "One JSON-RPC session per demo login on database, opened when needed"

    def __init__(self, url, database):
        self.url = url
        self.database = database
        self.sessions = {}

    def __getitem__(self, login):
        from demo_data import password
        from tests.jsonrpc import Session
        if login not in self.sessions:
            secret = (launch.ADMIN_PASSWORD if login == 'admin'
                else password(login))
            self.sessions[login] = Session(
                self.url, self.database, login, secret)
        return self.sessions[login]
