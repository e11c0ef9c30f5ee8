# This file is part of the Delivery CRM for Tryton.
"""Issue 5, "as a new user: plan a day in the browser, look at the schedule
and the map, see profitability", done in sao by the dispatcher.

- the dispatcher opens Delivery > Routes > Plan Trips, makes a planning of
  tomorrow (the form's default date), adds the Didube depot, gives the
  optimiser 1 second and clicks "Plan the Day": the planning runs in the
  queue (the test server has no worker: it runs once the request is
  committed) and the form shows it Done, with its message, the trips of
  the couriers of the depot and the orders not assigned with their reason
  (an order without delivery coordinates: "No coordinates");
- the schedule: Delivery > Routes > Trips lists the trips of the day, with
  their courier, stops and late stops; the trip carrying our orders opens
  with its stops in order (the load after each stop, the minutes late) and
  the link to its map; Delivery Schedule shows the stops of the day in its
  calendar with their courier;
- the profitability: Delivery > Routes > Courier Profitability, its period
  set to the planned day, shows each courier's trips, revenue, cost and
  profit, as the server computes them.

The browsers run in Tbilisi, where the dispatchers are: the calendars' "today"
is the company's. The orders of the day are made over RPC (as admin) for a
customer of this run ("Browser Plan <digits>") whose pickup address is next
to the depot: three orders with coordinates and time windows tomorrow and one
without delivery coordinates; the orders of an earlier run are cancelled
first, so that they do not pile up in tomorrow's planning.
"""
import datetime as dt
import json
import random
import re
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from test_contacts import (
    button_label, click_menu, enter, open_wizard, py_date, rpc_date,
    user_record)
from test_orders import (
    click_button, field_string, form, one2many_rows, open_page,
    open_row, selection_labels)
from test_roles import DELIVERY, current_tab, login, password
from test_trip_map import screenshot

from tests.jsonrpc import Session

PREFIX = 'Browser Plan'
ORDER = 'delivery.order'
PLAN = 'delivery.trip.plan'
TRIP = 'delivery.trip'
STOP = 'delivery.trip.stop'
PROFIT = 'delivery.trip.profit.courier'
ROUTES_MENU = 'delivery_courier_routes.menu_routes'
PLAN_MENU = 'delivery_courier_routes.menu_plan_form'
TRIPS_MENU = 'delivery_courier_routes.menu_trip_form'
SCHEDULE_MENU = 'delivery_courier_routes.menu_trip_stop_form'
PROFIT_MENU = 'delivery_courier_routes.menu_courier_profit'
DEPOT = 'DID'
# the dispatcher of the head office: group_dispatcher may create and run
# plannings (planning.xml), and his language is English
USER = 'dispatcher'
TIMEZONE = 'Asia/Tbilisi'

pytestmark = pytest.mark.browser_context_args(timezone_id=TIMEZONE)

# the customer's address, 300 m from the Didube depot (41.7479, 44.7806):
# the Didube depot is the nearest hub, it serves the orders
PICKUP = ("Akaki Tsereteli Ave 150", 'Tbilisi', 41.7505, 44.7785)
# recipient, street, latitude, longitude, delivery window (local hours)
RECIPIENTS = [
    ("Nino", "Pekini Ave 12", 41.7262, 44.7500, (10, 13)),
    ("Giorgi", "Vazha-Pshavela Ave 40", 41.7245, 44.7380, (11, 15)),
    ("Tamar", "Chavchavadze Ave 60", 41.7101, 44.7560, (12, 17)),
    ]
# an order whose recipient gave no coordinates: reported, not planned
LOST = ("Levan", "Somewhere St 1")

# the optimiser's time limit in the browser test: long enough to see the
# progress move, short enough for the suite
SEARCH_SECONDS = 4

# what the planning test leaves for the schedule and the profitability
PLANNED = {}


# RPC helpers -----------------------------------------------------------------

def rpc_datetime(value):
    return {
        '__class__': 'datetime', 'year': value.year, 'month': value.month,
        'day': value.day, 'hour': value.hour, 'minute': value.minute,
        'second': value.second, 'microsecond': 0}


def local_utc(day, hour):
    "The naive UTC datetime of hour o'clock on day in Tbilisi"
    value = dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(TIMEZONE))
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def decimal(value):
    if isinstance(value, dict):
        return Decimal(value['decimal'])
    return Decimal(str(value or 0))


def money(value):
    "A monetary amount as sao writes it (without its currency symbol)"
    return f'{abs(decimal(value)):,.2f}'


def dispatcher_session(server_url, tryton):
    return Session(server_url, tryton.database, USER, password(USER))


