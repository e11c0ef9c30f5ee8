# This file is part of the Delivery CRM for Tryton.
"""The production layout: PostgreSQL, two trytond web processes, one
trytond-worker and one trytond-cron on the same database, exercised over
JSON-RPC as the web client does."""
import datetime as dt
import json
import time

import pytest

import launch
from tests import harness
from tests.jsonrpc import RPCError, Session

DATABASE = 'test_production'
PORTS = (8100, 8101)


@pytest.fixture(scope='module')
def layout():
    # a copy of the demo database the tests build once per run
    harness.clone('postgresql', DATABASE)
    processes, _ = launch.production_layout(
        DATABASE, PORTS, log_prefix='test-prod')
    yield [f'http://127.0.0.1:{port}' for port in PORTS], processes
    launch.stop(processes)
    harness.drop('postgresql', DATABASE)


def login(url, user):
    from demo_data import password
    secret = launch.ADMIN_PASSWORD if user == 'admin' else password(user)
    return Session(url, DATABASE, user, secret)


def wait_until(predicate, timeout, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_all_processes_run(layout):
    _, processes = layout
    assert len(processes) == 4
    assert all(p.poll() is None for p in processes)


def test_roles_share_one_database_across_web_processes(layout):
    (web1, web2), _ = layout
    dispatcher = login(web1, 'dispatcher')
    courier = login(web2, 'courier')

    customers = dispatcher.model('party.party', 'search_read',
        [], 0, 80, [('id', 'ASC')], ['name', 'code'])
    assert len(customers) == 80

    own = courier.model('company.employee', 'search_read',
        [], 0, None, None, ['party.name', 'capacity_weight'])
    assert len(own) == 1, "a courier sees his own record only"
    courier_id = own[0]['id']

    # the dispatcher changes the courier's capacity on one process ...
    dispatcher.model('company.employee', 'write',
        [courier_id], {'capacity_weight': 42.5})
    # ... and the courier reads it on the other
    again, = courier.model('company.employee', 'read',
        [courier_id], ['capacity_weight'])
    assert again['capacity_weight'] == 42.5

    with pytest.raises(RPCError):
        courier.model('company.employee', 'write',
            [courier_id], {'capacity_weight': 1000})
    with pytest.raises(RPCError):
        dispatcher.model('delivery.hub', 'create',
            [{'name': "Rustavi", 'code': 'RUS', 'city': "Rustavi"}])


def test_worker_runs_queued_tasks(layout):
    import psycopg
    (web1, web2), _ = layout
    admin = login(web2, 'admin')
    user, = admin.model('res.user', 'search', [('login', '=', 'manager')],
        0, 1, None)
    signature = f"queued at {dt.datetime.now().isoformat()}"
    # push a task exactly as ir.queue.push does: a row and a notification
    data = {
        'model': 'res.user', 'method': 'write', 'instances': [user],
        'args': [{'signature': signature}], 'kwargs': {},
        'user': 0, 'context': {},
        }
    with psycopg.connect(launch.PG_URI + DATABASE, autocommit=True) as conn:
        conn.execute(
            'INSERT INTO ir_queue (name, data, enqueued_at, create_uid, '
            'create_date) VALUES (%s, %s, now(), 0, now())',
            ('default', json.dumps(data)))
        conn.execute("SELECT pg_notify('ir.queue', '')")

    def done():
        read, = admin.model('res.user', 'read', [user], ['signature'])
        return read['signature'] == signature
    assert wait_until(done, 30), "the worker did not run the task"


def test_cron_runs_due_jobs(layout):
    (web1, _), _ = layout
    admin = login(web1, 'admin')
    job, = admin.model('ir.cron', 'search',
        [('method', '=', 'ir.queue|clean')], 0, 1, None)
    past = {'__class__': 'datetime', 'year': 2020, 'month': 1, 'day': 1,
        'hour': 0, 'minute': 0, 'second': 0, 'microsecond': 0}
    admin.model('ir.cron', 'write', [job], {'next_call': past})

    def ran():
        read, = admin.model('ir.cron', 'read', [job], ['next_call'])
        return read['next_call'] and read['next_call']['year'] > 2020
    # trytond-cron wakes up at the start of every minute
    assert wait_until(ran, 90, step=2), "trytond-cron did not run the job"


def test_two_people_close_the_same_task_at_once(layout):
    """Two sessions of the task's employee, on the two web processes, log a
    contact for the same task at the same moment: one wins, the other is
    told the task is closed; one contact, no half-written state."""
    import threading
    (web1, web2), _ = layout
    admin = login(web1, 'admin')
    manager_employee, = admin.model('res.user', 'search_read',
        [('login', '=', 'manager2')], 0, 1, None, ['employee'])
    # a task of our own for tomorrow: trytond-cron may check today's list
    # (it is past 21:00 in Tbilisi) while the test runs
    today = admin.call('model.ir.date.today', admin.context)
    tomorrow = dt.date(today['year'], today['month'], today['day']) \
        + dt.timedelta(days=1)
    task = admin.contact_task(
        manager_employee['employee'], tomorrow, "Concurrent Customer")
    sessions = [login(web1, 'manager2'), login(web2, 'manager2')]
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def log_contact(index):
        session = sessions[index]
        context = dict(session.context, active_id=task, active_ids=[task],
            active_model='delivery.contact.task')
        name = 'wizard.delivery.contact.task.log'
        wizard_id, start, _ = session.call(f'{name}.create', context)
        session.call(f'{name}.execute', wizard_id, {}, start, context)
        barrier.wait()
        try:
            session.call(f'{name}.execute', wizard_id, {start: {
                        'channel': 'call', 'result': 'reached',
                        'note': f'session {index}'}}, 'log', context)
            outcomes[index] = 'logged'
        except RPCError as exc:
            outcomes[index] = str(exc)

    threads = [threading.Thread(target=log_contact, args=(i,))
        for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(o == 'logged' for o in outcomes) == [False, True], outcomes
    refused, = [o for o in outcomes if o != 'logged']
    assert 'already closed' in refused, refused
    contacts = admin.model('delivery.contact', 'search',
        [('task', '=', task)], 0, None, None)
    assert len(contacts) == 1
    state, = admin.model('delivery.contact.task', 'read', [task], ['state'])
    assert state['state'] == 'done'


def rpc_date(day):
    return {'__class__': 'date', 'year': day.year, 'month': day.month,
        'day': day.day}


def rpc_datetime(moment):
    return {'__class__': 'datetime', 'year': moment.year,
        'month': moment.month, 'day': moment.day, 'hour': moment.hour,
        'minute': moment.minute, 'second': 0, 'microsecond': 0}


def test_planning_runs_in_the_worker(layout):
    """A dispatcher queues the planning of a day: the call returns at once,
    trytond-worker optimises while the other web process shows its
    progress, a second dispatcher cannot plan the same day and depot
    meanwhile, and the plan ends done with its trips"""
    (web1, web2), _ = layout
    dispatcher = login(web1, 'dispatcher')
    other = login(web2, 'dispatcher2')
    depot, = dispatcher.model('delivery.hub', 'search',
        [('code', '=', 'DID')], 0, 1, None)
    customers = dispatcher.model('party.party', 'search',
        [('delivery_customer', '=', True)], 0, 12, None)
    today = dispatcher.call('model.ir.date.today', dispatcher.context)
    day = dt.date(today['year'], today['month'], today['day']) \
        + dt.timedelta(days=9)
    # Tbilisi is UTC+4: windows of 10:00-14:00 local time
    start = dt.datetime.combine(day, dt.time(6, 0))
    orders = dispatcher.model('delivery.order', 'create', [{
                'customer': customer,
                'sender_name': "Sender", 'recipient_name': f"Recipient {i}",
                'recipient_phone': '+995555123456',
                'pickup_city': "Tbilisi", 'delivery_city': "Tbilisi",
                'pickup_latitude': 41.7479, 'pickup_longitude': 44.7806,
                'delivery_latitude': round(41.69 + 0.01 * (i % 6), 4),
                'delivery_longitude': round(44.74 + 0.012 * (i // 6 % 6), 4),
                'delivery_start': rpc_datetime(start),
                'delivery_end': rpc_datetime(start + dt.timedelta(hours=4)),
                'weight': 2.0,
                } for i, customer in enumerate(customers * 2)])
    dispatcher.model('delivery.order', 'confirm', orders)

    def plan(session):
        plan_id, = session.model('delivery.trip.plan', 'create', [{
                    'date': rpc_date(day), 'time_limit': 6,
                    'depots': [('add', [depot])],
                    }])
        return plan_id
    first = plan(dispatcher)
    started = time.monotonic()
    dispatcher.model('delivery.trip.plan', 'run', [first])
    assert time.monotonic() - started < 5, "the planning blocked the client"

    second = plan(other)
    with pytest.raises(RPCError) as refused:
        other.model('delivery.trip.plan', 'run', [second])
    # told in his language (Georgian) who plans that day and depot
    assert 'UserError' in str(refused.value), refused.value
    assert 'Giorgi Kapanadze' in str(refused.value), refused.value

    seen = []

    def done():
        read, = other.model('delivery.trip.plan', 'read', [first],
            ['state', 'progress', 'message'])
        seen.append((read['state'], read['progress']))
        assert read['state'] != 'failed', read['message']
        return read['state'] == 'done'
    assert wait_until(done, 120, step=0.3), seen[-5:]
    assert any(state == 'running' and 0 < progress < 1
        for state, progress in seen), seen
    trips = dispatcher.model('delivery.trip.plan', 'read', [first],
        ['trips'])[0]['trips']
    assert trips
    stops = dispatcher.model('delivery.trip.stop', 'search_read',
        [('trip', 'in', trips), ('kind', '=', 'delivery')], 0, None, None,
        ['order', 'planned_arrival'])
    assert sorted(s['order'] for s in stops) == sorted(orders)
    assert all(s['planned_arrival'] for s in stops)

    # once done, the second dispatcher may plan again (replacing the trips)
    other.model('delivery.trip.plan', 'run', [second])
