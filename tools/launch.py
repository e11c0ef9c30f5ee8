#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Build and start the Delivery CRM: the demo on SQLite and the production
layout on PostgreSQL.

    python tools/launch.py demo [--port 8000] [--customers 2000]
    python tools/launch.py serve-postgresql [--database delivery]

Every failure a user can meet ends in one sentence saying what to do; the
details go to var/log/.
"""
import argparse
import configparser
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / 'var'
LOG = VAR / 'log'
BIN = Path(sys.executable).parent
MODULES = [
    'delivery_crm', 'delivery_courier_routes', 'delivery_sms',
    'delivery_payroll']
LANGUAGES = ['ka']
ADMIN_PASSWORD = 'Admin#2026'
PG_URI = os.environ.get(
    'DELIVERY_PG_URI', 'postgresql://postgres@127.0.0.1:5432/')

sys.path.insert(0, str(Path(__file__).resolve().parent))


class LaunchError(Exception):
    "A failure explained in one sentence"


def write_config(name, **overrides):
    """Write var/etc/<name>.conf: trytond.conf with absolute paths and
    the overrides ({section: {option: value}})"""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / 'trytond.conf')
    values = {
        'database': {'path': str(VAR / 'db')},
        'web': {'root': str(VAR / 'sao' / 'package')},
        # the map of a trip: Leaflet from npm, installed by `make leaflet`
        'delivery_courier_routes': {
            'leaflet_root': str(VAR / 'leaflet' / 'package' / 'dist')},
        }
    for section, options in overrides.items():
        values.setdefault(section, {}).update(options)
    for section, options in values.items():
        if not parser.has_section(section):
            parser.add_section(section)
        for option, value in options.items():
            parser.set(section, option, str(value))
    path = VAR / 'etc' / f'{name}.conf'
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open('w') as fp:
        fp.write(f"# Generated from trytond.conf by tools/launch.py ({name})\n")
        parser.write(fp)
    return path


def port_in_use(port, host='127.0.0.1'):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(port, process, timeout=60, what="the server"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LaunchError(
                f"{what} stopped while starting: read {process.log_path}.")
        if port_in_use(port):
            return
        time.sleep(0.2)
    raise LaunchError(
        f"{what} did not listen on port {port} within {timeout} s: "
        f"read {process.log_path}.")


def modules_stamp():
    "A hash of the modules' sources: it changes when an update is needed"
    digest = hashlib.sha256()
    for module in MODULES:
        folder = ROOT / 'addons' / module
        for path in sorted(folder.rglob('*')):
            if (path.suffix in {'.py', '.xml', '.cfg', '.po', '.svg'}
                    and 'tests' not in path.parts and path.is_file()):
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def run_logged(args, log_name, env=None, what=None):
    LOG.mkdir(parents=True, exist_ok=True)
    log_path = LOG / log_name
    with log_path.open('a') as log:
        log.write(f"\n$ {' '.join(map(str, args))}\n")
        log.flush()
        result = subprocess.run(
            list(map(str, args)), stdout=log, stderr=subprocess.STDOUT,
            env=env, cwd=ROOT)
    if result.returncode:
        raise LaunchError(
            f"{what or args[0]} failed: read {log_path} for the details.")


def admin_env():
    env = dict(os.environ)
    passfile = VAR / 'etc' / 'admin-password'
    passfile.parent.mkdir(parents=True, exist_ok=True)
    passfile.write_text(ADMIN_PASSWORD + '\n')
    env['TRYTONPASSFILE'] = str(passfile)
    return env


def database_exists(conf, database, backend):
    if backend == 'sqlite':
        return (VAR / 'db' / f'{database}.sqlite').exists()
    import psycopg
    try:
        with psycopg.connect(PG_URI + 'postgres', connect_timeout=5) as conn:
            return bool(conn.execute(
                    'SELECT 1 FROM pg_database WHERE datname = %s',
                    (database,)).fetchone())
    except psycopg.OperationalError:
        raise LaunchError(
            "PostgreSQL does not answer on 127.0.0.1:5432: start it "
            "(pg_ctlcluster <version> main start) or install it "
            "(apt-get install postgresql) and try again.")


def create_database(database, backend):
    if backend == 'sqlite':
        path = VAR / 'db' / f'{database}.sqlite'
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    else:
        import psycopg
        with psycopg.connect(PG_URI + 'postgres', autocommit=True) as conn:
            conn.execute(
                f'CREATE DATABASE "{database}" '
                "TEMPLATE template0 ENCODING 'UTF8'")
        # trigram indexes make searching customers by part of a name or
        # a phone fast
        with psycopg.connect(PG_URI + database, autocommit=True) as conn:
            conn.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')


def drop_database(database, backend):
    if backend == 'sqlite':
        # with the journal of the database (WAL): left behind, it would be
        # applied to the next database of that name
        for suffix in ['', '-wal', '-shm']:
            (VAR / 'db' / f'{database}.sqlite{suffix}').unlink(
                missing_ok=True)
    else:
        import psycopg
        with psycopg.connect(PG_URI + 'postgres', autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def prepare_database(conf, database, backend, customers, log=print):
    """Create, update and fill the database so that it matches the modules.

    A new database gets the modules and the demo data. An existing one is
    updated when the modules changed since it was built (the stamp differs)
    and completed with demo data (the generator is idempotent)."""
    stamp_path = VAR / 'db' / f'{database}.{backend}.stamp'
    stamp = modules_stamp()
    admin = [BIN / 'trytond-admin', '-c', conf, '-d', database]
    env = admin_env()
    if not database_exists(conf, database, backend):
        log(f"Creating the {backend} database {database!r} "
            "(about a minute)...")
        stamp_path.unlink(missing_ok=True)
        create_database(database, backend)
        try:
            run_logged(admin + ['--all', '--email', 'admin@example.com',
                    '-u', *MODULES, '--activate-dependencies',
                    '-l', *LANGUAGES],
                'admin.log', env=env, what="Activating the modules")
        except LaunchError:
            drop_database(database, backend)
            raise
    elif not stamp_path.exists() or stamp_path.read_text() != stamp:
        log(f"The database {database!r} was built by another version of "
            "the modules: updating it...")
        run_logged(admin + ['-u', *MODULES, '--activate-dependencies',
                '-l', *LANGUAGES],
            'admin.log', env=env, what="Updating the modules")
    else:
        log(f"Reusing the database {database!r}.")
    run_logged([sys.executable, ROOT / 'tools' / 'demo_data.py',
            '-c', conf, '-d', database, '--customers', customers],
        'demo-data.log', env=env, what="Loading the demo data")
    stamp_path.write_text(stamp)


class Process(subprocess.Popen):
    log_path = None


def start(args, log_name, env=None):
    LOG.mkdir(parents=True, exist_ok=True)
    log_path = LOG / log_name
    log = log_path.open('a')
    process = Process(
        list(map(str, args)), stdout=log, stderr=subprocess.STDOUT,
        env=env, cwd=ROOT, start_new_session=True)
    process.log_path = log_path
    return process


def _signal_group(process, signum):
    "Send signum to the process group of process (each runs in its own)"
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop(processes, timeout=10):
    """Stop the processes and everything they started: trytond-worker and
    trytond-cron run their jobs in child processes, which must not be left
    serving. Each process leads its own process group (start())."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes:
        # the leader may be gone while its children still run
        _signal_group(process, signal.SIGKILL)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            pass