@pytest.fixture(scope='module')
def day(tryton):
    """Tomorrow in the company's time zone (the planning's default date)
    with the confirmed orders of a customer of this run: {'date',
    'customer' (its name), 'orders' (the routable ones), 'lost' (the one
    without coordinates), 'numbers' and 'recipients' (by order id),
    'names' (of the recipients), 'lost_name'}"""
    # the orders of earlier runs: cancelled, so that they leave the planning
    old = tryton.model(ORDER, 'search', [
            ('customer.name', 'like', f'{PREFIX} %'),
            ('state', 'in', ['confirmed', 'assigned']),
            ], 0, None, None)
    if old:
        tryton.model(ORDER, 'cancel', old)
    today = py_date(tryton.call('model.ir.date.today', tryton.context))
    date = today + dt.timedelta(days=1)
    suffix = f'{random.randrange(10**6):06d}'
    name = f'{PREFIX} {suffix}'
    street, city, latitude, longitude = PICKUP
    customer, = tryton.model('party.party', 'create', [{
                'name': name,
                'delivery_customer': True,
                'addresses': [('create', [{
                                'street': street, 'city': city,
                                'latitude': latitude,
                                'longitude': longitude,
                                }])],
                }])
    common = {
        'customer': customer,
        'sender': customer,
        'sender_name': name,
        'sender_phone': '+995555123456',
        'pickup_street': street,
        'pickup_city': city,
        'pickup_latitude': latitude,
        'pickup_longitude': longitude,
        'pickup_start': rpc_datetime(local_utc(date, 9)),
        'pickup_end': rpc_datetime(local_utc(date, 12)),
        'recipient_phone': '+995555654321',
        'delivery_city': 'Tbilisi',
        'weight': 2.0,
        }
    names = [f"{recipient} {suffix}" for recipient, *_ in RECIPIENTS]
    values = [{
            **common,
            'recipient_name': recipient,
            'delivery_street': street,
            'delivery_latitude': latitude,
            'delivery_longitude': longitude,
            'delivery_start': rpc_datetime(local_utc(date, start)),
            'delivery_end': rpc_datetime(local_utc(date, end)),
            } for recipient, (_, street, latitude, longitude, (start, end))
        in zip(names, RECIPIENTS)]
    lost_name = f"{LOST[0]} {suffix}"
    values.append({
            **common,
            'recipient_name': lost_name,
            'delivery_street': LOST[1],
            'delivery_start': rpc_datetime(local_utc(date, 10)),
            'delivery_end': rpc_datetime(local_utc(date, 18)),
            })
    ids = tryton.model(ORDER, 'create', values)
    tryton.model(ORDER, 'confirm', ids)
    orders = tryton.model(ORDER, 'read', ids,
        ['state', 'number', 'routing_issue', 'legs'])
    assert [o['state'] for o in orders] == ['confirmed'] * len(ids), orders
    assert orders[-1]['routing_issue'] == 'delivery_coordinates', orders[-1]
    return {
        'date': date,
        'customer': name,
        'orders': ids[:-1],
        'lost': ids[-1],
        'numbers': {o['id']: o['number'] for o in orders},
        'names': names,
        'recipients': dict(zip(ids, names)),
        'lost_name': lost_name,
        }


@pytest.fixture(scope='module')
def info(tryton):
    "The dispatcher: language, date format; the labels of his menus"
    info = user_record(tryton, USER)
    info['labels'] = lambda xml_id: tryton.menu_label(
        xml_id, info['language'])
    return info


@pytest.fixture(autouse=True)
def no_script_error(page):
    "Fail on an error of sao's JavaScript (a view it cannot draw)"
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    yield errors
    assert not errors, f"sao raised: {errors}"


def depot(tryton, language):
    "id and name of the depot as the user sees it"
    hub, = tryton.call('model.delivery.hub.search_read',
        [('code', '=', DEPOT)], 0, 1, None, ['rec_name', 'name'],
        dict(tryton.context, language=language))
    return hub


def plan_result(tryton, plan_id, language):
    "The planning as the server has it, with its trips and unassigned"
    plan, = tryton.call(f'model.{PLAN}.read', [plan_id],
        ['state', 'message', 'date', 'trips', 'unassigned'],
        dict(tryton.context, language=language))
    plan['trips'] = tryton.model(TRIP, 'read', plan['trips'],
        ['reference', 'courier', 'courier.rec_name', 'stop_count',
            'late_count', 'state', 'stops'])
    plan['unassigned'] = tryton.call(
        'model.delivery.trip.plan.unassigned.read', plan['unassigned'],
        ['order', 'reason', 'advice', 'customer.rec_name'],
        dict(tryton.context, language=language))
    return plan


def stops_of(tryton, trips):
    "{order id: [(trip id, kind)]} of the stops of trips"
    stops = tryton.model(STOP, 'search_read',
        [('trip', 'in', [t['id'] for t in trips])], 0, None, None,
        ['trip', 'order', 'kind'])
    result = {}
    for stop in stops:
        result.setdefault(stop['order'], []).append(
            (stop['trip'], stop['kind']))
    return result


def plan_over_rpc(server_url, tryton, day):
    """Plan the day as the dispatcher over RPC (when the planning test did
    not run or failed): what the schedule and the profitability start from"""
    dispatcher = dispatcher_session(server_url, tryton)
    hub = depot(tryton, 'en')
    plan_id, = dispatcher.model(PLAN, 'create', [{
                'date': rpc_date(day['date']),
                'depots': [('add', [hub['id']])],
                'time_limit': 1,
                }])
    dispatcher.model(PLAN, 'run', [plan_id])
    plan = finished(tryton, plan_id)
    assert plan['state'] == 'done', plan
    return plan_id


def finished(tryton, plan_id, timeout=60):
    """The planning once it has ended: Run returns at once, the search
    goes on in the server (a thread of the web process without a worker)"""
    deadline = time.monotonic() + timeout
    while True:
        plan = plan_result(tryton, plan_id, 'en')
        if plan['state'] in {'done', 'failed'} or (
                time.monotonic() > deadline):
            return plan
        time.sleep(0.2)


def planned(server_url, tryton, day):
    "The planning of the day: the planning test's, else a new one"
    plan_id = PLANNED.get('plan') or plan_over_rpc(server_url, tryton, day)
    return plan_result(tryton, plan_id, 'en')


# sao helpers -----------------------------------------------------------------

def tab_title(labels, *xml_ids):
    return ' / '.join(labels(x) for x in [DELIVERY, *xml_ids])


def open_menu(page, menu, info, *xml_ids):
    "Click Delivery > Routes > ...; return the tab once it shows its title"
    click_menu(page, menu, info['labels'], ROUTES_MENU, *xml_ids)
    tab = current_tab(page)
    expect(tab.locator('nav.toolbar .title').first).to_have_attribute(
        'title', tab_title(info['labels'], ROUTES_MENU, *xml_ids))
    page.wait_for_load_state('networkidle')
    return tab


