# This file is part of the Delivery CRM for Tryton.
"""Attacks with the demo's own logins over JSON-RPC, on SQLite and on
PostgreSQL: each is refused with a message made for a user (never a Python
error), and nothing changed. The roles' access derived from the server is
the table of the README."""
import datetime as dt
import json
import re
import threading
import urllib.request
from decimal import Decimal

import pytest

from demo_data import password as demo_password
from tests import harness
from tests.jsonrpc import RPCError, Session, anonymous_call

decimal = harness.rpc_decimal
DATABASE = 'test_security'
OFFICE = ['head', 'manager', 'dispatcher']
ROLES = OFFICE + ['courier']
MARKER = 'SEC-TEST'


def rpc_datetime(value):
    return {'__class__': 'datetime', 'year': value.year,
        'month': value.month, 'day': value.day, 'hour': value.hour,
        'minute': value.minute, 'second': value.second,
        'microsecond': 0}


def rpc_date(value):
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


def as_datetime(value):
    "A datetime answered by the server (JSON-RPC object or ISO text)"
    if isinstance(value, dict):
        return dt.datetime(value['year'], value['month'], value['day'],
            value.get('hour', 0), value.get('minute', 0),
            value.get('second', 0))
    return dt.datetime.fromisoformat(value)


class Inbox:
    "An SMTP server on 127.0.0.1 that keeps what it receives"
    messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return '250 OK'