def _stop_on_signals():
    """SIGTERM and SIGHUP (a closed terminal, a supervisor stopping us) end
    the launcher as Ctrl+C does, so that its servers are stopped too"""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def print_logins(url, database):
    from demo_data import USERS, password
    print(f"\nDelivery CRM is running at {url}/ (database {database!r}).")
    print("Log in with:")
    print(f"  {'admin':<12} {ADMIN_PASSWORD:<16} administrator")
    roles = {
        'group_delivery_head': "head of department",
        'group_contact_manager': "contact manager",
        'group_dispatcher': "dispatcher",
        'group_courier': "courier",
        }
    for login, name, groups, *_ in USERS:
        role = ', '.join(roles[g] for _, g in groups)
        print(f"  {login:<12} {password(login):<16} {role} ({name})")
    print("Press Ctrl+C to stop.", flush=True)


def check_sao():
    if not (VAR / 'sao' / 'package' / 'index.html').exists():
        raise LaunchError(
            "The web client is not installed: run `make demo` (it installs "
            "it with npm).")


def demo(args):
    check_sao()
    if port_in_use(args.port):
        raise LaunchError(
            f"Port {args.port} is already in use by another program: stop "
            f"it or run `make demo PORT={args.port + 1}`.")
    conf = write_config('demo', web={'listen': f'127.0.0.1:{args.port}'},
        delivery_crm={'public_url': f'http://127.0.0.1:{args.port}'})
    prepare_database(conf, args.database, 'sqlite', args.customers)
    server = start([BIN / 'trytond', '-c', conf, '-d', args.database],
        'demo-server.log')
    try:
        wait_for_port(args.port, server, what="The demo server")
        print_logins(f"http://127.0.0.1:{args.port}", args.database)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop([server])


