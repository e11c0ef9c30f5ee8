# This file is part of the Delivery CRM for Tryton.
"""SMS end to end on PostgreSQL: trytond's web process with the demo
data, a real Kannel (bearerbox, smsbox and fakesmsc as the operator) on
127.0.0.1, the demo logins over JSON-RPC.

- a contact manager texts a customer (Send SMS): the message goes through
  Kannel to the operator right after the commit, its delivery reports come
  back to trytond's signed URL and move it to delivered, each recorded;
- the customer replies STOP (or სტოპ): marketing is blocked, confirmed
  once, in the archive; START opts in again; another reply becomes a
  contact task for his account manager;
- forged callbacks (bad signatures, unknown reports) change nothing;
- the roles cannot forge messages or rewrite the consent log.
"""
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests import harness
from tests.jsonrpc import RPCError
from trytond.modules.delivery_sms import gateways
from trytond.modules.delivery_sms.tests.kannel import Kannel, available

decimal = harness.rpc_decimal
DATABASE = 'test_sms'
CALLBACK_KEY = 'sms-test-callback-key'
USERNAME, PASSWORD, SHORT_CODE = 'crm', 'kannel-secret', '91234'
# a mobile number no demo customer has
NATIONAL = '599000417'
E164 = '+995' + NATIONAL
TIMEOUT = 15


@pytest.fixture(scope='module')
def kannel():
    ok, reason = available()
    if not ok:
        pytest.skip(reason)
    kannel = Kannel(username=USERNAME, password=PASSWORD, sender=SHORT_CODE)
    # trytond.conf names the gateway's URL before Kannel starts
    kannel.reserve_sendsms_port()
    yield kannel
    kannel.stop()


@pytest.fixture(scope='module')
def server(kannel):
    harness.clone('postgresql', DATABASE)
    server = harness.Server('postgresql', DATABASE, 'test-sms',
        delivery_sms={'callback_key': CALLBACK_KEY},
        sms_kannel={'url': kannel.base_url, 'username': USERNAME,
            'password': PASSWORD, 'sender': SHORT_CODE})
    server.start()
    yield server
    server.stop()
    log = server.log_since_start()
    harness.drop('postgresql', DATABASE)
    assert 'Traceback' not in log, log[-5000:]


@pytest.fixture(scope='module')
def users(server):
    return harness.Users(server.url, DATABASE)


@pytest.fixture(scope='module')
def gateway(users, kannel):
    """The company's gateway, made by the administrator; Kannel started
    with its reply URL"""
    admin = users['admin']
    gateway_id, = admin.model('delivery.sms.gateway', 'create', [{
                'name': "Kannel", 'section': 'sms_kannel',
                'price_per_part': decimal('0.05')}])
    gateway, = admin.model('delivery.sms.gateway', 'read', [gateway_id],
        ['mo_url', 'configured'])
    assert gateway['configured']
    kannel.mo_url = gateway['mo_url']
    kannel.start()
    return gateway_id


@pytest.fixture(scope='module')
def customer(users):
    "A customer of the contact manager with a mobile written as people do"
    manager = users['manager']
    employee = manager.context['employee']
    party_id, = manager.model('party.party', 'create', [{
                'name': "SMS Test Customer",
                'delivery_customer': True,
                'account_manager': employee,
                'contact_mechanisms': [('create', [{
                                'type': 'mobile',
                                'value': f'{NATIONAL[:3]} {NATIONAL[3:5]} '
                                f'{NATIONAL[5:7]} {NATIONAL[7:]}'}])],
                }])
    return party_id


def wait_for(what, check, timeout=TIMEOUT):
    "check()'s first true answer, polled until timeout"
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} in {timeout} s")
        time.sleep(0.1)


def messages(session, domain, fields=('state', 'text', 'direction')):
    return session.model('delivery.sms.message', 'search_read', domain,
        0, None, [('id', 'ASC')], list(fields))


def accepts_marketing(session, party_id):
    "Whether the customer's number accepts marketing, as his form shows it"
    return session.model('party.party', 'read', [party_id],
        ['sms_marketing'])[0]['sms_marketing']


def send(session, party_id, text, purpose='transactional'):
    "Run Send SMS on the customer as sao does: defaults, values, Send"
    name = 'wizard.delivery.sms.send'
    context = dict(session.context, active_model='party.party',
        active_ids=[party_id], active_id=party_id)
    sid, start, _ = session.call(f'{name}.create', context)
    view = session.call(f'{name}.execute', sid, {}, start, context)
    values = {k: v for k, v in view['view']['defaults'].items()
        if '.' not in k}
    values.update(text=text, purpose=purpose)
    return session.call(f'{name}.execute', sid, {start: values}, 'send',
        context)