@pytest.fixture(scope='module')
def smtp():
    from aiosmtpd.controller import Controller
    controller = Controller(Inbox(), hostname='127.0.0.1',
        port=harness.free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture(scope='module', params=['sqlite', 'postgresql'])
def server(request, smtp):
    backend = request.param
    harness.clone(backend, DATABASE)
    server = harness.Server(backend, DATABASE, f'test-security-{backend}',
        email={'uri': f'smtp://127.0.0.1:{smtp.port}',
            'from': 'crm@example.com'})
    server.start()
    server.log_clean_until = None
    yield server
    server.stop()
    log = server.log_since_start(until=server.log_clean_until)
    harness.drop(backend, DATABASE)
    # no attack reached Python unhandled: trytond logs those with a traceback
    assert 'Traceback' not in log, log[-5000:]


@pytest.fixture(scope='module')
def users(server):
    return harness.Users(server.url, DATABASE)


def refused(call, *args):
    "The call fails with a message for a user; return the message"
    with pytest.raises(RPCError) as info:
        call(*args)
    assert info.value.is_user_error, (
        f"not a message for a user: {info.value.error!r}")
    return info.value.message


def search_or_refused(session, model, domain):
    "The ids a search finds, [] when the search is refused"
    try:
        return session.model(model, 'search', domain, 0, None, None)
    except RPCError as exc:
        assert exc.is_user_error, exc.error
        return []


def first(session, model, domain, fields=('id',)):
    rows = session.model(model, 'search_read', domain, 0, 1,
        [('id', 'ASC')], list(fields))
    assert rows, f"no {model} matches {domain}"
    return rows[0]


def employee_of(users, login):
    user, = users['admin'].model('res.user', 'search_read',
        [('login', '=', login)], 0, 1, None, ['employee', 'id'])
    return user['employee'], user['id']


def make_trip(users, login, cod=Decimal(0), stops=1):
    """A planned trip of today for the courier login, made by the
    dispatcher as in sao: orders confirmed, one delivery stop each"""
    dispatcher = users['dispatcher']
    admin = users['admin']
    employee, _ = employee_of(users, login)
    courier, = admin.model('company.employee', 'read', [employee],
        ['home_depot', 'company'])
    customer = first(dispatcher, 'party.party',
        [('delivery_customer', '=', True)])['id']
    now = dt.datetime.utcnow().replace(microsecond=0)
    orders = []
    for index in range(stops):
        order, = dispatcher.model('delivery.order', 'create', [{
                    'customer': customer,
                    'sender_name': f"{MARKER} sender",
                    'pickup_city': 'Tbilisi',
                    'pickup_latitude': 41.7095, 'pickup_longitude': 44.7571,
                    'recipient_name': f"{MARKER} recipient {index}",
                    'recipient_phone': '+995 555 12 34 56',
                    'delivery_city': 'Tbilisi',
                    'delivery_latitude': 41.72, 'delivery_longitude': 44.78,
                    'delivery_start': rpc_datetime(now + dt.timedelta(hours=1)),
                    'delivery_end': rpc_datetime(now + dt.timedelta(hours=5)),
                    'weight': 1.5,
                    'cod_amount': decimal(cod),
                    }])
        orders.append(order)
    dispatcher.model('delivery.order', 'confirm', orders)
    trip, = dispatcher.model('delivery.trip', 'create', [{
                'company': courier['company'],
                'date': rpc_date(dt.date.today()),
                'courier': employee,
                'depot': courier['home_depot'],
                'stops': [('create', [{
                                'order': order, 'kind': 'delivery',
                                'sequence': 10 * (i + 1)}
                            for i, order in enumerate(orders)])],
                }])
    dispatcher.model('delivery.trip', 'plan', [trip])
    stops = [s['id'] for s in dispatcher.model('delivery.trip.stop',
            'search_read', [('trip', '=', trip)], 0, None,
            [('sequence', 'ASC')], ['id'])]
    return {'trip': trip, 'orders': orders, 'stops': stops}


# 1. the account takeover -----------------------------------------------

def test_reset_password_cannot_be_read_nor_hash_guessed(server, users):
    admin = users['admin']
    admin_id = admin.uid
    # anybody may ask for a reset: the password goes to the user's e-mail
    sent = len(Inbox.messages)
    anonymous_call(server.url, DATABASE, 'common.db.reset_password',
        'admin', 'en')
    assert [m.rcpt_tos for m in Inbox.messages[sent:]] == [
        ['admin@example.com']]
    for login in ROLES:
        session = users[login]
        for call in [
                lambda: session.model('res.user', 'search_read',
                    [('login', '=', 'admin')], 0, 1, None,
                    ['password_reset']),
                lambda: session.model('res.user', 'read', [admin_id],
                    ['password_reset', 'password_reset_expire']),
                lambda: session.model('res.user', 'search_count',
                    [('password_hash', '>=', '$')]),
                lambda: session.model('res.user', 'search_count',
                    [('password_reset', '!=', None)]),
                lambda: session.model('res.user', 'search', [], 0, None,
                    [('password_hash', 'ASC')]),
                # through another model the role may read
                lambda: session.model('delivery.hub', 'search_count',
                    [('create_uid.password_hash', '>=', '$')]),
                ]:
            refused(call)
    # the administrator sees it: the reset is real
    row, = admin.model('res.user', 'read', [admin_id], ['password_reset'])
    assert row['password_reset']


def test_no_secret_field_is_searchable(server, users):
    """Fields whose names say they are secrets are neither read nor searched
    by the roles, except the tracking token of orders, which the office
    prints on waybills, and the app's own keys of its actions"""
    admin = users['admin']
    models = [m['name'] for m in admin.model('ir.model', 'search_read',
            ['OR', ('name', 'like', 'delivery.%'),
                ('name', 'in', ['party.party', 'party.address',
                        'party.contact_mechanism', 'company.employee',
                        'res.user'])],
            0, None, None, ['name'])]
    secret = re.compile(r'(password|secret|token|hash|key|cookie)')
    allowed = {
        ('delivery.order', 'tracking_token'): set(OFFICE),
        ('delivery.trip.stop.action', 'key'): {'head', 'dispatcher',
            'courier'},
        # not a secret: the campaign or event and the number, both on the
        # message the office reads anyway
        ('delivery.sms.message', 'suppression_key'): set(OFFICE),
        }
    checked = 0
    for model in models:
        try:
            definitions = admin.model(model, 'fields_get', [])
        except RPCError:
            continue  # not served over RPC at all
        for name, definition in definitions.items():
            if (not secret.search(name) or definition['type'] not in {
                        'char', 'text'}
                    or not definition.get('searchable', True)):
                continue
            for login in ROLES:
                call = users[login].model
                if login in allowed.get((model, name), set()):
                    call(model, 'search_count', [(name, '>=', '')])
                else:
                    with pytest.raises(RPCError) as info:
                        call(model, 'search_count', [(name, '>=', '')])
                    # refused, or not served over RPC at all
                    assert (info.value.is_user_error
                        or info.value.error.startswith('HTTP 403')), (
                        info.value.error)
                checked += 1
    assert checked >= 4 * len(ROLES)


# 2. couriers read what their stops need, nothing else -------------------

def test_courier_reads_no_customer_nor_ledger(server, users):
    admin, courier = users['admin'], users['courier']
    party = first(admin, 'party.party', [('delivery_customer', '=', True)],
        ['name', 'last_contact'])
    address = first(admin, 'party.address', [('party', '=', party['id'])],
        ['city'])
    mechanism = first(admin, 'party.contact_mechanism',
        [('party', '=', party['id'])], ['value'])
    own_employee, _ = employee_of(users, 'courier')
    own_party = admin.model('company.employee', 'read', [own_employee],
        ['party'])[0]['party']
    for model, record, values in [
            ('party.party', party, {'name': "Renamed by a courier"}),
            ('party.address', address, {'city': "Nowhere"}),
            ('party.contact_mechanism', mechanism, {'value': '+995599000000'}),
            ]:
        # his own name, address and phone only
        own = admin.model(model, 'search', [
                ('id' if model == 'party.party' else 'party', '=',
                    own_party)], 0, None, None)
        assert set(search_or_refused(courier, model, [])) <= set(own)
        refused(courier.model, model, 'read', [record['id']], ['id'])
        refused(courier.model, model, 'write', [record['id']], values)
        refused(courier.model, model, 'delete', [record['id']])
    refused(courier.model, 'party.party', 'write', [party['id']],
        {'last_contact': rpc_datetime(dt.datetime(2020, 1, 1))})
    refused(courier.model, 'party.party', 'write', [own_party],
        {'name': "Renamed by himself"})
    refused(courier.model, 'party.party', 'create', [{'name': MARKER}])
    assert admin.model('party.party', 'read', [party['id']],
        ['name', 'last_contact'])[0] == party
    assert admin.model('party.address', 'read', [address['id']],
        ['city'])[0] == address
    assert admin.model('party.contact_mechanism', 'read',
        [mechanism['id']], ['value'])[0] == mechanism
    assert not admin.model('party.party', 'search',
        [('name', '=', MARKER)], 0, None, None)

    for model in ['delivery.order', 'delivery.order.event',
            'delivery.order.leg', 'delivery.departure', 'delivery.tariff',
            'delivery.zone', 'delivery.marketing.source',
            'delivery.contact.rule', 'delivery.contact',
            'delivery.contact.task', 'delivery.plan']:
        refused(courier.model, model, 'search', [], 0, 1, None)
    for model in ['account.account', 'account.account.type',
            'account.journal', 'account.tax']:
        assert search_or_refused(courier, model, []) == []
        record = first(admin, model, [])
        refused(courier.model, model, 'read', [record['id']], ['id'])

    # his own user and employee record, not the others', nor their costs
    assert courier.model('res.user', 'search', [], 0, None, None) == [
        courier.uid]
    own, _ = employee_of(users, 'courier')
    assert courier.model('company.employee', 'search', [], 0, None,
        None) == [own]
    refused(courier.model, 'company.employee', 'read', [own],
        ['cost_per_km'])
    refused(courier.model, 'res.user', 'search_count',
        [('employees.cost_per_km', '>=', 0)])
    # nor registers customers, nor attaches files to them
    refused(courier.call, 'wizard.delivery.customer.register.create',
        courier.context)
    refused(courier.model, 'ir.attachment', 'create', [{
                'name': 'note.txt', 'resource': f"party.party,{party['id']}",
                'data': {'__class__': 'bytes', 'base64': 'aGk='}}])


# 3. fields that only workflows set --------------------------------------

def test_workflow_fields_are_refused(server, users):
    admin, dispatcher, manager = (
        users['admin'], users['dispatcher'], users['manager'])
    fields = ['state', 'amount', 'cod_state', 'invoice', 'number',
        'tracking_token', 'failed_attempts']
    order = first(admin, 'delivery.order',
        [('state', '=', 'delivered'), ('invoice', '!=', None)], fields)
    for session, values in [
            (dispatcher, {'state': 'draft'}),
            (dispatcher, {'amount': decimal('0.01')}),
            (dispatcher, {'cod_state': 'handed_in'}),
            (dispatcher, {'invoice': None}),
            (dispatcher, {'failed_attempts': 7}),
            (manager, {'number': '0000000018'}),
            (manager, {'tracking_token': 'A' * 24}),
            ]:
        message = refused(session.model, 'delivery.order', 'write',
            [order['id']], values)
        # in the user's language: the manager works in Georgian
        assert ('სერვერი ავსებს' if session is manager
            else 'set by the server') in message, message
    assert admin.model('delivery.order', 'read', [order['id']],
        fields)[0] == order

    # an order cannot start delivered, nor with a chosen number
    template = {
        'customer': first(admin, 'party.party',
            [('delivery_customer', '=', True)])['id'],
        'sender_name': MARKER, 'recipient_name': MARKER,
        'pickup_city': 'Tbilisi', 'delivery_city': 'Tbilisi',
        }
    before = admin.model('delivery.order', 'search_count', [])
    for extra in [{'state': 'delivered'}, {'cod_state': 'collected'},
            {'number': '0000000018'}, {'amount': decimal(0)}]:
        refused(dispatcher.model, 'delivery.order', 'create',
            [dict(template, **extra)])
    assert admin.model('delivery.order', 'search_count', []) == before

    # a copy starts as a new order: draft, its own number and token
    now = dt.datetime.utcnow()
    confirmed = first(admin, 'delivery.order', [('state', '=', 'confirmed'),
            ('delivery_start', '>', rpc_datetime(now))], fields)
    copy, = dispatcher.model('delivery.order', 'copy', [confirmed['id']], {})
    copied, = admin.model('delivery.order', 'read', [copy], fields)
    assert copied['state'] == 'draft'
    assert copied['invoice'] is None
    assert copied['number'] not in {None, confirmed['number']}
    assert copied['tracking_token'] not in {
        None, confirmed['tracking_token']}
    admin.model('delivery.order', 'delete', [copy])

    # the history and the legs are the server's
    refused(manager.model, 'delivery.order.event', 'create', [{
                'order': order['id'], 'event': 'delivered'}])
    event = first(admin, 'delivery.order.event',
        [('order', '=', order['id'])], ['note'])
    refused(dispatcher.model, 'delivery.order.event', 'write',
        [event['id']], {'note': "forged"})
    refused(manager.model, 'delivery.order.leg', 'create', [{
                'order': order['id'], 'kind': 'direct'}])

    # a contact task is closed by logging a contact, nothing else
    task = first(admin, 'delivery.contact.task', [
            ('state', '=', 'open'),
            ('employee', '=', employee_of(users, 'manager')[0])],
        ['state', 'employee', 'priority'])
    for values in [{'state': 'done'}, {'priority': 10 ** 6},
            {'employee': employee_of(users, 'manager2')[0]}]:
        refused(manager.model, 'delivery.contact.task', 'write',
            [task['id']], values)
    assert admin.model('delivery.contact.task', 'read', [task['id']],
        ['state', 'employee', 'priority'])[0] == task
    # the dispatcher logs contacts as himself only
    refused(dispatcher.model, 'delivery.contact', 'create', [{
                'party': template['customer'], 'task': task['id'],
                'employee': task['employee'], 'channel': 'call',
                'result': 'reached'}])
    assert admin.model('delivery.contact.task', 'read', [task['id']],
        ['state'])[0]['state'] == 'open'


def test_dispatcher_changes_couriers_only(server, users):
    admin, dispatcher = users['admin'], users['dispatcher']
    head, _ = employee_of(users, 'head')
    manager, _ = employee_of(users, 'manager')
    courier, _ = employee_of(users, 'courier')
    fields = ['supervisor', 'hub', 'capacity_weight']
    before = admin.model('company.employee', 'read',
        [head, manager, courier], fields)
    refused(dispatcher.model, 'company.employee', 'write', [manager],
        {'supervisor': courier})
    refused(dispatcher.model, 'company.employee', 'write', [head],
        {'capacity_weight': 1.0})
    refused(dispatcher.model, 'company.employee', 'write', [courier],
        {'supervisor': manager})
    assert admin.model('company.employee', 'read',
        [head, manager, courier], fields) == before
    # what a dispatcher does maintain
    dispatcher.model('company.employee', 'write', [courier],
        {'capacity_weight': 31.0})
    dispatcher.model('company.employee', 'write', [courier],
        {'capacity_weight': before[2]['capacity_weight']})


def test_rules_hold_through_customers(server, users):
    """A contact manager cannot count another team's contacts by searching
    customers through them"""
    manager, head = users['manager'], users['head']
    other, _ = employee_of(users, 'manager2')
    for model in ['delivery.contact', 'delivery.contact.task']:
        assert manager.model(model, 'search_count',
            [('employee', '=', other)]) == 0
    for field in ['delivery_contacts', 'delivery_contact_tasks']:
        for domain in [[(f'{field}.employee', '=', other)],
                [(field, 'where', [('employee', '=', other)])],
                ['OR', (f'{field}.employee', '=', other),
                    ('name', '=', MARKER)]]:
            assert manager.model('party.party', 'search_count',
                domain) == 0, domain
        assert head.model('party.party', 'search_count',
            [(f'{field}.employee', '=', other)]) > 0


# 4, 6, 7, 9. the courier app -------------------------------------------

def test_cash_on_delivery_needs_the_amount(server, users):
    courier, admin = users['courier'], users['admin']
    trip = make_trip(users, 'courier', cod=Decimal(40))
    stop, = trip['stops']
    order, = trip['orders']
    send = courier.model

    def action(key, **extra):
        return [dict({'key': key, 'stop': stop, 'action': 'delivered',
                    'name': "ნინო"}, **extra)]
    message = refused(send, 'delivery.trip.stop', 'courier_actions',
        action('cod-1'))
    assert '40' in message
    for bad in ['NaN', 'sNaN', 'Infinity', '-1', 'forty', [], {}, True,
            decimal('NaN'), decimal('Infinity'), '1e400']:
        refused(send, 'delivery.trip.stop', 'courier_actions',
            action('cod-2', cod=bad))
    refused(send, 'delivery.trip.stop', 'courier_actions',
        action('cod-3', cod='39.99'))
    state, = admin.model('delivery.order', 'read', [order],
        ['state', 'cod_state'])
    assert (state['state'], state['cod_state']) == ('assigned', 'to_collect')
    assert send('delivery.trip.stop', 'courier_actions',
        action('cod-4', cod='40')) == ['applied']
    state, = admin.model('delivery.order', 'read', [order],
        ['state', 'cod_state'])
    assert (state['state'], state['cod_state']) == ('delivered', 'collected')


def test_courier_action_log_is_append_only(server, users):
    courier, courier2 = users['courier'], users['courier2']
    trip = make_trip(users, 'courier')
    trip2 = make_trip(users, 'courier2')
    stop, stop2 = trip['stops'][0], trip2['stops'][0]
    assert courier.model('delivery.trip.stop', 'courier_actions', [
            {'key': 'same-key', 'stop': stop, 'action': 'arrived'}]) == [
        'applied']
    # another courier's key does not swallow this one's
    assert courier2.model('delivery.trip.stop', 'courier_actions', [
            {'key': 'same-key', 'stop': stop2, 'action': 'arrived'}]) == [
        'applied']
    assert courier.model('delivery.trip.stop', 'courier_actions', [
            {'key': 'same-key', 'stop': stop, 'action': 'arrived'}]) == [
        'duplicate']
    for key in [123, None, 1.5, True, ['k'], {'k': 1}, '', 'k' * 65,
            'bad key!', '\x00']:
        refused(courier.model, 'delivery.trip.stop', 'courier_actions',
            [{'key': key, 'stop': stop, 'action': 'failed'}])
    refused(courier.model, 'delivery.trip.stop', 'courier_actions',
        [{'key': 'other-stop', 'stop': stop2, 'action': 'failed'}])
    refused(courier.model, 'delivery.trip.stop', 'courier_actions',
        [{'key': 'bool-stop', 'stop': True, 'action': 'failed'}])

    action = first(users['admin'], 'delivery.trip.stop.action',
        [('stop', '=', stop)], ['action', 'note', 'user'])
    for login in ['dispatcher', 'head']:
        session = users[login]
        refused(session.model, 'delivery.trip.stop.action', 'create', [{
                    'key': 'forged', 'stop': stop, 'action': 'delivered'}])
        refused(session.model, 'delivery.trip.stop.action', 'write',
            [action['id']], {'note': 'rewritten'})
        refused(session.model, 'delivery.trip.stop.action', 'delete',
            [action['id']])
    assert users['admin'].model('delivery.trip.stop.action', 'read',
        [action['id']], ['action', 'note', 'user'])[0] == action


def test_courier_times_are_kept_sane(server, users):
    courier, admin = users['courier'], users['admin']
    trip = make_trip(users, 'courier', stops=4)
    now = dt.datetime.utcnow()
    future = (now + dt.timedelta(days=400)).isoformat()
    assert courier.model('delivery.trip.stop', 'courier_actions', [
            {'key': 'time-future', 'stop': trip['stops'][3],
                'action': 'arrived', 'time': future}]) == ['applied']
    done, = admin.model('delivery.trip.stop.action', 'search_read',
        [('key', '=', 'time-future')], 0, None, None, ['done_at'])
    assert as_datetime(done['done_at']) <= dt.datetime.utcnow()
    for stop, time in zip(trip['stops'][:3], [
            '2000-01-01T00:00:00', '9999-12-31T23:59:59-05:00',
            '0001-01-01T00:00:00+05:00']):
        assert courier.model('delivery.trip.stop', 'courier_actions', [
                {'key': f'time-{stop}', 'stop': stop, 'action': 'arrived',
                    'time': time}]) == ['applied']
        row, = admin.model('delivery.trip.stop.action', 'search_read',
            [('stop', '=', stop)], 0, None, None,
            ['done_at', 'received_at'])
        done, received = (as_datetime(row['done_at']),
            as_datetime(row['received_at']))
        assert abs(received - now) < dt.timedelta(minutes=10)
        assert received - dt.timedelta(days=3, seconds=1) <= done <= received
    for time in [12, 'yesterday', '2026-13-45T99:00:00', 'x' * 100]:
        refused(courier.model, 'delivery.trip.stop', 'courier_actions', [
                {'key': 'bad-time', 'stop': trip['stops'][0],
                    'action': 'failed', 'time': time}])


def test_one_stop_acted_on_once_at_the_same_moment(server, users):
    trip = make_trip(users, 'courier')
    stop, = trip['stops']
    sessions = [Session(server.url, DATABASE, 'courier',
            demo_password('courier')) for _ in range(5)]
    barrier = threading.Barrier(len(sessions))
    results = []

    def send(index, session):
        barrier.wait()
        try:
            results.append(session.model('delivery.trip.stop',
                    'courier_actions', [{'key': f'race-{index}',
                            'stop': stop, 'action': 'arrived'}]))
        except RPCError as exc:
            results.append(exc)
    threads = [threading.Thread(target=send, args=(i, s))
        for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    applied = [r for r in results if r == ['applied']]
    errors = [r for r in results if isinstance(r, RPCError)]
    assert len(applied) == 1, results
    assert len(errors) == len(sessions) - 1
    assert all(e.is_user_error for e in errors), [e.error for e in errors]
    assert users['admin'].model('delivery.trip.stop.action', 'search_count',
        [('stop', '=', stop)]) == 1


# 8. references to nothing ----------------------------------------------

def test_references_to_nothing_are_refused(server, users):
    admin, dispatcher, manager = (
        users['admin'], users['dispatcher'], users['manager'])
    before = admin.model('delivery.order', 'search_count', [])
    refused(dispatcher.model, 'delivery.order', 'create', [{
                'customer': 999999, 'sender_name': MARKER,
                'recipient_name': MARKER, 'pickup_city': 'Tbilisi',
                'delivery_city': 'Tbilisi'}])
    assert admin.model('delivery.order', 'search_count', []) == before
    customers = admin.model('party.party', 'search_count', [])
    source = first(admin, 'delivery.marketing.source', [])['id']
    for values in [{'marketing_source': 999999},
            {'marketing_source': source, 'branch': 999999},
            {'marketing_source': source, 'categories': [999999]}]:
        refused(register, manager, dict({
                    'name': f"{MARKER} customer", 'mobile': '555 12 99 88',
                    'city': 'Tbilisi'}, **values))
    assert admin.model('party.party', 'search_count', []) == customers


def register(session, values):
    "Run the registration wizard with values, as sao does"
    sid, _, _ = session.call('wizard.delivery.customer.register.create',
        session.context)
    session.call('wizard.delivery.customer.register.execute', sid, {},
        'start', session.context)
    return session.call('wizard.delivery.customer.register.execute', sid,
        {'start': values}, 'check', session.context)


# 10. what nobody should store -------------------------------------------

BAD_TEXTS = ['   ', 'x' * (1 << 20), 'a\x00b', '\ud800']


def test_absurd_values_are_refused(server, users):
    admin, dispatcher, manager = (
        users['admin'], users['dispatcher'], users['manager'])
    parties = admin.model('party.party', 'search_count', [])
    for name in BAD_TEXTS:
        refused(dispatcher.model, 'party.party', 'create', [{'name': name}])
    customer = first(admin, 'party.party',
        [('delivery_customer', '=', True)])['id']
    for mechanism in [
            {'type': 'email', 'value': 'x' * (1 << 20) + '@example.com'},
            {'type': 'email', 'value': 'not an e-mail'},
            {'type': 'website', 'value': 'javascript:alert(1)'},
            {'type': 'phone', 'value': '\ud800'}]:
        refused(dispatcher.model, 'party.contact_mechanism', 'create',
            [dict(mechanism, party=customer)])
    assert admin.model('party.party', 'search_count', []) == parties

    orders = admin.model('delivery.order', 'search_count', [])
    now = dt.datetime.utcnow().replace(microsecond=0)
    order = {
        'customer': customer, 'sender_name': MARKER,
        'recipient_name': MARKER, 'pickup_city': 'Tbilisi',
        'delivery_city': 'Tbilisi',
        'delivery_start': rpc_datetime(now + dt.timedelta(hours=2)),
        'delivery_end': rpc_datetime(now + dt.timedelta(hours=6)),
        }
    far = dt.datetime(9999, 12, 31, 12)
    for values in [
            {'recipient_name': '   '}, {'recipient_name': 'x' * (1 << 20)},
            {'recipient_name': 'a\x00b'}, {'recipient_name': '\ud800'},
            {'notes': 'x' * (1 << 20)}, {'recipient_phone': '<b>1</b>'},
            {'weight': float('inf')}, {'weight': float('nan')},
            {'weight': 1e308}, {'volume': -1e-300},
            {'parcel_count': 2 ** 63}, {'parcel_count': 2 ** 31},
            {'cod_amount': decimal('NaN')}, {'cod_amount': decimal('1E+30')},
            {'declared_value': decimal('Infinity')},
            {'delivery_start': rpc_datetime(far),
                'delivery_end': rpc_datetime(far)},
            {'date': rpc_datetime(far)},
            {'service': 'bogus'}]:
        refused(dispatcher.model, 'delivery.order', 'create',
            [dict(order, **values)])
    assert admin.model('delivery.order', 'search_count', []) == orders

    source = first(admin, 'delivery.marketing.source', [])['id']
    form = {'name': f"{MARKER} customer", 'mobile': '555 12 99 77',
        'city': 'Tbilisi', 'marketing_source': source}
    for values in [{'name': '   '}, {'name': 'x' * (1 << 20)},
            {'city': 'x' * (1 << 20)}, {'name': '\ud800'},
            {'name': 'a\x00b'}, {'email': 'x' * (1 << 20)},
            {'email': 'not an e-mail'}, {'needs': 'x' * (1 << 20)},
            {'mobile': '<b>'}]:
        refused(register, manager, dict(form, **values))
    assert admin.model('party.party', 'search_count', []) == parties


# the table of the README --------------------------------------------------

def readme_roles():
    """{(model, role): cell} of the table "Roles and what they may do" of
    the README"""
    text = (harness.ROOT / 'README.md').read_text()
    section = text.split('## Roles and what they may do', 1)[1]
    lines = [l for l in section.split('\n## ', 1)[0].splitlines()
        if l.startswith('|')]
    header = [c.strip() for c in lines[0].strip('|').split('|')]
    roles = header[1:]
    table = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip('|').split('|')]
        models = re.findall(r'`([a-z_.-]+)`', cells[0])
        for model in models:
            for role, cell in zip(roles, cells[1:]):
                table[model, role] = cell
    return roles, table


ROLE_LOGINS = {
    'head of department': 'head', 'contact manager': 'manager',
    'dispatcher': 'dispatcher', 'courier': 'courier'}
# record rules of a model also apply to the models that take their access
# from it (__access__ of the models)
RULES_FROM = {
    'party.address': 'party.party', 'party.contact_mechanism': 'party.party',
    'delivery.trip.stop': 'delivery.trip',
    'delivery.trip.stop.action': 'delivery.trip',
    'delivery.plan.task': 'delivery.plan',
    }
# the domain of the rules that let no record through
DENY = re.compile(r'\["id", "=", -1\]')
# the rule groups that restrict a role, by name, and how the table says it
SCOPES = {
    "Own and team's": 'own+team', 'Own': 'own', 'Own trips': 'own',
    'Own contacts': 'own', 'Parties: their own (read) for couriers': 'own',
    'Couriers see their own record': 'own', 'Users: own for couriers': 'own',
    'Dispatchers change couriers only': 'couriers',
    }


def server_roles(users, models):
    """{(model, role): cell}: the access rights of each role's demo user as
    the server gives them (ir.model.access.get_access), less what its record
    rules deny, with the scope of the rules that restrict it and "some
    fields" where field access keeps fields from being written. A cell
    lists the permissions (r, w, c, d) grouped by scope: "r, w (own)"."""
    admin = users['admin']
    rule_groups = admin.model('ir.rule.group', 'search_read',
        [('global_p', '=', False)], 0, None, None,
        ['name', 'model', 'groups', 'rules', 'perm_read', 'perm_write',
            'perm_create', 'perm_delete'])
    rules = {r['id']: r['domain'] for r in admin.model('ir.rule',
            'search_read', [], 0, None, None, ['domain'])}
    field_access = admin.model('ir.model.field.access', 'search_read',
        [], 0, None, None, ['model', 'field', 'group', 'perm_write'])
    table = {}
    for role, login in ROLE_LOGINS.items():
        session = users[login]
        user_groups = set(admin.model('res.user', 'read', [session.uid],
                ['groups'])[0]['groups'])
        access = session.model('ir.model.access', 'get_access', models)
        for model in models:
            scoped = []  # [(letter, scope)]
            for perm in ['read', 'write', 'create', 'delete']:
                if not access[model][perm]:
                    continue
                target = RULES_FROM.get(model, model)
                applying = [g for g in rule_groups
                    if g['model'] == target and g[f'perm_{perm}']
                    and user_groups & set(g['groups'])]
                scopes = set()
                # a group without rules, or with an empty domain, lets all
                # records through
                if applying and not any(not g['rules'] or any(
                                rules[r] in {'[]', ''} for r in g['rules'])
                            for g in applying):
                    restricting = [g for g in applying
                        if not all(DENY.search(rules[r])
                            for r in g['rules'])]
                    if not restricting:
                        continue  # denied by the rules
                    scopes = {SCOPES[g['name']] for g in restricting}
                scoped.append((perm[0], ', '.join(sorted(scopes))))
            parts = []
            for scope in dict.fromkeys(s for _, s in scoped):
                letters = ''.join(l for l, s in scoped if s == scope)
                parts.append(f'{letters} ({scope})' if scope else letters)
            cell = ', '.join(parts) or '—'
            denied = {a['field'] for a in field_access
                if a['model'] == model and a['group'] is None
                and not a['perm_write']}
            granted = {a['field'] for a in field_access
                if a['model'] == model and a['group'] in user_groups
                and a['perm_write']}
            if any(l == 'w' for l, _ in scoped) and denied - granted:
                cell += '; w: some fields'
            table[model, role] = cell
    return table


def test_readme_role_table_is_what_the_server_enforces(server, users):
    roles, readme = readme_roles()
    assert set(roles) == set(ROLE_LOGINS)
    models = sorted({m for m, _ in readme})
    assert len(models) >= 30
    derived = server_roles(users, models)
    differences = {key: (readme[key], derived[key]) for key in readme
        if readme[key] != derived[key]}
    assert not differences, json.dumps(
        {f'{m} / {r}': v for (m, r), v in differences.items()},
        ensure_ascii=False, indent=1)


def test_tracking_page_of_the_order_is_public(server, users):
    "What held up: the tracking page shows no personal data"
    admin = users['admin']
    order = first(admin, 'delivery.order', [('state', '=', 'delivered')],
        ['tracking_token', 'recipient_name', 'recipient_phone', 'amount'])
    url = f"{server.url}/{DATABASE}/delivery/track/{order['tracking_token']}"
    with urllib.request.urlopen(url, timeout=60) as response:
        page = response.read().decode()
    assert order['recipient_name'] not in page
    assert order['recipient_phone'] not in page


def test_sql_injection_is_harmless(server, users):
    """Last of the module: malformed field names are refused as any wrong
    call is, which trytond logs with a traceback"""
    server.log_clean_until = server.log_size()
    admin, dispatcher = users['admin'], users['dispatcher']
    parties = admin.model('party.party', 'search_count', [])
    for domain in [
            [('name', 'ilike', "%'; DROP TABLE party_party; --")],
            [('name', 'in', ["x') OR 1=1 --"])]]:
        try:
            found = dispatcher.model('party.party', 'search', domain, 0,
                None, None)
        except RPCError as exc:
            assert exc.is_user_error or 'HTTP' not in str(exc.error)
        else:
            assert found == []
    for domain, order in [
            ([('name; DROP TABLE party_party', '=', 'x')], None),
            ([], [('id; DROP TABLE party_party', 'ASC')]),
            ([], [('id', 'ASC; DROP TABLE party_party')])]:
        with pytest.raises(RPCError):
            dispatcher.model('party.party', 'search', domain, 0, None, order)
    assert admin.model('party.party', 'search_count', []) == parties