def column(table, label):
    """The texts of the column named label of a sao list (table), row by
    row, or None when the list has no such column shown"""
    return table.evaluate('''(table, label) => {
        const heads = [...table.querySelectorAll(':scope > thead > tr > th')];
        const index = heads.findIndex(th => {
            const text = th.querySelector('.header label');
            return text && text.textContent.trim() === label
                && th.offsetParent !== null;
        });
        if (index < 0) {
            return null;
        }
        return [...table.querySelectorAll(':scope > tbody > tr')].map(
            tr => (tr.children[index] ? tr.children[index].innerText : '')
                .trim());
    }''', label)


def enter_integer(page, tab, name, value):
    """Type value into an integer field of the form and leave it: sao swaps
    its text input for a number input while it has the focus (a form
    still filling its default values may take the focus back: again)"""
    text = form(tab).locator(f'input[name="{name}"]:not([type="number"])')
    number = form(tab).locator(f'input[name="{name}"][type="number"]')
    for _ in range(5):
        try:
            text.click()
            expect(number).to_be_focused(timeout=3_000)
            number.fill(str(value))
            number.press('Tab')
            expect(number).to_be_hidden(timeout=3_000)
            expect(text).to_have_value(str(value), timeout=3_000)
            return
        except AssertionError:
            page.wait_for_load_state('networkidle')
    expect(text).to_have_value(str(value))


def total(table, label):
    """The total of the column named label of a sao list, as its footer
    shows it below the total of the selected rows"""
    return table.evaluate('''(table, label) => {
        const heads = [...table.querySelectorAll(':scope > thead > tr > th')];
        const index = heads.findIndex(th => {
            const text = th.querySelector('.header label');
            return text && text.textContent.trim() === label;
        });
        const foot = table.querySelector(':scope > tfoot > tr');
        if (index < 0 || !foot || !foot.children[index]) {
            return null;
        }
        const lines = foot.children[index].innerText.trim().split('\\n');
        return lines[lines.length - 1].trim();
    }''', label)


