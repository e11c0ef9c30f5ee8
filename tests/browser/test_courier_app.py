# This file is part of the Delivery CRM for Tryton.
"""The courier app on a phone (390x844, touch), online and offline.

Over RPC (as admin) the test gives the demo courier `courier` (Georgian UI)
a trip of today (on the company's clock, Asia/Tbilisi, where the phone is)
with three delivery stops of confirmed orders of its own, one with cash on
delivery; his other trips of today are finished or cancelled first, so that
the app shows exactly these three stops.

In the app (/browser/delivery/courier/), the courier logs in with his own
user and sees the three stops in order. Online: stop 1 Arrived, Delivered
with the recipient's name, a signature drawn with the mouse and the cash
confirmed; stop 2 Arrived. The network is cut: stop 2 Delivered (signature
drawn by touch, a photo scaled down in the browser) and stop 3 Failed with
a reason and a note. Both show done at once with 2 actions queued; the page
reloads offline from the service worker with the stops from the phone's
cache. Back online the queue drains by itself.

The server then holds each action exactly once, the orders delivered,
failed and the cash collected, the signatures (PNG) and the photo (JPEG, at
most 1280 px). The same action sent again, by the page's sender and by RPC
with the same key, answers 'duplicate' and changes nothing.
"""
import base64
import datetime as dt
import json
import struct
import urllib.error
import urllib.request
import zlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from test_roles import password

from tests.jsonrpc import Session

COURIER = 'courier'
TIMEZONE = 'Asia/Tbilisi'
PHONE = {
    'viewport': {'width': 390, 'height': 844},
    'device_scale_factor': 3,
    'is_mobile': True,
    'has_touch': True,
    'timezone_id': TIMEZONE,
    'locale': 'en-US',
    'service_workers': 'allow',
    }
PREFIX = 'Browser Courier'
STOP = 'delivery.trip.stop'
ACTION = 'delivery.trip.stop.action'
ORDER = 'delivery.order'
COD = Decimal('45.00')
# name, phone, street, latitude, longitude, window in hours from the next
# full hour (the windows must not lie in the past, whatever the time of day)
RECIPIENTS = [
    ("Nino Beridze", '+995555100201', "Pekini Ave 12", 41.7262, 44.7500,
        (0, 3)),
    ("Giorgi Lomidze", '+995555100202', "Vazha-Pshavela Ave 45", 41.7251,
        44.7346, (1, 4)),
    ("Tamar Kapanadze", '+995555100203', "Tsereteli Ave 116", 41.7443,
        44.7818, (2, 6)),
    ]


# RPC helpers (as admin) ------------------------------------------------------

def rpc_date(date):
    return {'__class__': 'date',
        'year': date.year, 'month': date.month, 'day': date.day}


def rpc_datetime(value):
    return {'__class__': 'datetime',
        'year': value.year, 'month': value.month, 'day': value.day,
        'hour': value.hour, 'minute': value.minute, 'second': value.second,
        'microsecond': 0}


def rpc_bytes(value):
    "The bytes of a Binary field read over JSON-RPC"
    if isinstance(value, dict) and value.get('__class__') == 'bytes':
        return base64.b64decode(value['base64'])
    return value


def utc(local):
    "A naive UTC datetime of a Tbilisi wall-clock datetime"
    return local.replace(tzinfo=ZoneInfo(TIMEZONE)).astimezone(
        dt.timezone.utc).replace(tzinfo=None)


def clear_courier_day(tryton, employee, today):
    """Finish or cancel the courier's trips of today that the app would
    show: earlier runs left theirs in progress"""
    trips = tryton.model('delivery.trip', 'search_read', [
            ('courier', '=', employee),
            ('date', '=', rpc_date(today)),
            ('state', 'in', ['planned', 'in_progress']),
            ], 0, None, None, ['state'])
    planned = [t['id'] for t in trips if t['state'] == 'planned']
    running = [t['id'] for t in trips if t['state'] == 'in_progress']
    if planned:
        tryton.model('delivery.trip', 'cancel', planned)
    if running:
        tryton.model('delivery.trip', 'finish', running)


