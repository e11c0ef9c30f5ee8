#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Run every test suite of the Delivery CRM in two lanes and print one line
per suite, its wall time and its slowest tests.

    python tests/run.py [SUITE ...]

Suites (lane):
  modules-sqlite (sqlite)        the four modules' unit tests, ModuleTestCase
                                 and scenarios, the cross-module scenarios of
                                 tests/, the tests that need no database and
                                 the HTTP tests (tracking page, courier app,
                                 map: they serve SQLite databases of their own)
  modules-postgresql (postgresql) ModuleTestCase and the scenarios on
                                 PostgreSQL
  demo-data-sqlite, demo-data-postgresql  the demo-data generator
  security-sqlite, security-postgresql    attacks with the demo logins
  launch (postgresql)            starting and stopping the demo (on SQLite;
                                 the lane has the time)
  production (postgresql)        two web processes, worker and cron
  sms (postgresql)               SMS through a real Kannel, replies, consent
  browser (sqlite)               Playwright driving Debian's Chromium

The two lanes run side by side (2 cores), each suite of a lane after the
other. The output of each suite goes to var/log/test-<suite>.log; its
result line, wall time and slowest tests are printed when it ends, with the
end of its log when it fails. A suite that runs longer than its timeout is
killed with its processes. A suite that skips tests fails unless each skip
is in ALLOWED_SKIPS with its reason. Exits non-zero when a test fails or a
suite cannot run.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / 'var' / 'log'
PY = sys.executable
MODULES = [
    'delivery_crm', 'delivery_courier_routes', 'delivery_sms',
    'delivery_payroll']
PG_URI = os.environ.get(
    'DELIVERY_PG_URI', 'postgresql://postgres@127.0.0.1:5432/')
# make test on a fresh clone of this 2-core machine
BUDGET = 25 * 60
# the tests of the modules that use no database of the unit tests: the
# same on every backend, run with SQLite only
NO_DATABASE = {
    'test_amount_words', 'test_tariff', 'test_report', 'test_solver',
    'test_track', 'test_app', 'test_map', 'test_sao_custom',
    'test_geocoder', 'test_kannel'}
# skips that are not failures: (pattern of the skipped test or reason, why)
ALLOWED_SKIPS = [
    (r'shared data', "the shared data set (../shared/data) is not here"),
    ]
DURATIONS = 15


def unittest_names(backend):
    names = []
    for module in MODULES:
        folder = ROOT / 'addons' / module / 'tests'
        for path in sorted(folder.glob('test_*.py')):
            if backend != 'sqlite' and path.stem in NO_DATABASE:
                continue
            names.append(f'trytond.modules.{module}.tests.{path.stem}')
    names += [f'tests.{p.stem}' for p in sorted(
            (ROOT / 'tests').glob('test_scenario*.py'))]
    return names


class Suite:

    def __init__(self, name, lane, command, env=None, timeout=1800,
            cleanup=None):
        self.name = name
        self.lane = lane
        self.command = command
        self.env = env or {}
        self.timeout = timeout
        # called before and after the suite
        self.cleanup = cleanup
        self.result = None  # (passed, failed, skipped)
        self.seconds = 0
        self.note = ''

    @property
    def kind(self):
        return 'unittest' if 'unittest_timed.py' in ' '.join(
            self.command) else 'pytest'


def drop_pg_test_caches():
    """trytond's test databases kept as templates ("test-<hash>" of the
    modules and set-ups, not of their sources): none may outlive a run"""
    import psycopg
    with psycopg.connect(PG_URI + 'postgres', autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
                "SELECT datname FROM pg_database "
                "WHERE datname LIKE 'test-%' OR datname = 'test_delivery'")]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def module_suite(backend, cache, timeout):
    if backend == 'sqlite':
        env = {'DB_CACHE': str(cache / backend),
            'TRYTOND_DATABASE_URI': 'sqlite://', 'DB_NAME': ':memory:'}
        cleanup = None
    else:
        # activated databases cached as templates of PostgreSQL: a copy in
        # a second instead of a pg_restore
        env = {'DB_CACHE': 'postgresql://',
            'TRYTOND_DATABASE_URI': PG_URI, 'DB_NAME': 'test_delivery'}
        cleanup = drop_pg_test_caches
    return Suite(f'modules-{backend}', backend,
        [PY, str(ROOT / 'tests' / 'unittest_timed.py'),
            '--durations', str(DURATIONS), *unittest_names(backend)],
        env, timeout, cleanup)


