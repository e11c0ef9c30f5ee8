# This file is part of the Delivery CRM for Tryton.
"""What a user meets when starting the demo goes wrong: one sentence saying
what to do, never a traceback; and a database built by other module versions
is updated."""
import os
import socket
import subprocess
import sys

import launch

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
    database = 'test_launch'
    conf = launch.write_config('test-launch', database={'uri': 'sqlite://'})
    launch.drop_database(database, 'sqlite')
    messages = []
    try:
        launch.prepare_database(conf, database, 'sqlite', 20, messages.append)
        assert "Creating" in messages[-1]
        launch.prepare_database(conf, database, 'sqlite', 20, messages.append)
        assert "Reusing" in messages[-1]
        # the modules change: the stamp of the database no longer matches
        stamp = launch.VAR / 'db' / f'{database}.sqlite.stamp'
        stamp.write_text('built by delivery modules 7.x')
        launch.prepare_database(conf, database, 'sqlite', 20, messages.append)
        assert "another version of the modules: updating" in messages[-1]
        assert stamp.read_text() == launch.modules_stamp()
    finally:
        launch.drop_database(database, 'sqlite')
