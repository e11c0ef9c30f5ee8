# This file is part of the Delivery CRM for Tryton.
"""What a user meets when starting the demo goes wrong: one sentence saying
what to do, never a traceback; and a database built by other module versions
is updated."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

import launch
from tests import harness

LAUNCH = str(launch.ROOT / 'tools' / 'launch.py')


def run_launch(*args, env=None):
    return subprocess.run([sys.executable, LAUNCH, *args],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, **(env or {})))


def assert_one_sentence(result, *words):
    assert result.returncode == 1
    message = result.stderr.strip()
    assert 'Traceback' not in result.stderr + result.stdout
    assert len(message.splitlines()) == 1, message
    for word in words:
        assert word in message, message


def test_port_in_use():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run_launch('demo', '--port', str(port))
    assert_one_sentence(result, f"Port {port} is already in use",
        f"make demo PORT={port + 1}")


def test_postgresql_not_answering():
    result = run_launch('serve-postgresql', '--database', 'test_nowhere',
        env={'DELIVERY_PG_URI': 'postgresql://postgres@127.0.0.1:9/'})
    assert_one_sentence(result, "PostgreSQL does not answer", "start it")


def test_database_of_older_modules_is_updated(tmp_path):
    """A database is created when missing (the demo database of the tests
    is built so, tests/harness.py), reused when its stamp matches the
    modules, updated when it does not"""
    database = 'test_launch'
    conf = launch.write_config('test-launch', database={'uri': 'sqlite://'})
    harness.clone('sqlite', database)
    messages = []
    try:
        launch.prepare_database(
            conf, database, 'sqlite', harness.CUSTOMERS, messages.append)
        assert "Reusing" in messages[-1]
        # the modules change: the stamp of the database no longer matches
        stamp = launch.VAR / 'db' / f'{database}.sqlite.stamp'
        stamp.write_text('built by delivery modules 7.x')
        launch.prepare_database(
            conf, database, 'sqlite', harness.CUSTOMERS, messages.append)
        assert "another version of the modules: updating" in messages[-1]
        assert stamp.read_text() == launch.modules_stamp()
    finally:
        harness.drop('sqlite', database)


CHILD = '''
import subprocess, sys, time
child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
print(child.pid, flush=True)
time.sleep(600)
'''


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f'/proc/{pid}/stat') as stat:
        return stat.read().split()[2] != 'Z'


def test_stop_ends_the_children_too(tmp_path):
    """trytond-worker and trytond-cron run jobs in child processes: stopping
    one of the launcher's processes stops what it started"""
    log = launch.LOG / 'test-launch-child.log'
    log.unlink(missing_ok=True)
    process = launch.start([sys.executable, '-c', CHILD], log.name)
    deadline = time.monotonic() + 30
    child = None
    while time.monotonic() < deadline and child is None:
        lines = log.read_text().split()
        child = int(lines[-1]) if lines and lines[-1].isdigit() else None
        time.sleep(0.1)
    assert child and alive(child)
    launch.stop([process], timeout=5)
    assert process.poll() is not None
    deadline = time.monotonic() + 5
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "the child of a stopped process still runs"


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_interrupted_demo_frees_its_port(signum):
    """Ctrl+C on `make demo` (SIGINT to the launcher's process group) or a
    SIGTERM to the launcher stops the server: the port is free again"""
    database = 'test_launch_demo'
    harness.clone('sqlite', database)
    port = harness.free_port()
    launcher = subprocess.Popen([sys.executable, LAUNCH, 'demo', '--port',
            str(port), '--database', database,
            '--customers', str(harness.CUSTOMERS)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not launch.port_in_use(port):
            assert launcher.poll() is None, launcher.stdout.read()
            assert time.monotonic() < deadline, "the demo did not start"
            time.sleep(0.2)
        if signum == signal.SIGINT:
            os.killpg(launcher.pid, signum)
        else:
            launcher.send_signal(signum)
        launcher.wait(30)
        deadline = time.monotonic() + 15
        while launch.port_in_use(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not launch.port_in_use(port), "the server still serves"
        output = launcher.stdout.read()
        assert 'Traceback' not in output, output
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
        harness.drop('sqlite', database)