def pytest_suite(name, lane, paths, select=None, timeout=1800):
    command = [PY, '-m', 'pytest', '-q', '-rs', '-p', 'no:cacheprovider',
        f'--durations={DURATIONS}', *map(str, paths)]
    if select:
        command += ['-k', select]
    return Suite(name, lane, command, timeout=timeout)


def suites(cache):
    listed = [
        module_suite('sqlite', cache, 1500),
        module_suite('postgresql', cache, 1800),
        pytest_suite('demo-data-sqlite', 'sqlite',
            ['tests/test_demo_data.py'], 'sqlite', 900),
        pytest_suite('demo-data-postgresql', 'postgresql',
            ['tests/test_demo_data.py'], 'postgresql', 900),
        pytest_suite('security-sqlite', 'sqlite',
            ['tests/test_security.py'], 'sqlite', 900),
        pytest_suite('security-postgresql', 'postgresql',
            ['tests/test_security.py'], 'postgresql', 900),
        # SQLite, but the PostgreSQL lane has the time
        pytest_suite('launch', 'postgresql', ['tests/test_launch.py'],
            timeout=900),
        pytest_suite('production', 'postgresql',
            ['tests/test_production_layout.py'], timeout=900),
        pytest_suite('sms', 'postgresql', ['tests/test_sms.py'],
            timeout=600),
        pytest_suite('browser', 'sqlite', ['tests/browser'], timeout=1500),
        ]
    return {s.name: s for s in listed}


def parse_unittest(output):
    ran = re.findall(r'^Ran (\d+) tests? in', output, re.M)
    if not ran:
        return None
    total = int(ran[-1])
    counts = {k: 0 for k in ('failures', 'errors', 'skipped')}
    status = re.findall(r'^(OK|FAILED)(?: \((.*)\))?$', output, re.M)
    if not status:
        return None
    for key, value in re.findall(r'(\w+)=(\d+)', status[-1][1] or ''):
        if key in counts:
            counts[key] = int(value)
    failed = counts['failures'] + counts['errors']
    if status[-1][0] == 'FAILED' and not failed:
        failed = 1
    return total - failed - counts['skipped'], failed, counts['skipped']


def parse_pytest(output):
    lines = [l for l in output.splitlines()
        if re.search(r'\d+ (passed|failed|error|skipped)', l)
        or 'no tests ran' in l]
    if not lines:
        return None
    last = lines[-1]

    def count(word):
        found = re.search(rf'(\d+) {word}', last)
        return int(found.group(1)) if found else 0
    return (count('passed'), count('failed') + count('error'),
        count('skipped'))


def skips(output):
    "The skips a suite reports: unittest_timed.py and pytest -rs print them"
    return re.findall(r'^SKIPPED (.*)$', output, re.M)


def unexplained(reports):
    return [r for r in reports
        if not any(re.search(p, r) for p, _ in ALLOWED_SKIPS)]


def slowest(output, kind):
    "The section of the slowest tests in the output of a suite"
    marker = ('=== slowest' if kind == 'unittest' else 'slowest ')
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if marker in line:
            section = []
            for following in lines[index + 1:index + 1 + DURATIONS]:
                if not following.strip() or following.startswith('='):
                    break
                section.append(following)
            return section
    return []


print_lock = threading.Lock()


def say(*lines):
    with print_lock:
        for line in lines:
            print(line)
        sys.stdout.flush()


