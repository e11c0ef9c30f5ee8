# This file is part of the Delivery CRM for Tryton.
"""What the HTTP tests of the delivery modules share (the tracking page, the
courier app, the map of a trip): a SQLite database with the modules
activated by trytond-admin, built once per test run and copied for each
test, a free port, the tail of a log.

The activated database is kept in the folder of DB_CACHE (as trytond's own
test cache) or, without it, in a folder of the process; its name carries a
hash of the modules' sources, so a change of the modules builds it again.
"""
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import trytond.modules.delivery_crm as delivery_crm

BIN = Path(sys.executable).parent
ADDONS = Path(delivery_crm.__file__).resolve().parent.parent
ADMIN_PASSWORD = 'admin'
_PROCESS_CACHE = None


def sources_stamp():
    "A hash of the sources of the delivery modules beside delivery_crm"
    digest = hashlib.sha256()
    for folder in sorted(ADDONS.glob('delivery_*')):
        for path in sorted(folder.rglob('*')):
            if (path.suffix in {'.py', '.xml', '.cfg', '.po'}
                    and 'tests' not in path.parts and path.is_file()):
                digest.update(str(path.relative_to(ADDONS)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder():
    global _PROCESS_CACHE
    folder = os.environ.get('DB_CACHE')
    if folder and '://' not in folder:
        folder = Path(folder) / 'http'
    else:
        if _PROCESS_CACHE is None:
            _PROCESS_CACHE = tempfile.TemporaryDirectory(
                prefix='delivery-http-cache-')
        folder = Path(_PROCESS_CACHE.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def clean_env(**extra):
    "The environment of the servers: none of the unit tests' settings"
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND') and k not in {'DB_NAME', 'DB_CACHE'}}
    env.update(extra)
    return env


def activated_database(directory, database, module, languages=('ka',)):
    """Make directory/database.sqlite a database where module is activated
    with its dependencies and languages, the admin's password being
    ADMIN_PASSWORD; return the environment to run trytond on it (with
    TRYTONPASSFILE)"""
    directory = Path(directory)
    passfile = directory / 'admin.pass'
    passfile.write_text(ADMIN_PASSWORD)
    env = clean_env(TRYTONPASSFILE=str(passfile))
    key = '-'.join([module, *languages, sources_stamp()])
    cached = cache_folder() / f'{key}.sqlite'
    if not cached.exists():
        build = Path(tempfile.mkdtemp(prefix='build-', dir=cache_folder()))
        try:
            conf = build / 'trytond.conf'
            conf.write_text(
                "[database]\nuri = sqlite://\n"
                f"path = {build}\nlanguage = en\n")
            (build / 'build.sqlite').touch()
            log_path = build / 'admin.log'
            languages_args = ['-l', *languages] if languages else []
            with log_path.open('w') as log:
                admin = subprocess.run([
                        str(BIN / 'trytond-admin'), '-c', str(conf),
                        '-d', 'build', '--all', '-u', module,
                        '--activate-dependencies', *languages_args,
                        '--email', 'admin@example.com'],
                    env=env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, timeout=1200)
            if admin.returncode:
                raise AssertionError(
                    f"trytond-admin could not activate {module}:\n"
                    + tail(log_path))
            import sqlite3
            with sqlite3.connect(build / 'build.sqlite') as connection:
                connection.execute('PRAGMA wal_checkpoint(TRUNCATE)')
            os.replace(build / 'build.sqlite', cached)
        finally:
            shutil.rmtree(build, ignore_errors=True)
    shutil.copyfile(cached, directory / f'{database}.sqlite')
    return env


def free_port(preferred=None, taken=()):
    "preferred when it is free, else a port the system gives"
    if preferred and preferred not in taken:
        with socket.socket() as sock:
            if sock.connect_ex(('127.0.0.1', preferred)) != 0:
                return preferred
    while True:
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        if port not in taken:
            return port


def tail(path, lines=30):
    try:
        return '\n'.join(Path(path).read_text(errors='replace')
            .splitlines()[-lines:])
    except OSError:
        return ''