def next_hour():
    "The next full hour on the company's clock, naive, at least 10 min away"
    now = dt.datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None)
    return (now + dt.timedelta(minutes=70)).replace(
        minute=0, second=0, microsecond=0)


def window_text(index, base):
    "The window of the stop of RECIPIENTS[index] as the app shows it"
    start, end = RECIPIENTS[index][5]
    return (f'{base + dt.timedelta(hours=start):%H:%M}\u2013'
        f'{base + dt.timedelta(hours=end):%H:%M}')


def make_trip(tryton):
    "A planned trip of today for the courier: three stops, COD on the first"
    user, = tryton.model('res.user', 'search_read',
        [('login', '=', COURIER)], 0, None, None, ['employee'])
    employee = user['employee']
    courier, = tryton.model('company.employee', 'read', [employee],
        ['home_depot', 'company'])
    today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
    clear_courier_day(tryton, employee, today)

    stamp = dt.datetime.now().strftime('%H%M%S%f')[:9]
    party, = tryton.model('party.party', 'create', [{
                'name': f'{PREFIX} {stamp}',
                'delivery_customer': True,
                }])
    orders, stops = [], []
    base = next_hour()
    for index, (name, phone, street, latitude, longitude, (start, end)) \
            in enumerate(RECIPIENTS):
        window_start = utc(base + dt.timedelta(hours=start))
        window_end = utc(base + dt.timedelta(hours=end))
        cod = COD if index == 0 else Decimal(0)
        order, = tryton.model(ORDER, 'create', [{
                    'customer': party,
                    'sender': party,
                    'sender_name': f'{PREFIX} {stamp}',
                    'pickup_street': "Ilia Chavchavadze Ave 37",
                    'pickup_city': 'Tbilisi',
                    'pickup_latitude': 41.7095,
                    'pickup_longitude': 44.7571,
                    'recipient_name': name,
                    'recipient_phone': phone,
                    'delivery_street': street,
                    'delivery_city': 'Tbilisi',
                    'delivery_latitude': latitude,
                    'delivery_longitude': longitude,
                    'delivery_start': rpc_datetime(window_start),
                    'delivery_end': rpc_datetime(window_end),
                    'weight': 1.5,
                    'cod_amount': {
                        '__class__': 'Decimal', 'decimal': str(cod)},
                    }])
        orders.append(order)
        stops.append({
                'order': order,
                'kind': 'delivery',
                'sequence': (index + 1) * 10,
                'name': name,
                'phone': phone,
                'street': street,
                'city': 'Tbilisi',
                'latitude': latitude,
                'longitude': longitude,
                'window_start': rpc_datetime(window_start),
                'window_end': rpc_datetime(window_end),
                'planned_arrival': rpc_datetime(
                    window_start + dt.timedelta(minutes=20)),
                })
    tryton.model(ORDER, 'confirm', orders)
    trip, = tryton.model('delivery.trip', 'create', [{
                'company': courier['company'],
                'date': rpc_date(today),
                'courier': employee,
                'depot': courier['home_depot'],
                'stops': [('create', stops)],
                }])
    tryton.model('delivery.trip', 'plan', [trip])
    stop_ids = [s['id'] for s in tryton.model(STOP, 'search_read',
            [('trip', '=', trip)], 0, None, [('sequence', 'ASC')], ['id'])]
    return {'trip': trip, 'orders': orders, 'stops': stop_ids,
        'today': today, 'base': base}


def texts(server_url, database, lang):
    url = f'{server_url}/{database}/delivery/courier/texts?lang={lang}'
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