def run(suite):
    LOG.mkdir(parents=True, exist_ok=True)
    log_path = LOG / f'test-{suite.name}.log'
    say(f"=== {suite.name} ({suite.lane} lane) started")
    if suite.cleanup:
        suite.cleanup()
    env = dict(os.environ, PYTHONUNBUFFERED='1', **suite.env)
    env['PYTHONPATH'] = os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get('PYTHONPATH')] if p])
    start = time.monotonic()
    with log_path.open('w') as log:
        # its own process group: a timeout kills whatever the suite started
        process = subprocess.Popen(suite.command, cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            process.wait(suite.timeout)
        except subprocess.TimeoutExpired:
            suite.note = f"killed after its timeout of {suite.timeout} s"
            for signum in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(process.pid, signum)
                except ProcessLookupError:
                    break
                try:
                    process.wait(15)
                    break
                except subprocess.TimeoutExpired:
                    pass
    if suite.cleanup:
        suite.cleanup()
    suite.seconds = time.monotonic() - start
    output = log_path.read_text(errors='replace')
    counts = (parse_unittest(output) if suite.kind == 'unittest'
        else parse_pytest(output))
    if counts is None:
        counts = (0, 1, 0)  # the suite could not run: count it as a failure
        suite.note = suite.note or "it did not run to its end"
    elif process.returncode and not counts[1]:
        counts = (counts[0], 1, counts[2])
        suite.note = suite.note or f"exit status {process.returncode}"
    reports = skips(output)
    if counts[2] and (len(reports) < counts[2] or unexplained(reports)):
        counts = (counts[0], counts[1] + 1, counts[2])
        suite.note = "skipped tests without an allowed reason: " + '; '.join(
            unexplained(reports) or ["(no reason printed)"])
    suite.result = counts
    passed, failed, skipped = counts
    lines = [f"=== {suite.name}: {passed} passed, {failed} failed, "
        f"{skipped} skipped in {suite.seconds:.0f} s"
        + (f" ({suite.note})" if suite.note else '')]
    lines += [f"    {l.strip()}" for l in slowest(output, suite.kind)]
    if failed:
        lines.append(f"--- end of var/log/test-{suite.name}.log:")
        lines += output.splitlines()[-150:]
    say(*lines)


def lane(suites_of_lane):
    for suite in suites_of_lane:
        run(suite)


def main(argv):
    started = time.monotonic()
    # make test passes when it started, before it installed what it needs
    if os.environ.get('MAKE_TEST_STARTED', '').isdigit():
        started -= max(0, time.time() - int(os.environ['MAKE_TEST_STARTED']))
    with tempfile.TemporaryDirectory(prefix='delivery-test-') as tmp:
        cache = Path(tmp)
        available = suites(cache)
        names = argv or list(available)
        unknown = set(names) - set(available)
        if unknown:
            print(f"Unknown suite(s) {', '.join(sorted(unknown))}: choose "
                f"among {', '.join(available)}.", file=sys.stderr)
            return 2
        chosen = [available[n] for n in names]
        lanes = {}
        for suite in chosen:
            lanes.setdefault(suite.lane, []).append(suite)
        threads = [threading.Thread(target=lane, args=(s,), name=name)
            for name, s in lanes.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        shutil.rmtree(cache, ignore_errors=True)
    total = time.monotonic() - started
    print("\n=== summary")
    totals = [0, 0, 0]
    for suite in chosen:
        passed, failed, skipped = suite.result
        totals = [t + c for t, c in zip(totals, suite.result)]
        print(f"{suite.name}: {passed} passed, {failed} failed, "
            f"{skipped} skipped ({suite.seconds:.0f} s)"
            + (f" - {suite.note}" if suite.note else ''))
    for name, suites_of_lane in lanes.items():
        print(f"{name} lane: {sum(s.seconds for s in suites_of_lane):.0f} s")
    print(f"total: {totals[0]} passed, {totals[1]} failed, "
        f"{totals[2]} skipped in {total / 60:.1f} min "
        f"({'within' if total <= BUDGET else 'OVER'} the budget of "
        f"{BUDGET // 60} min for make test)")
    return 1 if totals[1] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