def production_layout(database, ports=(8000, 8001), log_prefix='prod'):
    """Start two trytond web processes, a worker and a cron on PostgreSQL.

    Return (processes, config path)."""
    for port in ports:
        if port_in_use(port):
            raise LaunchError(
                f"Port {port} is already in use by another program: stop "
                "it or choose other ports with --ports.")
    confs = [write_config(f'{log_prefix}-web{i}',
            database={'uri': PG_URI}, queue={'worker': 'True'},
            web={'listen': f'127.0.0.1:{port}'},
            delivery_crm={'public_url': f'http://127.0.0.1:{ports[0]}'})
        for i, port in enumerate(ports, 1)]
    processes = []
    try:
        for i, (conf, port) in enumerate(zip(confs, ports), 1):
            processes.append(start([BIN / 'trytond', '-c', conf, '-d', database],
                    f'{log_prefix}-web{i}.log'))
        processes.append(start([BIN / 'trytond-worker', '-c', confs[0],
                    '-d', database, '-n', '1'], f'{log_prefix}-worker.log'))
        processes.append(start([BIN / 'trytond-cron', '-c', confs[0],
                    '-d', database], f'{log_prefix}-cron.log'))
        for process, port in zip(processes, ports):
            wait_for_port(port, process, what="A trytond web process")
    except BaseException:
        stop(processes)
        raise
    return processes, confs[0]


def serve_postgresql(args):
    check_sao()
    conf = write_config('prod-admin', database={'uri': PG_URI})
    prepare_database(conf, args.database, 'postgresql', args.customers)
    processes, _ = production_layout(args.database, args.ports)
    try:
        print("Production layout on PostgreSQL: trytond on ports "
            f"{', '.join(map(str, args.ports))}, one trytond-worker, "
            "one trytond-cron; logs in var/log/prod-*.log.")
        print_logins(f"http://127.0.0.1:{args.ports[0]}", args.database)
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        raise LaunchError(
            "A process of the layout stopped: read var/log/prod-*.log.")
    except KeyboardInterrupt:
        pass
    finally:
        stop(processes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)
    p = sub.add_parser('demo', help="the demo on SQLite")
    p.add_argument('--port', type=int, default=8000)
    p.add_argument('--database', default='demo')
    p.add_argument('--customers', type=int, default=2000)
    p.set_defaults(func=demo)
    p = sub.add_parser('serve-postgresql',
        help="two web processes, a worker and a cron on PostgreSQL")
    p.add_argument('--ports', type=int, nargs=2, default=(8000, 8001))
    p.add_argument('--database', default='delivery')
    p.add_argument('--customers', type=int, default=2000)
    p.set_defaults(func=serve_postgresql)
    args = parser.parse_args(argv)
    _stop_on_signals()
    try:
        args.func(args)
    except KeyboardInterrupt:
        return 130
    except LaunchError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