def test_send_delivered_and_reported(users, gateway, kannel, customer):
    """A contact manager texts a customer in Georgian: Kannel's operator
    gets it once, its delivery reports (which may come in any order) leave
    it delivered with both recorded"""
    manager = users['manager']
    text = "გამარჯობა! თქვენი ამანათი ხვალ მოვა, 10:00-13:00."
    send(manager, customer, text)
    mt, = kannel.wait_mt(1, text=text, timeout=TIMEOUT)
    assert mt['receiver'] in {E164, E164[1:]}
    assert mt['type'] == 'ucs-2'
    message, = messages(manager, [('party', '=', customer)],
        ['state', 'text', 'encoding', 'parts', 'number', 'events'])
    assert (message['text'], message['encoding'], message['parts'],
        message['number']) == (text, 'ucs2', 1, E164)
    wait_for("delivered message", lambda: messages(manager,
            [('id', '=', message['id']), ('state', '=', 'delivered')]))

    def history():
        rows = manager.model('delivery.sms.message.event', 'search_read',
            [('message', '=', message['id'])], 0, None, None,
            ['status', 'source'])
        reported = {r['status'] for r in rows if r['source'] == 'report'}
        submitted = [r for r in rows if r['source'] == 'submit']
        return rows if {'accepted', 'delivered'} <= reported and submitted \
            else None

    # the answer of the submit, stored whether it came before or after
    # the reports, does not move the message back
    events = wait_for("the submit and both reports", history)
    assert [e['source'] for e in events].count('submit') == 1
    sent, = manager.model('delivery.sms.message', 'read', [message['id']],
        ['state', 'gateway', 'sent', 'attempts'])
    assert (sent['state'], sent['gateway'], sent['attempts']) == (
        'delivered', gateway, 1)
    assert sent['sent']
    # the operator got it once
    assert len(kannel.wait_mt(1, text=text)) == 1


def test_reply_stop_start_and_question(users, gateway, kannel, customer):
    """STOP blocks marketing and is confirmed once (a second stop, in
    Georgian, is archived and confirmed no more); START opts in again;
    a question becomes a contact task of the account manager"""
    manager = users['manager']
    admin = users['admin']

    def marketing():
        return accepts_marketing(manager, customer)

    manager.model('delivery.sms.consent', 'create', [{
                'party': customer, 'number': E164, 'purpose': 'marketing',
                'action': 'opt_in', 'channel': 'form', 'wording': 'v1'}])
    assert marketing()
    sent_before = len(kannel.mt_messages())
    # as the operator writes the sender: without the plus
    kannel.inject_mo(E164[1:], SHORT_CODE, 'STOP')
    wait_for("opt-out", lambda: not marketing())
    confirmation, = kannel.wait_mt(sent_before + 1, timeout=TIMEOUT)[
        sent_before:]
    assert 'START' in confirmation['text']
    kannel.inject_mo(E164, SHORT_CODE, 'სტოპ')
    wait_for("the second reply", lambda: len(messages(
                manager, [('direction', '=', 'in'),
                    ('party', '=', customer)])) == 2)
    consents = admin.model('delivery.sms.consent', 'search_read',
        [('number', '=', E164), ('purpose', '=', 'marketing')], 0, None,
        [('id', 'ASC')], ['action', 'channel', 'source'])
    assert [(c['action'], c['channel']) for c in consents] == [
        ('opt_in', 'form'), ('opt_out', 'sms_keyword')]

    kannel.inject_mo(E164, SHORT_CODE, 'START')
    wait_for("opt-in", marketing)
    kannel.wait_mt(sent_before + 2, timeout=TIMEOUT)

    question = "კურიერი რომელ საათზე მოვა?"
    kannel.inject_mo(E164, SHORT_CODE, question)
    reply = wait_for("the question", lambda: messages(manager, [
                ('direction', '=', 'in'), ('text', '=', question)],
            ['party', 'state']))
    assert reply[0]['party'] == customer
    task, = manager.model('delivery.contact.task', 'search_read', [
            ('party', '=', customer), ('reason', '=', 'sms_reply')], 0,
        None, None, ['state', 'employee'])
    assert task['state'] == 'open'
    assert task['employee'] == manager.context['employee']
    # the three replies and the two confirmations are on the customer
    assert len(messages(manager, [('party', '=', customer)])) == 1 + 4 + 2