def png(width, height):
    "An RGB PNG with a gradient (a 'photo' larger than 1280 px)"
    rows = bytearray()
    line = bytes((x * 255 // width) for x in range(width))
    for y in range(height):
        shade = y * 255 // height
        rows.append(0)
        rows += bytes(b for x in line for b in (x, shade, 128))
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    return (b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
        + chunk(b'IDAT', zlib.compress(bytes(rows), 6))
        + chunk(b'IEND', b''))


def jpeg_size(data):
    "(width, height) from the SOF marker of a JPEG"
    assert data[:2] == b'\xff\xd8', "not a JPEG"
    index = 2
    while index < len(data):
        marker, length = data[index + 1], struct.unpack(
            '>H', data[index + 2:index + 4])[0]
        if marker in {0xc0, 0xc1, 0xc2}:
            height, width = struct.unpack('>HH', data[index + 5:index + 9])
            return width, height
        index += 2 + length
    raise AssertionError("no SOF marker in the JPEG")


# Page helpers ----------------------------------------------------------------

def stop_item(page, stop_id):
    return page.locator(f'#stops > li[data-stop="{stop_id}"]')


def draw_with_mouse(page, canvas):
    box = canvas.bounding_box()
    x, y = box['x'] + 20, box['y'] + box['height'] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + step * 22, y + (-1) ** step * 25, steps=3)
    page.mouse.up()


def draw_with_finger(context, page, canvas):
    "A stroke of touch events through the DevTools protocol"
    box = canvas.bounding_box()
    cdp = context.new_cdp_session(page)
    x, y = box['x'] + 30, box['y'] + box['height'] / 2
    cdp.send('Input.dispatchTouchEvent', {
            'type': 'touchStart', 'touchPoints': [{'x': x, 'y': y}]})
    for step in range(1, 10):
        cdp.send('Input.dispatchTouchEvent', {
                'type': 'touchMove', 'touchPoints': [{
                        'x': x + step * 25, 'y': y + (-1) ** step * 30}]})
    cdp.send('Input.dispatchTouchEvent', {
            'type': 'touchEnd', 'touchPoints': []})
    cdp.detach()


def log_in(page, app_url, language, words):
    "Log in with the courier's own user; the page speaks his language"
    page.goto(app_url)
    expect(page.locator('#login-view')).to_be_visible()
    page.locator('#login-name').fill(COURIER)
    page.locator('#login-password').fill(password(COURIER))
    page.locator('#login-button').click()
    expect(page.locator('#stops-view')).to_be_visible()
    expect(page.locator('html')).to_have_attribute('lang', language)
    expect(page.locator('#connection')).to_have_text(words['texts']['online'])


def expect_stop(page, stop_id, state, pending):
    item = stop_item(page, stop_id)
    expect(item).to_have_attribute('data-state', state)
    expect(item).to_have_attribute('data-pending', '1' if pending else '0')


# The test --------------------------------------------------------------------

@pytest.fixture
def app_url(server_url, tryton):
    "The courier app of the test database: the module serves it"
    url = f'{server_url}/{tryton.database}/delivery/courier/'
    urllib.request.urlopen(url, timeout=60).close()
    return url


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def test_courier_app_offline_queue(server_url, tryton, app_url, phone):
    data = make_trip(tryton)
    s1, s2, s3 = data['stops']
    o1, o2, o3 = data['orders']
    language = tryton.user(COURIER)['language']
    ka = texts(server_url, tryton.database, language)
    assert ka['lang'] == language

    page = phone.new_page()
    problems = []
    page.on('pageerror', lambda error: problems.append(str(error)))
    page.on('console', lambda message: problems.append(message.text)
        if 'Content Security Policy' in message.text else None)

    log_in(page, app_url, language, ka)

    # today's three stops, in the order of the trip
    items = page.locator('#stops > li')
    expect(items).to_have_count(3)
    assert [items.nth(i).get_attribute('data-stop') for i in range(3)] == [
        str(s) for s in (s1, s2, s3)]
    for index, (name, phone_number, street, *_) in enumerate(RECIPIENTS):
        item = items.nth(index)
        expect(item.locator('.stop-name')).to_have_text(name)
        expect(item.locator('.address')).to_contain_text(street)
        expect(item.locator('a[data-link="call"]')).to_have_attribute(
            'href', f'tel:{phone_number}')
        latitude, longitude = RECIPIENTS[index][3:5]
        expect(item.locator('a[data-link="navigate"]')).to_have_attribute(
            'href', f'https://maps.google.com/?daddr={latitude}%2C{longitude}')
    expect(stop_item(page, s1).locator('[data-field="window"]')).to_have_text(
        window_text(0, data['base']))
    expect(stop_item(page, s1).locator('[data-field="cod"]')).to_contain_text(
        '45.00')
    expect(stop_item(page, s2).locator('[data-field="cod"]')).to_have_count(0)
    assert page.evaluate("navigator.serviceWorker.ready.then("
        "() => caches.has('courier-app-v1'))")
    # installable: only the private browsing of the test context is in
    # the way
    cdp = phone.new_cdp_session(page)
    assert not cdp.send('Page.getAppManifest').get('errors')
    assert {e['errorId'] for e in cdp.send('Page.getInstallabilityErrors')[
            'installabilityErrors']} <= {'in-incognito'}
    cdp.detach()

    # online: stop 1 arrived, then delivered with name, signature and cash
    stop_item(page, s1).locator('[data-action="arrived"]').click()
    expect_stop(page, s1, 'arrived', pending=False)
    stop_item(page, s1).locator('[data-action="delivered"]').click()
    sheet = page.locator('#pod-sheet')
    expect(sheet).to_be_visible()
    expect(page.locator('#pod-name')).to_have_value(RECIPIENTS[0][0])
    page.locator('#pod-name').fill("Nino B.")
    page.locator('#pod-submit').click()
    expect(page.locator('#pod-error')).to_have_text(
        ka['texts']['signature_required'])
    draw_with_mouse(page, page.locator('#pod-signature'))
    expect(page.locator('#pod-signature')).to_have_attribute(
        'data-signed', '1')
    expect(page.locator('#pod-cod-amount')).to_have_value('45.00')
    page.locator('#pod-submit').click()
    expect(page.locator('#pod-error')).to_have_text(
        ka['texts']['cod_required'])
    page.locator('#pod-cod-confirm').check()
    page.locator('#pod-submit').click()
    expect(sheet).to_be_hidden()
    expect_stop(page, s1, 'done', pending=False)
    stop_item(page, s2).locator('[data-action="arrived"]').click()
    expect_stop(page, s2, 'arrived', pending=False)
    expect(page.locator('#queue')).to_be_hidden()

    # offline: stop 2 delivered (finger signature, photo), stop 3 failed
    phone.set_offline(True)
    expect(page.locator('#connection')).to_have_attribute('data-online', '0')
    expect(page.locator('#connection')).to_have_text(ka['texts']['offline'])
    stop_item(page, s2).locator('[data-action="delivered"]').click()
    expect(sheet).to_be_visible()
    draw_with_finger(phone, page, page.locator('#pod-signature'))
    expect(page.locator('#pod-signature')).to_have_attribute(
        'data-signed', '1')
    expect(page.locator('#pod-cod')).to_be_hidden()
    page.locator('#pod-photo').set_input_files(files=[{
                'name': 'door.png', 'mimeType': 'image/png',
                'buffer': png(2400, 1800)}])
    expect(page.locator('#pod-photo-preview')).to_be_visible()
    page.locator('#pod-submit').click()
    expect(sheet).to_be_hidden()
    expect_stop(page, s2, 'done', pending=True)

    stop_item(page, s3).locator('[data-action="failed"]').click()
    fail = page.locator('#fail-sheet')
    expect(fail).to_be_visible()
    reasons = dict(ka['reasons'])
    page.locator('#fail-reason').select_option('absent')
    expect(page.locator('#fail-reason option:checked')).to_have_text(
        reasons['absent'])
    page.locator('#fail-note').fill("Gate locked, no answer")
    page.locator('#fail-submit').click()
    expect(fail).to_be_hidden()
    expect_stop(page, s3, 'failed', pending=True)
    queue = page.locator('#queue')
    expect(queue).to_be_visible()
    expect(queue).to_have_attribute('data-count', '2')
    expect(queue).to_have_text(
        ka['texts']['queued'].replace('%(count)s', '2'))
    queued = page.evaluate('courierApp.pending()')
    assert [(a['stop'], a['action'], a['status']) for a in queued] == [
        (s2, 'delivered', 'queued'), (s3, 'failed', 'queued')]
    assert queued[0]['photo'].startswith('data:image/jpeg;base64,')
    assert queued[0]['signature'].startswith('data:image/png;base64,')
    assert queued[1]['reason'] == 'absent'
    # nothing reached the server
    assert tryton.model(ACTION, 'search_count', [('stop', 'in', [s2, s3])]) \
        == 1

    # reload offline: the service worker serves the page, the stops and the
    # queue come from the phone
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator('#stops-view')).to_be_visible()
    expect(items).to_have_count(3)
    expect(page.locator('#connection')).to_have_attribute('data-online', '0')
    expect_stop(page, s1, 'done', pending=False)
    expect_stop(page, s2, 'done', pending=True)
    expect_stop(page, s3, 'failed', pending=True)
    expect(queue).to_have_attribute('data-count', '2')

    # back online: the queue drains by itself
    phone.set_offline(False)
    expect(queue).to_be_hidden(timeout=30_000)
    expect(page.locator('#connection')).to_have_attribute('data-online', '1')
    expect_stop(page, s2, 'done', pending=False)
    expect_stop(page, s3, 'failed', pending=False)
    assert page.evaluate('courierApp.pending()') == []

    # the server applied each action once
    def actions_of(stop):
        return tryton.model(ACTION, 'search_read', [('stop', '=', stop)],
            0, None, [('id', 'ASC')], ['action', 'key', 'user', 'done_at'])
    assert [a['action'] for a in actions_of(s1)] == ['arrived', 'delivered']
    assert [a['action'] for a in actions_of(s2)] == ['arrived', 'delivered']
    assert [a['action'] for a in actions_of(s3)] == ['failed']
    assert actions_of(s2)[1]['key'] == queued[0]['key']
    assert actions_of(s3)[0]['key'] == queued[1]['key']

    orders = {o['id']: o for o in tryton.model(ORDER, 'read', [o1, o2, o3],
            ['state', 'cod_state', 'failure_reason', 'failed_attempts'])}
    assert orders[o1]['state'] == 'delivered'
    assert orders[o1]['cod_state'] == 'collected'
    assert orders[o2]['state'] == 'delivered'
    assert orders[o3]['state'] == 'failed'
    assert orders[o3]['failure_reason'] == 'absent'
    assert orders[o3]['failed_attempts'] == 1

    stops = {s['id']: s for s in tryton.model(STOP, 'read', [s1, s2, s3],
            ['state', 'pod_name', 'pod_signature', 'pod_photo',
                'failure_reason'])}
    assert stops[s1]['state'] == 'done'
    assert stops[s1]['pod_name'] == "Nino B."
    assert rpc_bytes(stops[s1]['pod_signature']).startswith(b'\x89PNG')
    assert stops[s1]['pod_photo'] is None
    assert stops[s2]['state'] == 'done'
    assert stops[s2]['pod_name'] == RECIPIENTS[1][0]
    assert rpc_bytes(stops[s2]['pod_signature']).startswith(b'\x89PNG')
    photo = rpc_bytes(stops[s2]['pod_photo'])
    assert len(photo) <= 2 * 1024 * 1024
    assert jpeg_size(photo) == (1280, 960)
    assert stops[s3]['state'] == 'failed'
    assert stops[s3]['failure_reason'] == 'absent'
    trip, = tryton.model('delivery.trip', 'read', [data['trip']], ['state'])
    assert trip['state'] == 'in_progress'

    # the same action again: through the page's sender, then over RPC
    assert page.evaluate('action => courierApp.send(action)',
        queued[1]) == 'duplicate'
    courier = Session(server_url, tryton.database, COURIER,
        password(COURIER))
    resend = {k: queued[0][k] for k in (
            'key', 'stop', 'action', 'time', 'name', 'signature', 'photo')}
    assert courier.model(STOP, 'courier_actions', [resend]) == ['duplicate']
    assert len(actions_of(s2)) == 2
    assert len(actions_of(s3)) == 1
    order, = tryton.model(ORDER, 'read', [o3], ['state', 'failed_attempts'])
    assert (order['state'], order['failed_attempts']) == ('failed', 1)

    assert not problems, problems


