#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Run every test suite of the Delivery CRM and print one line per suite.

    python tests/run.py [SUITE ...]

Suites: modules-sqlite, modules-postgresql (the four modules' unit tests,
ModuleTestCase and scenarios, plus the cross-module scenarios of tests/),
demo-data, production (PostgreSQL, two web processes, worker and cron), and
browser (Playwright driving Debian's Chromium). The output of each suite is
shown as it runs and kept in var/log/test-<suite>.log. Exits non-zero when any
test fails or a suite cannot run.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
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


def unittest_names():
    names = []
    for module in MODULES:
        folder = ROOT / 'addons' / module / 'tests'
        for path in sorted(folder.glob('test_*.py')):
            names.append(f'trytond.modules.{module}.tests.{path.stem}')
    names += [f'tests.{p.stem}' for p in sorted(
            (ROOT / 'tests').glob('test_scenario*.py'))]
    return names


def module_suite(backend, cache):
    env = {'DB_CACHE': str(cache / backend)}
    if backend == 'sqlite':
        env.update(TRYTOND_DATABASE_URI='sqlite://', DB_NAME=':memory:')
    else:
        env.update(TRYTOND_DATABASE_URI=PG_URI, DB_NAME='test_delivery')
    return [PY, '-m', 'unittest', *unittest_names()], env


def pytest_suite(*paths):
    return [PY, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
        *map(str, paths)], {}


def suites(cache):
    return {
        'modules-sqlite': module_suite('sqlite', cache),
        'modules-postgresql': module_suite('postgresql', cache),
        'demo-data': pytest_suite('tests/test_demo_data.py'),
        'launch': pytest_suite('tests/test_launch.py'),
        'production': pytest_suite('tests/test_production_layout.py'),
        'browser': pytest_suite('tests/browser'),
        }


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


def run(name, command, env, timeout=1800):
    LOG.mkdir(parents=True, exist_ok=True)
    log_path = LOG / f'test-{name}.log'
    print(f"\n=== {name}: {' '.join(command[2:4])} ...", flush=True)
    start = time.monotonic()
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', **env)
    full_env['PYTHONPATH'] = os.pathsep.join(
        [str(ROOT)] + [p for p in [os.environ.get('PYTHONPATH')] if p])
    output = []
    with log_path.open('w') as log:
        process = subprocess.Popen(command, cwd=ROOT, env=full_env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
                output.append(line)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
    text = ''.join(output)
    counts = (parse_unittest(text) if command[2] == 'unittest'
        else parse_pytest(text))
    if counts is None:
        counts = (0, 1, 0)  # the suite could not run: count it as a failure
    elif process.returncode and not counts[1]:
        counts = (counts[0], 1, counts[2])
    return counts, time.monotonic() - start


def main(argv):
    with tempfile.TemporaryDirectory(prefix='delivery-test-') as tmp:
        cache = Path(tmp)
        available = suites(cache)
        names = argv or list(available)
        unknown = set(names) - set(available)
        if unknown:
            print(f"Unknown suite(s) {', '.join(sorted(unknown))}: choose "
                f"among {', '.join(available)}.", file=sys.stderr)
            return 2
        results = {}
        for name in names:
            command, env = available[name]
            results[name] = run(name, command, env)
        shutil.rmtree(cache, ignore_errors=True)
    print("\n=== summary")
    totals = [0, 0, 0]
    for name, ((passed, failed, skipped), seconds) in results.items():
        totals = [t + c for t, c in zip(totals, (passed, failed, skipped))]
        print(f"{name}: {passed} passed, {failed} failed, {skipped} skipped"
            f" ({seconds:.0f} s)")
    print(f"total: {totals[0]} passed, {totals[1]} failed, "
        f"{totals[2]} skipped")
    return 1 if totals[1] else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