def add_depot(page, tab, name, typed):
    "Add the depot named name to the Many2Many of the planning's depots"
    field = form(tab).locator('input[name="depots"]')
    widget = field.locator('xpath=ancestor::div[contains(concat(" ", '
        '@class, " "), " form-many2many ")][1]')
    rows = widget.locator('.treeview tbody tr').filter(has_text=name)
    for _ in range(5):
        field.click()
        field.fill('')
        field.press_sequentially(typed, delay=50)
        item = field.locator('xpath=..').locator(
            '.dropdown-completion li.completion a').filter(has_text=name)
        try:
            expect(item.first).to_be_visible(timeout=5_000)
            item.first.click()
            expect(rows).to_have_count(1, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(rows).to_have_count(1)


def watch_progress(page, tab, timeout):
    """[(state, progress in %)] the form shows until the planning is done
    (or failed), read every 0.2 s without reloading it"""
    select = form(tab).locator('select[name="state"]')
    bar = form(tab).locator('.progress .progress-bar')
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(select.input_value())
        value = float(bar.get_attribute('aria-valuenow') or 0)
        if not seen or seen[-1] != (state, value):
            seen.append((state, value))
        if state == 'failed':
            message = form(tab).locator('textarea[name="message"]')
            raise AssertionError(
                f"the planning failed: {message.input_value()}")
        if state == 'done':
            return seen
        page.wait_for_timeout(200)
    raise AssertionError(f"the planning did not end in {timeout} s: {seen}")


def expect_plan_state(page, tab, state, timeout=45):
    """Wait until the form shows the planning in state, reloading it: the
    planning runs in the queue, the form shows what was committed"""
    select = form(tab).locator('select[name="state"]')
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(select).to_have_value(json.dumps(state), timeout=3_000)
            return
        except AssertionError:
            if select.input_value() == json.dumps('failed'):
                message = form(tab).locator('textarea[name="message"]')
                raise AssertionError(
                    f"the planning failed: {message.input_value()}")
            if time.monotonic() > deadline:
                raise
        page.wait_for_load_state('networkidle')
        tab.locator('nav.toolbar button#reload').click()
        page.wait_for_load_state('networkidle')


def search(page, tab, text, count):
    """Search text in the list of the tab until it shows count rows (sao
    may draw the search it made on opening the tab after ours)"""
    box = tab.locator('.filter-box input').first
    rows = tab.locator('.treeview tbody tr')
    for _ in range(5):
        box.fill(text)
        box.press('Enter')
        page.wait_for_load_state('networkidle')
        try:
            expect(box).to_have_value(text, timeout=2_000)
            expect(rows).to_have_count(count, timeout=5_000)
            return rows
        except AssertionError:
            continue
    expect(rows).to_have_count(count)
    return rows


# the tests -------------------------------------------------------------------

def test_plan_the_day(page, server_url, tryton, day, info, record_property):
    """The dispatcher plans tomorrow at the Didube depot with a time limit
    of 1 s: the planning is done, its trips and the order without
    coordinates are listed"""
    language = info['language']
    hub = depot(tryton, language)
    reasons = selection_labels(tryton, 'delivery.trip.plan.unassigned',
        'reason', language)
    states = selection_labels(tryton, PLAN, 'state', language)
    menu = login(page, server_url, USER)

    start = time.monotonic()
    tab = open_menu(page, menu, info, PLAN_MENU)
    expect(tab.locator('.treeview').first).to_be_visible()
    tab.locator('nav.toolbar button#new_').click()
    date = form(tab).locator('input[name="date"]').first
    # a new planning is for tomorrow
    expect(date).to_have_value(day['date'].strftime(info['date']))
    expect(form(tab).locator('select[name="state"]')).to_have_value(
        json.dumps('draft'))
    page.wait_for_load_state('networkidle')
    enter_integer(page, tab, 'time_limit', SEARCH_SECONDS)
    add_depot(page, tab, hub['name'], DEPOT)
    clicked = time.monotonic()
    click_button(tab, 'run')
    # the client is not blocked: the form is back, queued or running,
    # long before the search ends (no worker here: a thread of the server
    # plans), and shows its progress live, nobody pressing Reload
    select = form(tab).locator('select[name="state"]')
    expect(select).not_to_have_value(json.dumps('draft'), timeout=10_000)
    back = time.monotonic() - clicked
    assert back < SEARCH_SECONDS, f"the form was blocked {back:.1f} s"
    seen = watch_progress(page, tab, timeout=60)
    running = [v for state, v in seen if state == 'running']
    assert any(0 < v < 100 for v in running), seen
    assert seen[-1] == ('done', 100.0), seen[-1]
    assert [v for _, v in seen] == sorted(v for _, v in seen), seen
    elapsed = time.monotonic() - start
    record_property('seconds', round(elapsed, 1))
    print(f"\nthe day planned in {elapsed:.1f} s")
    expect(form(tab).locator('select[name="state"] option:checked')
        ).to_have_text(states['done'])

    # which planning the form shows: the newest of the dispatcher's
    plans = tryton.model(PLAN, 'search_read', [
            ('date', '=', rpc_date(day['date'])),
            ('create_uid.login', '=', USER),
            ], 0, 1, [('id', 'DESC')], ['id'])
    assert plans
    plan = plan_result(tryton, plans[0]['id'], language)
    PLANNED['plan'] = plan['id']
    assert plan['state'] == 'done', plan
    assert plan['trips'], "the planning made no trip"

    # the message: how many trips, stops and orders not assigned
    message = form(tab).locator('textarea[name="message"]')
    expect(message).to_have_value(plan['message'])
    assert str(len(plan['trips'])) in plan['message']
    # our orders with coordinates are on the trips, picked up and delivered
    # by the same courier; the order without coordinates is not
    stops = stops_of(tryton, plan['trips'])
    for order in day['orders']:
        kinds = stops.get(order, [])
        assert sorted(k for _, k in kinds) == ['delivery', 'pickup'], (
            day['numbers'][order], kinds)
        assert len({t for t, _ in kinds}) == 1, kinds
    assert day['lost'] not in stops
    unassigned = {u['order']: u['reason'] for u in plan['unassigned']}
    assert unassigned.get(day['lost']) == 'no_coordinates', unassigned
    for order in day['orders']:
        assert order not in unassigned, unassigned

    # the trips page: one row per trip, its courier and its stops
    open_page(page, tab, field_string(tryton, PLAN, 'trips', language))
    rows = one2many_rows(tab, field_string(tryton, PLAN, 'trips', language))
    expect(rows).to_have_count(len(plan['trips']))
    for trip in plan['trips']:
        row = rows.filter(has_text=trip['reference'])
        expect(row).to_have_count(1)
        expect(row).to_contain_text(trip['courier.']['rec_name'])
    table = rows.first.locator('xpath=ancestor::table[1]')
    shown = column(table, field_string(tryton, TRIP, 'stop_count', language))
    assert shown is not None, "the trips have no column of their stops"
    assert sorted(shown) == sorted(
        str(t['stop_count']) for t in plan['trips']), shown

    # the orders not assigned, with their reason
    label = field_string(tryton, PLAN, 'unassigned', language)
    open_page(page, tab, label)
    rows = one2many_rows(tab, label)
    expect(rows).to_have_count(len(plan['unassigned']))
    lost = rows.filter(has_text=day['numbers'][day['lost']])
    expect(lost).to_have_count(1)
    expect(lost).to_contain_text(reasons['no_coordinates'])
    # the count the page shows is the number of its rows; each row says
    # whose order it is and what the dispatcher can do about it
    expect(form(tab).locator(
        'input[name="unassigned_count"]:not([type="number"])')).to_have_value(
        str(len(plan['unassigned'])))
    lost_row, = [u for u in plan['unassigned'] if u['order'] == day['lost']]
    assert lost_row['advice'], lost_row
    expect(lost).to_contain_text(lost_row['advice'])
    expect(lost).to_contain_text(lost_row['customer.']['rec_name'])
    for order in day['orders']:
        expect(rows.filter(has_text=day['numbers'][order])).to_have_count(0)
    assert elapsed < 60, f"planning the day took {elapsed:.0f} s"


def test_schedule_of_the_day(page, server_url, tryton, day, info):
    """The dispatcher looks at the trips of the planned day, opens the trip
    of our orders and finds its stops in the Delivery Schedule calendar"""
    language = info['language']
    plan = planned(server_url, tryton, day)
    trips = tryton.model(TRIP, 'search_read', [
            ('date', '=', rpc_date(day['date'])),
            ], 0, None, None,
        ['reference', 'courier.rec_name', 'stop_count', 'late_count',
            'depot.code', 'map_url'])
    assert {t['id'] for t in plan['trips']} <= {t['id'] for t in trips}
    stops = stops_of(tryton, plan['trips'])
    ours = {trip for order in day['orders'] for trip, _ in stops[order]}
    trip = next(t for t in trips if t['id'] == min(ours))
    courier = trip['courier.']['rec_name']
    trip_stops = tryton.model(STOP, 'search_read',
        [('trip', '=', trip['id'])], 0, None, [('sequence', 'ASC')],
        ['name', 'kind', 'load_weight', 'late', 'order'])
    menu = login(page, server_url, USER)

    # Routes > Trips: the trips of the day with their courier and stops
    tab = open_menu(page, menu, info, TRIPS_MENU)
    date_label = field_string(tryton, TRIP, 'date', language)
    rows = search(page, tab,
        f'{date_label}: {day["date"].strftime(info["date"])}', len(trips))
    for each in trips:
        row = rows.filter(has_text=each['reference'])
        expect(row).to_have_count(1)
        expect(row).to_contain_text(each['courier.']['rec_name'])
    table = tab.locator('.treeview table').first
    for name, field in [('stop_count', 'stop_count'),
            ('late_count', 'late_count')]:
        shown = column(table, field_string(tryton, TRIP, name, language))
        assert shown is not None, f"no column {name} in the trips"
        assert sorted(shown) == sorted(str(t[field]) for t in trips), shown
    couriers = column(table, field_string(tryton, TRIP, 'courier', language))
    assert sorted(couriers) == sorted(
        t['courier.']['rec_name'] for t in trips), couriers

    # the trip of our orders: its stops in their order, loads and lateness,
    # on a laptop's 1,366 px screen
    page.set_viewport_size({'width': 1366, 'height': 768})
    row = rows.filter(has_text=trip['reference'])
    open_row(page, row)
    expect(form(tab).locator('input[name="reference"]').first
        ).to_have_value(trip['reference'])
    expect(form(tab).locator('input[name="courier"]').first).to_have_value(
        courier)
    label = field_string(tryton, TRIP, 'stops', language)
    stop_rows = one2many_rows(tab, label)
    expect(stop_rows).to_have_count(len(trip_stops))
    for stop_row, stop in zip(stop_rows.all(), trip_stops):
        expect(stop_row).to_contain_text(stop['name'])
    stop_table = stop_rows.first.locator('xpath=ancestor::table[1]')
    loads = column(stop_table,
        field_string(tryton, STOP, 'load_weight', language))
    late = column(stop_table, field_string(tryton, STOP, 'late', language))
    assert loads is not None and late is not None, (loads, late)
    assert [float(v.replace(',', '')) for v in loads] == pytest.approx(
        [s['load_weight'] for s in trip_stops]), loads
    assert [int(v or 0) for v in late] == [s['late'] or 0
        for s in trip_stops], late
    # our orders on this trip: picked up at the customer's, then delivered
    on_trip = [o for o in day['orders'] if stops[o][0][0] == trip['id']]
    expect(stop_rows.filter(has_text=day['customer'])).to_have_count(
        len(on_trip))
    for order in on_trip:
        expect(stop_rows.filter(has_text=day['recipients'][order])
            ).to_have_count(1)
    # the map of the trip, a link
    link = form(tab).locator('.form-url a[href*="/delivery/trip/"]')
    expect(link).to_have_attribute('href', trip['map_url'])
    # nothing of the form is out of sight sideways: neither the page nor
    # the list of the stops scrolls, no field ends beyond the screen
    assert page.evaluate(
        'document.documentElement.scrollWidth <= window.innerWidth')
    overflow = stop_table.evaluate('''table => {
        const box = table.closest('.treeview');
        return box.scrollWidth - box.clientWidth;
    }''')
    assert overflow <= 1, f"the stops scroll sideways by {overflow} px"
    beyond = out_of_sight(tab)
    assert not beyond, f"beyond the right edge of the screen: {beyond}"
    screenshot(page, f'trip-form-1366-{language}.png')
    page.set_viewport_size({'width': 1400, 'height': 900})

    # Delivery Schedule: the list of the stops of the day, each with its
    # day, courier, trip, window, planned time and lateness
    context = dict(tryton.context, language=language)
    day_stops = tryton.call(f'model.{STOP}.search_read', [
            ('date', '=', rpc_date(day['date'])),
            ('planned_arrival', '!=', None),
            ], 0, None, None,
        ['name', 'courier', 'courier.rec_name', 'trip.rec_name', 'late',
            'calendar_title', 'window_text', 'calendar_color'], context)
    tab = open_menu(page, menu, info, SCHEDULE_MENU)
    expect(tab.locator('.treeview').first).to_be_visible()
    date_label = field_string(tryton, STOP, 'date', language)
    date_text = day['date'].strftime(info['date'])
    search(page, tab, f'{date_label}: {date_text}', len(day_stops))
    table = tab.locator('.treeview table').first
    shown = {}
    for name in ['date', 'courier', 'trip', 'window_start', 'window_end',
            'planned_arrival', 'late']:
        shown[name] = column(table, field_string(
                tryton, STOP, name, language))
        assert shown[name] is not None, f"no column {name} in the schedule"
    assert set(shown['date']) == {date_text}, shown['date']
    assert sorted(shown['courier']) == sorted(
        s['courier.']['rec_name'] for s in day_stops), shown['courier']
    assert sorted(shown['trip']) == sorted(
        s['trip.']['rec_name'] for s in day_stops), shown['trip']
    assert sorted(int(v or 0) for v in shown['late']) == sorted(
        s['late'] or 0 for s in day_stops), shown['late']
    # planned times as hours of the day (HH:MM), never empty
    assert all(len(v) == 5 and v[2] == ':' for v in shown['planned_arrival']
        ), shown['planned_arrival']
    screenshot(page, f'schedule-list-{language}.png')

    # the same stops on the calendar, one colour per courier, each entry
    # saying the stop: kind, name, city (lateness), courier, window
    def title(stop):
        return (f"{stop['calendar_title']}\n{stop['courier.']['rec_name']}"
            f"\n{stop['window_text']}")

    tab.locator('nav.toolbar button#switch_').click()
    calendar = tab.locator('.calendar').first
    expect(calendar).to_be_visible()
    events = calendar_day(page, calendar, day['date'],
        sorted(title(s) for s in day_stops))
    couriers = {t['id']: t['courier.']['rec_name'] for t in trips}
    for order in day['orders']:
        event = events.filter(has_text=day['recipients'][order])
        expect(event).to_have_count(1)
        assert couriers[stops[order][0][0]] in event.get_attribute('title')
    expect(events.filter(has_text=day['customer'])).to_have_count(
        len(day['orders']))
    expect(events.filter(has_text=day['lost_name'])).to_have_count(0)
    colours = events.evaluate_all('events => events.map(e => '
        'getComputedStyle(e).backgroundColor)')
    by_courier = {}
    for stop in day_stops:
        by_courier.setdefault(stop['courier'], set()).add(
            stop['calendar_color'])
    assert all(len(c) == 1 for c in by_courier.values()), by_courier
    assert len(set(colours)) == len(
        {c for cs in by_courier.values() for c in cs}), colours
    screenshot(page, f'schedule-calendar-{language}.png')

    # the calendar of one courier: his stops of the day only
    courier_label = field_string(tryton, STOP, 'courier', language)
    box = tab.locator('.filter-box input').first
    box.fill(f'{date_label}: {date_text} {courier_label}: "{courier}"')
    box.press('Enter')
    page.wait_for_load_state('networkidle')
    mine = [s for s in day_stops if s['courier.']['rec_name'] == courier]
    calendar_day(page, calendar, day['date'],
        sorted(title(s) for s in mine), move=False)
    screenshot(page, f'schedule-courier-{language}.png')
    # (the search is the calendar's: a courier without stops shows none)
    box.fill(f'{date_label}: {date_text} {courier_label}: "Nobody {PREFIX}"')
    box.press('Enter')
    calendar_day(page, calendar, day['date'], [], move=False)


def test_dispatcher_board(page, server_url, tryton, day, info):
    """Routes > Dispatcher Board opens the trips of the planned day side by
    side in a new tab: a column per trip with its courier, stops, distance
    and load, each stop with its planned time, and the orders left out"""
    language = info['language']
    plan = planned(server_url, tryton, day)
    trips = tryton.call(f'model.{TRIP}.search_read', [
            ('date', '=', rpc_date(day['date'])),
            ('state', '!=', 'cancelled'),
            ], 0, None, None,
        ['reference', 'courier.rec_name', 'stop_count'],
        dict(tryton.context, language=language))
    assert {t['id'] for t in plan['trips']} <= {t['id'] for t in trips}
    stops = stops_of(tryton, plan['trips'])
    menu = login(page, server_url, USER)
    dialog = open_wizard(page, menu, info['labels'], ROUTES_MENU,
        'delivery_courier_routes.menu_board')
    date = dialog.locator('input[name="date"]').first
    # today by default: the dispatcher looks at the planned day
    enter(date, day['date'].strftime(info['date']))
    with page.context.expect_page() as opened:
        dialog.get_by_role('button', exact=True, name=button_label(
                tryton, language, 'delivery.trip.board', 'start', 'open_',
                "Open")).click()
    board = opened.value
    board.set_viewport_size({'width': 1366, 'height': 768})
    board.wait_for_load_state()
    expect(dialog).to_have_count(0)
    columns = board.locator('section.column[data-trip]')
    expect(columns).to_have_count(len(trips))
    for trip in trips:
        column = board.locator(f'section.column[data-trip="{trip["id"]}"]')
        expect(column.locator('h2')).to_have_text(
            trip['courier.']['rec_name'])
        expect(column.locator('.what')).to_contain_text(trip['reference'])
        expect(column.locator('li.card')).to_have_count(trip['stop_count'])
    for order in day['orders']:
        trip_id = stops[order][0][0]
        card = board.locator(f'section.column[data-trip="{trip_id}"] '
            'li.card').filter(has_text=day['recipients'][order])
        expect(card).to_have_count(1)
        expect(card.locator('.time')).to_have_text(re.compile(r'^\d\d:\d\d$'))
    # the order without coordinates: in the column of the orders left out
    left_out = board.locator('section.unassigned-column li.card')
    expect(left_out.filter(has_text=day['lost_name'])).to_have_count(1)
    # the page fits the screen: only the board scrolls sideways
    assert board.evaluate(
        'document.documentElement.scrollWidth <= window.innerWidth')
    screenshot(board, f'board-{language}.png')
    # in Georgian: the link of the language switch, the same board
    other = 'en' if language == 'ka' else 'ka'
    board.locator(f'nav.languages a[hreflang="{other}"]').click()
    board.wait_for_load_state()
    expect(board.locator('html')).to_have_attribute('lang', other)
    expect(columns).to_have_count(len(trips))
    if other == 'ka':
        expect(board.locator('h1')).to_contain_text('დისპეტჩერის დაფა')
        expect(board.locator('section.unassigned-column h2')).to_have_text(
            'გაუნაწილებელი')
        # the advice in the reader's language, not in the planner's
        advice = board.locator('section.unassigned-column li.card').filter(
            has_text=day['lost_name']).locator('.advice')
        expect(advice).to_contain_text('მიუთითეთ მიწოდების მისამართის')
    screenshot(board, f'board-{other}.png')
    board.close()


def out_of_sight(tab):
    """The outermost visible elements of the tab that end beyond the right
    edge of the window (tag, class, name, how far)"""
    return tab.evaluate("""tab => {
        const limit = window.innerWidth + 1;
        const found = [];
        for (const el of tab.querySelectorAll('*')) {
            const box = el.getBoundingClientRect();
            if (!box.width || !box.height || box.right <= limit
                    || el.closest('.tab-pane:not(.active)')) {
                continue;
            }
            const style = getComputedStyle(el);
            if (style.visibility == 'hidden') {
                continue;
            }
            if (found.some(f => f.el.contains(el))) {
                continue;
            }
            found.push({el: el, text: el.tagName + '.'
                + (el.className.baseVal ?? el.className) + ' '
                + (el.getAttribute('name') || el.getAttribute('id') || '')
                + ' +' + Math.round(box.right - window.innerWidth)});
        }
        return found.map(f => f.text);
    }""")


def settled(page):
    """Wait until the calendar of the current tab has drawn the events it
    asked the server for: a click while it fetches draws them twice"""
    page.wait_for_load_state('networkidle')
    page.wait_for_function("""() => {
        const tab = Sao.Tab.tabs.get_current();
        const view = tab && tab.screen && tab.screen.current_view;
        return view && view.view_type == 'calendar' && !view.processing;
    }""")


def calendar_day(page, calendar, date, expected, move=True):
    """The events of the calendar on date once their titles are expected:
    the calendar opens on today (the browser is in Tbilisi, as the
    company), the planned day is one click away. sao draws today's stops
    first; a click before it is done draws the next day's stops twice"""
    settled(page)
    if move:
        calendar.locator('.fc-next-button').click()
        settled(page)
    expect(calendar.locator('.fc-center h2')).to_have_text(
        f'{date:%B} {date.day}, {date.year}')
    events = calendar.locator('.fc-event')
    titles = []
    for _ in range(10):
        try:
            # drawn once the stops of the day come back from the server
            expect(events).to_have_count(len(expected), timeout=5_000)
        except AssertionError:
            pass
        titles = sorted(events.evaluate_all(
                'events => events.map(e => e.getAttribute("title"))'))
        if titles == expected:
            break
        # not drawn, or drawn twice (a click during the first drawing):
        # the user goes back and forth
        calendar.locator('.fc-prev-button').click()
        settled(page)
        calendar.locator('.fc-next-button').click()
        settled(page)
    assert titles == expected, (titles, expected)
    # the calendar searched its days without an error of the server
    expect(page.locator('.error-dialog')).to_have_count(0)
    return events


def test_profitability_of_the_day(page, server_url, tryton, day, info):
    """The dispatcher sets the period of Courier Profitability to the
    planned day: each courier's trips, revenue, cost and profit"""
    language = info['language']
    plan = planned(server_url, tryton, day)
    date = rpc_date(day['date'])
    context = dict(tryton.context, from_date=date, to_date=date,
        language=language)
    expected = tryton.call(f'model.{PROFIT}.search_read', [], 0, None, None,
        ['courier.rec_name', 'trips', 'stops', 'revenue', 'cost', 'profit'],
        context)
    couriers = {t['courier.']['rec_name'] for t in plan['trips']}
    assert couriers <= {e['courier.']['rec_name'] for e in expected}
    for row in expected:
        assert decimal(row['profit']) == (
            decimal(row['revenue']) - decimal(row['cost']))
    assert sum(decimal(r['revenue']) for r in expected) > 0, expected
    menu = login(page, server_url, USER)

    tab = open_menu(page, menu, info, PROFIT_MENU)
    shown_date = day['date'].strftime(info['date'])
    from_date = tab.locator('input[name="from_date"]').first
    to_date = tab.locator('input[name="to_date"]').first
    expect(to_date).to_be_visible()
    rows = tab.locator('.treeview tbody tr')
    # the later date first: the period stays valid (from <= to)
    for _ in range(5):
        if to_date.input_value() != shown_date:
            enter(to_date, shown_date)
        if from_date.input_value() != shown_date:
            enter(from_date, shown_date)
        page.wait_for_load_state('networkidle')
        if (from_date.input_value() == shown_date
                and to_date.input_value() == shown_date):
            break
    expect(from_date).to_have_value(shown_date)
    expect(to_date).to_have_value(shown_date)
    # sao applies the period when the user searches
    search_button = tab.locator(
        '.filter-box button[type="submit"]:visible').first
    for _ in range(3):
        search_button.click()
        page.wait_for_load_state('networkidle')
        try:
            expect(rows).to_have_count(len(expected), timeout=5_000)
            break
        except AssertionError:
            continue
    expect(rows).to_have_count(len(expected))
    table = tab.locator('.treeview table').first
    labels = {name: field_string(tryton, PROFIT, name, language)
        for name in ['courier', 'trips', 'revenue', 'cost', 'profit']}
    for _ in range(20):
        names = column(table, labels['courier'])
        if names and sorted(names) == sorted(
                e['courier.']['rec_name'] for e in expected):
            break
        page.wait_for_load_state('networkidle')
    values = {name: column(table, label) for name, label in labels.items()}
    assert sorted(values['courier']) == sorted(
        e['courier.']['rec_name'] for e in expected), values
    for row in expected:
        index = values['courier'].index(row['courier.']['rec_name'])
        assert values['trips'][index] == str(row['trips']), values
        for name in ['revenue', 'cost', 'profit']:
            assert money(row[name]) in values[name][index], (
                name, row[name], values[name][index])
            if decimal(row[name]) < 0:
                assert '-' in values[name][index]
    # the totals of the period, below the columns
    for name in ['revenue', 'cost', 'profit']:
        amount = sum(decimal(r[name]) for r in expected)
        shown = total(table, labels[name])
        assert shown and shown.endswith(money(amount)), (name, amount, shown)
        assert shown.startswith('-') == (amount < 0), (name, amount, shown)


def rpc_time(hour, minute):
    return {'__class__': 'time', 'hour': hour, 'minute': minute,
        'second': 0, 'microsecond': 0}


def test_no_stop_in_the_past(page, server_url, tryton, info):
    """The dispatcher plans today: no stop is planned before the planning
    started plus the lead time (30 min), and the Delivery Schedule in sao
    shows it so. The couriers of the depot work round the clock for the
    test, so that they are not off duty whatever the time of the run."""
    language = info['language']
    zone = ZoneInfo(TIMEZONE)
    today = py_date(tryton.call('model.ir.date.today', tryton.context))
    hub = depot(tryton, 'en')
    couriers = tryton.model('company.employee', 'search_read', [
            ('home_depot', '=', hub['id']), ('courier', '=', True),
            ], 0, None, None, ['shift_start', 'shift_end'])
    assert couriers, "no courier at the depot"
    suffix = f'{random.randrange(10**6):06d}'
    name = f'{PREFIX} today {suffix}'
    street, city, latitude, longitude = PICKUP
    customer, = tryton.model('party.party', 'create', [{
                'name': name, 'delivery_customer': True}])
    midnight = dt.datetime.combine(today, dt.time(), zone).astimezone(
        dt.timezone.utc)
    whole_day = {
        'pickup_start': rpc_datetime(midnight),
        'pickup_end': rpc_datetime(
            midnight + dt.timedelta(hours=23, minutes=59)),
        'delivery_start': rpc_datetime(midnight),
        'delivery_end': rpc_datetime(
            midnight + dt.timedelta(hours=23, minutes=59)),
        }
    orders = tryton.model(ORDER, 'create', [{
                'customer': customer, 'sender': customer,
                'sender_name': name, 'sender_phone': '+995555123456',
                'pickup_street': street, 'pickup_city': city,
                'pickup_latitude': latitude, 'pickup_longitude': longitude,
                'recipient_name': f"{recipient} {suffix}",
                'recipient_phone': '+995555654321',
                'delivery_street': address, 'delivery_city': 'Tbilisi',
                'delivery_latitude': lat, 'delivery_longitude': lon,
                'weight': 1.0, **whole_day,
                } for recipient, address, lat, lon, _ in RECIPIENTS[:2]])
    tryton.model(ORDER, 'confirm', orders)
    tryton.model('company.employee', 'write', [c['id'] for c in couriers], {
            'shift_start': rpc_time(0, 0), 'shift_end': rpc_time(23, 59)})
    try:
        dispatcher = dispatcher_session(server_url, tryton)
        plan_id, = dispatcher.model(PLAN, 'create', [{
                    'date': rpc_date(today),
                    'depots': [('add', [hub['id']])],
                    'time_limit': 1,
                    }])
        dispatcher.model(PLAN, 'run', [plan_id])
        plan = finished(tryton, plan_id)
    finally:
        for courier in couriers:
            tryton.model('company.employee', 'write', [courier['id']], {
                    'shift_start': courier['shift_start'],
                    'shift_end': courier['shift_end']})
    assert plan['state'] == 'done', plan['message']
    started, = tryton.model(PLAN, 'read', [plan_id], ['started'])
    started = started['started']
    started = dt.datetime(started['year'], started['month'], started['day'],
        started['hour'], started['minute'], started['second'],
        tzinfo=dt.timezone.utc)
    earliest = (started + dt.timedelta(minutes=30)).astimezone(zone)
    earliest = earliest.replace(second=0, microsecond=0)
    stops = tryton.model(STOP, 'search_read',
        [('trip', 'in', [t['id'] for t in plan['trips']])], 0, None, None,
        ['planned_arrival', 'order', 'trip.reference'])
    # on the server: every stop of today's trips after the planning + 30 min
    for stop in stops:
        arrival = stop['planned_arrival']
        arrival = dt.datetime(arrival['year'], arrival['month'],
            arrival['day'], arrival['hour'], arrival['minute'],
            arrival['second'], tzinfo=dt.timezone.utc).astimezone(zone)
        assert arrival >= earliest, (stop, earliest)
    ours = [s for s in stops if s['order'] in orders]
    if earliest.date() == today and earliest.hour < 23:
        # time enough left today: our orders are planned, after the lead
        assert len(ours) == 2 * len(orders), (plan['message'], ours)

    # in sao: the Delivery Schedule of today, trip by trip
    menu = login(page, server_url, USER)
    tab = open_menu(page, menu, info, SCHEDULE_MENU)
    date_label = field_string(tryton, STOP, 'date', language)
    trip_label = field_string(tryton, STOP, 'trip', language)
    arrival_label = field_string(tryton, STOP, 'planned_arrival', language)
    for reference in sorted({s['trip.']['reference'] for s in stops}):
        count = sum(1 for s in stops if s['trip.']['reference'] == reference)
        search(page, tab, f'{date_label}: {today.strftime(info["date"])} '
            f'{trip_label}: ={reference}', count)
        table = tab.locator('.treeview table').first
        # sao draws the rows, then fills their cells: read them once filled
        deadline = time.monotonic() + 10
        shown = column(table, arrival_label)
        while (not shown or not all(shown)) and time.monotonic() < deadline:
            page.wait_for_timeout(100)
            shown = column(table, arrival_label)
        assert shown and all(v >= f'{earliest:%H:%M}' for v in shown), (
            reference, shown, f'{earliest:%H:%M}')
    screenshot(page, f'schedule-today-{language}.png')
    # the orders of the test leave today's trips
    tryton.model(ORDER, 'cancel', orders)

def test_plan_the_day_again(server_url, tryton, day):
    """Orders came in after the planning: the dispatcher plans the same day
    again (over RPC, as the form's Run does); the unlocked trips of the
    first planning are replaced"""
    first = planned(server_url, tryton, day)
    replaced = [t['id'] for t in first['trips'] if t['state'] == 'planned']
    assert replaced, "no planned trip to replace"
    dispatcher = dispatcher_session(server_url, tryton)
    plan_id, = dispatcher.model(PLAN, 'create', [{
                'date': rpc_date(day['date']),
                'depots': [('add', [depot(tryton, 'en')['id']])],
                'time_limit': 1,
                }])
    dispatcher.model(PLAN, 'run', [plan_id])
    plan = finished(tryton, plan_id)
    assert plan['state'] == 'done', plan['message']
    PLANNED['plan'] = plan_id
    assert not tryton.model(TRIP, 'search',
        [('id', 'in', replaced)], 0, None, None)
    stops = stops_of(tryton, plan['trips'])
    for order in day['orders']:
        assert sorted(k for _, k in stops.get(order, [])) == [
            'delivery', 'pickup']