def test_courier_app_rejected_action(server_url, tryton, app_url, phone):
    """An action the server refuses is shown and parked, never sent again;
    the actions queued after it are sent"""
    data = make_trip(tryton)
    s1, s2, s3 = data['stops']
    language = tryton.user(COURIER)['language']
    ka = texts(server_url, tryton.database, language)
    page = phone.new_page()

    # a wrong password is told in the phone's language (en-US), the page
    # stays on the login
    english = texts(server_url, tryton.database, 'en')
    page.goto(app_url)
    expect(page.locator('html')).to_have_attribute('lang', 'en')
    page.locator('#login-name').fill(COURIER)
    page.locator('#login-password').fill('not the password')
    page.locator('#login-button').click()
    expect(page.locator('#login-error')).to_have_text(
        english['texts']['login_failed'])
    expect(page.locator('#stops-view')).to_be_hidden()
    log_in(page, app_url, language, ka)
    items = page.locator('#stops > li')
    expect(items).to_have_count(3)

    # offline, the courier arrives at stops 1 and 2 ...
    phone.set_offline(True)
    expect(page.locator('#connection')).to_have_attribute('data-online', '0')
    stop_item(page, s1).locator('[data-action="arrived"]').click()
    stop_item(page, s2).locator('[data-action="arrived"]').click()
    queue = page.locator('#queue')
    expect(queue).to_have_attribute('data-count', '2')
    # ... while the dispatcher takes stop 1 off the trip
    tryton.model(STOP, 'delete', [s1])

    phone.set_offline(False)
    rejected = page.locator('#rejected')
    expect(rejected).to_be_visible(timeout=30_000)
    expect(rejected.locator('li')).to_have_count(1)
    expect(rejected.locator('li .error')).not_to_be_empty()
    expect(queue).to_be_hidden()
    # stop 2's action went through; the list is the server's again
    expect(items).to_have_count(2)
    expect_stop(page, s2, 'arrived', pending=False)
    assert [a['action'] for a in tryton.model(ACTION, 'search_read',
            [('stop', '=', s2)], 0, None, None, ['action'])] == ['arrived']
    parked = page.evaluate('courierApp.pending()')
    assert [(a['stop'], a['action'], a['status']) for a in parked] == [
        (s1, 'arrived', 'rejected')]

    # a new sync does not send it again
    page.evaluate('courierApp.sync()')
    expect(rejected.locator('li')).to_have_count(1)
    assert page.evaluate('courierApp.pending()')[0]['status'] == 'rejected'
    assert not tryton.model(ACTION, 'search_count',
        [('key', '=', parked[0]['key'])])

    # the courier dismisses it
    rejected.locator('li button').last.click()
    expect(rejected).to_be_hidden()
    assert page.evaluate('courierApp.pending()') == []