def test_opt_out_link(server, users, gateway, kannel, customer):
    """A marketing message carries the number's own opt-out link: opening
    it changes nothing, its button blocks marketing, once; a wrong token
    finds nothing"""
    manager = users['manager']

    def marketing():
        return accepts_marketing(manager, customer)

    assert marketing()  # opted in again by START
    before = len(kannel.mt_messages())
    send(manager, customer, "Winter offer: -20% on intercity. Stop: "
        "{optout_link}", purpose='marketing')
    mt = kannel.wait_mt(before + 1, timeout=TIMEOUT)[before]
    prefix = f'{server.url}/{DATABASE}/delivery/sms/stop/'
    assert prefix in mt['text'], mt['text']
    link = mt['text'][mt['text'].index(prefix):].split()[0]
    assert NATIONAL not in link
    with urllib.request.urlopen(link, timeout=10) as response:
        page = response.read().decode()
    assert '<form' in page and 'method="post"' in page
    assert marketing(), "opening the link changes nothing"
    request = urllib.request.Request(link, data=b'', method='POST')
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert not marketing()
    # again: recorded once
    with urllib.request.urlopen(
            urllib.request.Request(link, data=b'', method='POST'),
            timeout=10):
        pass
    entries = users['admin'].model('delivery.sms.consent', 'search_read',
        [('number', '=', E164), ('channel', '=', 'link')], 0, None, None,
        ['action'])
    assert [e['action'] for e in entries] == ['opt_out']
    # in Georgian when asked
    with urllib.request.urlopen(link + '?lang=ka', timeout=10) as response:
        assert 'lang="ka"' in response.read().decode()
    assert callback(server, 'stop/' + 'A' * 16) == 404


def callback(server, path, **params):
    url = (f'{server.url}/{DATABASE}/delivery/sms/{path}?'
        + urllib.parse.urlencode(params))
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_forged_callbacks_change_nothing(server, users, gateway, customer):
    admin = users['admin']
    message, = messages(admin, [('party', '=', customer),
            ('direction', '=', 'out')], ['state'])[:1]
    before = messages(admin, [('party', '=', customer)], ['state'])
    dlr = f"dlr/{message['id']}"
    good = gateways.sign(CALLBACK_KEY, 'dlr', message['id'])
    # a report of another message, or with no signature or a wrong one
    assert callback(server, dlr, sig=gateways.sign(
            CALLBACK_KEY, 'dlr', message['id'] + 1), status=16) == 403
    assert callback(server, dlr, status=16) == 403
    assert callback(server, dlr, sig='0' * 32, status=16) == 403
    # signed, but no report Kannel sends
    assert callback(server, dlr, sig=good, status=99) == 400
    assert callback(server, dlr, sig=good, status='x') == 400
    # a late failure report of a delivered message: recorded, not applied
    assert callback(server, dlr, sig=good, status=16) == 200
    mo = f'mo/{gateway}'
    assert callback(server, mo, sig='0' * 32, **{
            'from': E164, 'text': 'STOP'}) == 403
    assert callback(server, f'mo/{gateway + 1}', sig=gateways.sign(
            CALLBACK_KEY, 'mo', gateway), **{
            'from': E164, 'text': 'STOP'}) == 403
    assert messages(admin, [('party', '=', customer)], ['state']) == before


def test_roles_cannot_forge_messages_nor_consent(users, gateway, customer):
    courier, manager, head = users['courier'], users['manager'], users['head']
    message, = messages(manager, [('party', '=', customer),
            ('direction', '=', 'out')], ['state'])[:1]
    for call in [
            lambda: courier.model('delivery.sms.message', 'search', [],
                0, None, None),
            lambda: courier.model('delivery.sms.consent', 'search', [],
                0, None, None),
            lambda: manager.model('delivery.sms.message', 'write',
                [message['id']], {'state': 'queued'}),
            lambda: manager.model('delivery.sms.message', 'create', [{
                        'number': E164, 'text': "forged",
                        'direction': 'out'}]),
            lambda: head.model('delivery.sms.message', 'delete',
                [message['id']]),
            lambda: manager.model('delivery.sms.gateway', 'read',
                [gateway], ['section']),
            lambda: manager.model('delivery.sms.gateway', 'write',
                [gateway], {'section': 'other'}),
            ]:
        with pytest.raises(RPCError):
            call()
    consent = manager.model('delivery.sms.consent', 'search', [
            ('number', '=', E164)], 0, 1, None)
    for call in [
            lambda: manager.model('delivery.sms.consent', 'write', consent,
                {'action': 'opt_in'}),
            lambda: head.model('delivery.sms.consent', 'delete', consent),
            # the date of an entry is the server's
            lambda: manager.model('delivery.sms.consent', 'create', [{
                        'number': E164, 'purpose': 'marketing',
                        'action': 'opt_in', 'channel': 'form',
                        'date': {'__class__': 'datetime', 'year': 2020,
                            'month': 1, 'day': 1, 'hour': 0, 'minute': 0,
                            'second': 0, 'microsecond': 0}}]),
            ]:
        with pytest.raises(RPCError):
            call()
    # the courier cannot text customers
    with pytest.raises(RPCError):
        send(courier, customer, "hello")
    # a customer without a mobile cannot be texted, with a clear message
    party_id, = manager.model('party.party', 'create', [{
                'name': "No Mobile", 'delivery_customer': True}])
    with pytest.raises(RPCError) as info:
        send(manager, party_id, "hello")
    assert info.value.is_user_error
    assert 'No Mobile' in info.value.message  # in Georgian
