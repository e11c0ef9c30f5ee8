# This file is part of the Delivery CRM for Tryton.
"""Delivery orders, done in sao as a new user checks them.

- a dispatcher takes an order on the phone: New, the customer found by the
  phone number he calls from (the sender and the pickup address fill in),
  the recipient's name, phone, city and coordinates, the weight; the price
  shows before the order is saved; Save, Confirm — a handful of
  interactions, well under a minute;
- an intercity order (Tbilisi -> Batumi) gets a pickup leg, the line-hauls
  through the hubs and a last mile;
- the buttons move an order through its life: Assign, Picked Up, In
  Transit, Failed (a wizard asks the reason), Reschedule, Picked Up,
  Delivered; the history lists every step;
- the public tracking page of the order opens in another browser context
  (no cookie, no login): status and history, no personal data of the
  recipient; ?lang=ka shows it in Georgian;
- the administrator invoices the delivered orders of a customer, the
  invoice opens, and "Invoice (Delivery)" and the order's "Waybill" print
  as PDF files holding the tracking number and the amount in words.

The head of department invoices too, and the price of the order form
stays in sight (beside the service) while the dispatcher types.

Each test makes the records it needs: a customer of its own (module-wide,
"Browser Order <digits>", with a fresh mobile number) and its own orders.
The UI does the actions under test; RPC only prepares the customer,
checks what the server stored and prepares the delivered order that the
invoicing starts from (and the tracking page, when the lifecycle test did
not leave one), with the same buttons, over RPC as the dispatcher.
"""
import datetime as dt
from decimal import Decimal
import json
import random
import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from test_contacts import (
    button_label, choose, click_menu, enter, open_wizard, pdf_text,
    user_record)
from test_roles import current_tab, login, password

from tests.jsonrpc import Session

PREFIX = 'Browser Order'
ORDER = 'delivery.order'
ORDERS_MENU = 'delivery_crm.menu_order_form'
INVOICE_MENU = 'delivery_crm.menu_order_invoice'

# street, city, latitude, longitude
CUSTOMER_ADDRESS = ("Ilia Chavchavadze Ave 37", 'Tbilisi', 41.7095, 44.7571)
LOCAL_RECIPIENT = ("Pekini Ave 12", 'Tbilisi', 41.7262, 44.7500)
BATUMI_RECIPIENT = ("Rustaveli St 20", 'Batumi', 41.6501, 41.6369)

# what the lifecycle test leaves for the tracking page test
LIFE = {}


# RPC helpers (as admin) ------------------------------------------------------

def fresh_mobile(tryton):
    "A Georgian mobile number (9 digits) that no contact mechanism has"
    rng = random.Random()
    while True:
        number = f'5557{rng.randrange(10**5):05d}'
        if not tryton.model('party.contact_mechanism', 'search_count',
                [('value_compact', '=', f'+995{number}')]):
            return number


def make_customer(tryton, invoice_method='period'):
    "A customer of our own with a mobile and an address in Tbilisi"
    number = fresh_mobile(tryton)
    street, city, latitude, longitude = CUSTOMER_ADDRESS
    name = f'{PREFIX} {number[-5:]}'
    party, = tryton.model('party.party', 'create', [{
                'name': name,
                'delivery_customer': True,
                'delivery_invoice_method': invoice_method,
                'contact_mechanisms': [('create', [{
                                'type': 'mobile', 'value': f'+995{number}',
                                }])],
                'addresses': [('create', [{
                                'street': street, 'city': city,
                                'latitude': latitude,
                                'longitude': longitude,
                                }])],
                }])
    return {'id': party, 'name': name, 'mobile': number}


def read_order(tryton, order_id, *names):
    order, = tryton.model(ORDER, 'read', [order_id], list(names))
    return order


def events_of(tryton, order_id):
    return [e['event'] for e in tryton.model('delivery.order.event',
            'search_read', [('order', '=', order_id)], 0, None,
            [('date', 'ASC'), ('id', 'ASC')], ['event'])]


def selection_labels(tryton, model, field, language):
    "The labels of a selection field as the server translates them"
    fields = tryton.call(f'model.{model}.fields_get', [field],
        dict(tryton.context, language=language))
    return dict(fields[field]['selection'])


def view_string(tryton, model, source, language):
    "A string of a view (a page of a notebook) as sao shows it in language"
    if language != 'en':
        found = tryton.model('ir.translation', 'search_read', [
                ('lang', '=', language),
                ('type', '=', 'view'),
                ('name', '=', model),
                ('src', '=', source),
                ], 0, 1, None, ['value'])
        if found and found[0]['value']:
            return found[0]['value']
    return source


def field_string(tryton, model, field, language):
    fields = tryton.call(f'model.{model}.fields_get', [field],
        dict(tryton.context, language=language))
    return fields[field]['string']


def delivered_order(server_url, tryton, customer):
    """A local order of customer delivered through the buttons over RPC
    as the dispatcher (with a failed attempt), to test what comes after"""
    dispatcher = Session(server_url, tryton.database,
        'dispatcher', password('dispatcher'))
    street, city, latitude, longitude = LOCAL_RECIPIENT
    p_street, p_city, p_latitude, p_longitude = CUSTOMER_ADDRESS
    order, = dispatcher.model(ORDER, 'create', [{
                'customer': customer['id'],
                'sender': customer['id'],
                'sender_name': customer['name'],
                'pickup_street': p_street, 'pickup_city': p_city,
                'pickup_latitude': p_latitude,
                'pickup_longitude': p_longitude,
                'recipient_name': "Nino Recipient",
                'recipient_phone': '+995555000111',
                'delivery_street': street, 'delivery_city': city,
                'delivery_latitude': latitude,
                'delivery_longitude': longitude,
                'weight': 2.5,
                }])
    for button in ['confirm', 'assign', 'pick_up', 'transit']:
        dispatcher.model(ORDER, button, [order])
    # the Failed button opens a wizard
    session, _, _ = dispatcher.call(
        'wizard.delivery.order.fail.create', dispatcher.context)
    context = dict(dispatcher.context, active_model=ORDER, active_id=order,
        active_ids=[order])
    dispatcher.call('wizard.delivery.order.fail.execute', session,
        {'start': {'reason': 'absent', 'note': "Nobody home"}}, 'fail',
        context)
    dispatcher.call('wizard.delivery.order.fail.delete', session,
        dispatcher.context)
    for button in ['reschedule', 'pick_up', 'deliver']:
        dispatcher.model(ORDER, button, [order])
    assert read_order(tryton, order, 'state')['state'] == 'delivered'
    return order


@pytest.fixture(autouse=True)
def no_script_error(page):
    """Fail on an error of sao's JavaScript: a view sao cannot draw (a
    datetime column of a list, for instance) leaves "Processing" on the
    screen and the test waiting for a form that never comes"""
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    yield errors
    assert not errors, f"sao raised: {errors}"


@pytest.fixture(scope='module')
def customer(tryton):
    "A customer invoiced periodically, made for this run of the module"
    return make_customer(tryton)


# sao helpers -----------------------------------------------------------------

class Clicks:
    "Counts what the user does: a click, a choice, a value typed"

    def __init__(self):
        self.count = 0
        self.steps = []

    def __call__(self, what):
        self.count += 1
        self.steps.append(what)


def open_orders(page, menu, labels):
    "Delivery > Orders: the list of the orders"
    click_menu(page, menu, labels, ORDERS_MENU)
    tab = current_tab(page)
    expect(tab.locator('nav.toolbar .title').first).to_have_attribute(
        'title', ' / '.join(labels(x) for x in [
                'delivery_crm.menu_delivery', ORDERS_MENU]))
    expect(tab.locator('.treeview').first).to_be_visible()
    page.wait_for_load_state('networkidle')
    return tab


def form(tab):
    return tab.locator('.form').first


def new_record(page, tab):
    """Click New on the toolbar; wait for the form with its default values
    (sao wipes what is typed before they are shown)"""
    tab.locator('nav.toolbar button#new_').click()
    customer = form(tab).locator('input[name="customer"]')
    expect(customer).to_be_visible()
    expect(customer).to_be_editable()
    # the service is the first default value
    expect(form(tab).locator('select[name="service"]')).to_have_value(
        re.compile(r'^".+"$'))
    page.wait_for_load_state('networkidle')


def text_input(tab, name):
    """The input of a field: for numbers sao shows a formatted text input
    and swaps it for a number input while it has the focus"""
    return form(tab).locator(
        f'input[name="{name}"]:not([type="number"])').first


def enter_number(page, tab, name, value):
    """Type value into a number field of the form and leave it; the text
    input shows the value formatted"""
    for _ in range(5):
        text_input(tab, name).click()
        number = form(tab).locator(f'input[name="{name}"][type="number"]')
        expect(number).to_be_focused()
        number.fill(str(value))
        number.press('Tab')
        expect(number).to_be_hidden()
        shown = text_input(tab, name).input_value()
        if shown and float(shown.replace(',', '')) == float(value):
            return
    raise AssertionError(f"{name} does not keep {value}")


def amount_shown(tab, name='amount'):
    value = text_input(tab, name).input_value()
    return float(value.replace(',', '')) if value else 0.0


def expect_state(tab, state):
    expect(form(tab).locator('select[name="state"]')).to_have_value(
        json.dumps(state))


def click_button(tab, name):
    """Click a button of the form (it saves the record first).

    sao sends the time stamp of the record it shows with the button: wait
    until it has read the record again after the previous button or wizard
    (a late answer of a read made before would leave the old time stamp,
    and the server refuses the button: "Concurrency Exception")."""
    tab.page.wait_for_load_state('networkidle')
    button = form(tab).locator(f'button[name="{name}"]')
    expect(button).to_be_visible()
    expect(button).to_be_enabled()
    button.click()


def save(page, tab):
    tab.locator('nav.toolbar button#save').click()
    # a saved order has its tracking number
    expect(form(tab).locator('input[name="number"]')).to_have_value(
        re.compile(r'^\d{10}$'))
    page.wait_for_load_state('networkidle')


def shown_order(tab, tryton):
    "The id of the order the form shows, found by its tracking number"
    number = form(tab).locator('input[name="number"]')
    expect(number).to_have_value(re.compile(r'^\d{10}$'))
    found = tryton.model(ORDER, 'search',
        [('number', '=', number.input_value())], 0, None, None)
    assert len(found) == 1, (number.input_value(), found)
    return found[0]


def open_page(page, tab, label):
    "Show the page of the form's notebook named label"
    link = form(tab).locator('.form-notebook > ul.nav-tabs > li > a').filter(
        has_text=re.compile(rf'^\s*{re.escape(label)}\s*$'))
    link.click()
    expect(link.locator('xpath=..')).to_have_class(re.compile(r'\bactive\b'))


def one2many_rows(tab, label):
    "The rows of the list of the One2Many field whose label is label"
    widget = form(tab).locator('.form-one2many').filter(
        has=tab.page.locator('.form-one2many-string').filter(
            has_text=re.compile(rf'^\s*{re.escape(label)}\s*$')))
    return widget.locator('.treeview tbody tr')


def take_order(page, tab, clicks, customer, recipient, weight,
        service=None):
    """Fill a new order as a dispatcher does on the phone; return the
    price shown before saving"""
    new_record(page, tab)
    # the customer, found by the number he calls from
    mobile = customer['mobile']
    choose(page, form(tab).locator('input[name="customer"]'),
        f'{mobile[:3]} {mobile[3:5]} {mobile[5:7]}', customer['name'])
    clicks("customer")
    # the sender and the pickup address fill in
    expect(form(tab).locator('input[name="sender"]')).to_have_value(
        customer['name'])
    expect(form(tab).locator('input[name="sender_name"]')).to_have_value(
        customer['name'])
    expect(form(tab).locator('input[name="pickup_city"]')).to_have_value(
        CUSTOMER_ADDRESS[1])
    if service:
        select = form(tab).locator('select[name="service"]')
        select.select_option(value=json.dumps(service))
        clicks("service")
        expect(select).to_have_value(json.dumps(service))
    street, city, latitude, longitude = recipient
    enter(form(tab).locator('input[name="recipient_name"]'), "Nino Recipient")
    clicks("recipient name")
    # typed as people say it; the order keeps its international form
    phone = form(tab).locator('input[name="recipient_phone"]')
    for _ in range(5):
        phone.fill('555 00 01 11')
        phone.press('Tab')
        if phone.input_value().strip() == '+995 555 00 01 11':
            break
    expect(phone).to_have_value(re.compile(r'^\+995 555 00 01 11\s*$'))
    clicks("recipient phone")
    enter(form(tab).locator('textarea[name="delivery_street"]'), street)
    clicks("delivery street")
    enter(form(tab).locator('input[name="delivery_city"]'), city)
    clicks("delivery city")
    enter_number(page, tab, 'delivery_latitude', latitude)
    clicks("latitude")
    enter_number(page, tab, 'delivery_longitude', longitude)
    clicks("longitude")
    enter_number(page, tab, 'weight', weight)
    clicks("weight")
    # priced as typed, before it is saved
    expect(text_input(tab, 'amount')).not_to_have_value(
        re.compile(r'^(0([.,]0*)?)?$'))
    expect(form(tab).locator('select[name="price_error"]')).to_have_value(
        'null')
    return amount_shown(tab)


# the tests -------------------------------------------------------------------

def test_take_order_on_the_phone(
        page, server_url, tryton, customer, record_property):
    user = 'dispatcher'
    info = user_record(tryton, user)
    labels = lambda xml_id: tryton.menu_label(xml_id, info['language'])
    menu = login(page, server_url, user)
    tab = open_orders(page, menu, labels)

    clicks = Clicks()
    start = time.monotonic()
    clicks("New")
    price = take_order(page, tab, clicks, customer, LOCAL_RECIPIENT, 3.5)
    save(page, tab)
    clicks("Save")
    click_button(tab, 'confirm')
    clicks("Confirm")
    expect_state(tab, 'confirmed')
    elapsed = time.monotonic() - start
    print(f"\norder taken in {elapsed:.1f} s with {clicks.count} "
        f"interactions: {', '.join(clicks.steps)}")
    record_property('seconds', round(elapsed, 1))
    record_property('interactions', clicks.count)

    order_id = shown_order(tab, tryton)
    order = read_order(tryton, order_id, 'state', 'customer', 'sender',
        'pickup_city', 'pickup_latitude', 'delivery_city',
        'delivery_latitude', 'delivery_longitude', 'weight', 'amount',
        'recipient_name', 'delivery_street', 'routing_issue', 'legs')
    assert order['state'] == 'confirmed'
    assert order['customer'] == order['sender'] == customer['id']
    assert order['pickup_city'] == CUSTOMER_ADDRESS[1]
    assert order['pickup_latitude'] == pytest.approx(CUSTOMER_ADDRESS[2])
    assert order['delivery_latitude'] == pytest.approx(LOCAL_RECIPIENT[2])
    assert order['delivery_longitude'] == pytest.approx(LOCAL_RECIPIENT[3])
    assert order['weight'] == pytest.approx(3.5)
    assert order['recipient_name'] == "Nino Recipient"
    assert order['delivery_street'] == LOCAL_RECIPIENT[0]
    assert order['routing_issue'] is None
    assert order['legs'], "a confirmed order has its legs"
    # the price shown while typing is the price stored
    assert float(order['amount']['decimal']) == pytest.approx(price), (
        order['amount'], price)
    # "take an order on the phone in under a minute"
    assert clicks.count <= 12, clicks.steps
    assert elapsed < 60, f"taking the order took {elapsed:.0f} s"


def test_price_in_sight_while_typing(page, server_url, tryton, customer):
    "The dispatcher sees the price change without scrolling"
    user = 'dispatcher'
    info = user_record(tryton, user)
    labels = lambda xml_id: tryton.menu_label(xml_id, info['language'])
    menu = login(page, server_url, user)
    tab = open_orders(page, menu, labels)
    take_order(page, tab, Clicks(), customer, LOCAL_RECIPIENT, 3.5)
    # where sao left the form: at the last field typed, the weight
    expect(text_input(tab, 'weight')).to_be_in_viewport()
    # the values are there: no need to wait long
    expect(text_input(tab, 'amount')).to_be_in_viewport(timeout=2_000)
    # and at the top of the form, where the recipient is typed
    text_input(tab, 'recipient_name').scroll_into_view_if_needed()
    expect(text_input(tab, 'amount')).to_be_in_viewport(timeout=2_000)
    # nothing of the form is beyond its right edge
    assert form(tab).evaluate(
        'f => f.scrollWidth <= f.clientWidth + 1'), "the form is too wide"


def test_intercity_order_has_legs(page, server_url, tryton, customer):
    user = 'dispatcher'
    info = user_record(tryton, user)
    language = info['language']
    labels = lambda xml_id: tryton.menu_label(xml_id, language)
    kinds = selection_labels(tryton, 'delivery.order.leg', 'kind', language)
    menu = login(page, server_url, user)
    tab = open_orders(page, menu, labels)

    take_order(page, tab, Clicks(), customer, BATUMI_RECIPIENT, 4,
        service='intercity')
    click_button(tab, 'confirm')
    expect_state(tab, 'confirmed')
    order_id = shown_order(tab, tryton)
    order = read_order(tryton, order_id, 'service', 'origin_hub.code',
        'destination_hub.code', 'legs')
    assert order['service'] == 'intercity'
    assert order['destination_hub.']['code'] == 'BUS'
    legs = tryton.model('delivery.order.leg', 'read', order['legs'],
        ['sequence', 'kind', 'from_hub.code', 'to_hub.code'])
    legs.sort(key=lambda l: l['sequence'])
    kinds_stored = [l['kind'] for l in legs]
    # the parcel is picked up, travels hub to hub, then the last mile
    assert kinds_stored[0] == 'pickup'
    assert kinds_stored[-1] == 'last_mile'
    assert set(kinds_stored[1:-1]) == {'linehaul'}, kinds_stored
    assert legs[1]['from_hub.']['code'] == order['origin_hub.']['code']
    assert legs[-2]['to_hub.']['code'] == 'BUS'

    # the tab "Route and History" lists them in that order
    open_page(page, tab, view_string(
        tryton, ORDER, 'Route and History', language))
    rows = one2many_rows(tab, field_string(
            tryton, ORDER, 'legs', language))
    expect(rows).to_have_count(len(legs))
    for row, leg in zip(rows.all(), legs):
        expect(row).to_contain_text(kinds[leg['kind']])


def record_failure(page, tryton, language, reason, note):
    "Fill the wizard of the Failed button"
    dialog = page.locator('.wizard-dialog')
    expect(dialog).to_be_visible()
    page.wait_for_load_state('networkidle')
    select = dialog.locator('select[name="reason"]')
    # sao may redraw the fresh dialog and wipe the choice: choose again
    for _ in range(10):
        select.select_option(value=json.dumps(reason))
        page.wait_for_load_state('networkidle')
        if select.input_value() == json.dumps(reason):
            break
    expect(select).to_have_value(json.dumps(reason))
    enter(dialog.locator('input[name="note"]'), note)
    dialog.get_by_role('button', exact=True, name=button_label(
            tryton, language, 'delivery.order.fail', 'start', 'fail',
            "Record Failure")).click()
    expect(dialog).to_have_count(0)


def test_order_life(page, server_url, tryton, customer):
    user = 'dispatcher'
    info = user_record(tryton, user)
    language = info['language']
    labels = lambda xml_id: tryton.menu_label(xml_id, language)
    event_labels = selection_labels(
        tryton, 'delivery.order.event', 'event', language)
    menu = login(page, server_url, user)
    tab = open_orders(page, menu, labels)

    take_order(page, tab, Clicks(), customer, LOCAL_RECIPIENT, 1.2)
    click_button(tab, 'confirm')
    expect_state(tab, 'confirmed')
    order_id = shown_order(tab, tryton)

    for button, state in [
            ('assign', 'assigned'),
            ('pick_up', 'picked_up'),
            ('transit', 'in_transit'),
            ]:
        click_button(tab, button)
        expect_state(tab, state)
    click_button(tab, 'fail')
    record_failure(page, tryton, language, 'absent', "Nobody at home")
    expect_state(tab, 'failed')
    expect(form(tab).locator('select[name="failure_reason"]')).to_have_value(
        json.dumps('absent'))
    for button, state in [
            ('reschedule', 'confirmed'),
            ('pick_up', 'picked_up'),
            ('deliver', 'delivered'),
            ]:
        click_button(tab, button)
        expect_state(tab, state)
    # a delivered order has no workflow button left but the invoicing
    for button in ['assign', 'pick_up', 'transit', 'deliver', 'fail',
            'reschedule', 'cancel', 'confirm']:
        expect(form(tab).locator(f'button[name="{button}"]')).to_be_hidden()

    steps = ['confirmed', 'assigned', 'picked_up', 'in_transit', 'failed',
        'rescheduled', 'picked_up', 'delivered']
    assert events_of(tryton, order_id) == steps
    order = read_order(tryton, order_id, 'state', 'failed_attempts',
        'failure_reason')
    assert order['state'] == 'delivered'
    assert order['failed_attempts'] == 1
    assert order['failure_reason'] == 'absent'

    # the history of the order, in the tab "Route and History"
    open_page(page, tab, view_string(
        tryton, ORDER, 'Route and History', language))
    rows = one2many_rows(tab, field_string(
            tryton, ORDER, 'events', language))
    expect(rows).to_have_count(len(steps))
    for row, event in zip(rows.all(), steps):
        expect(row).to_contain_text(event_labels[event])
    expect(rows.filter(has_text="Nobody at home")).to_have_count(1)
    # the address the dispatcher gives to the customer
    url = form(tab).locator('input[name="tracking_url"]')
    expect(url).to_have_value(re.compile(r'/delivery/track/'))
    LIFE['order'] = order_id
    LIFE['tracking_url'] = url.input_value()


def personal_data(tryton, order_id):
    "What the tracking page must not show of an order"
    order = read_order(tryton, order_id, 'recipient_name', 'recipient_phone',
        'sender_name', 'sender_phone', 'pickup_street', 'delivery_street')
    values = [v for k, v in order.items() if k != 'id' and v]
    # a phone may be shown in any writing: look for its last digits too
    for name in ['recipient_phone', 'sender_phone']:
        digits = re.sub(r'\D', '', order[name] or '')
        if digits:
            values.append(digits[-6:])
    return values


def test_public_tracking_page(page, server_url, tryton, customer):
    """The recipient opens the link the customer was sent: no login, no
    cookie of sao (this context never logged in)"""
    order_id = LIFE.get('order')
    if order_id:
        path = LIFE['tracking_url']
    else:
        # the lifecycle test did not run (or failed): an order of our own
        order_id = delivered_order(server_url, tryton, customer)
        path = read_order(tryton, order_id, 'tracking_url')['tracking_url']
    order = read_order(tryton, order_id, 'number', 'state')
    events = events_of(tryton, order_id)
    assert page.context.cookies() == []

    # the link is absolute with the configured public address: open its
    # path on the test server
    response = page.goto(server_url + urlsplit(path).path)
    assert response.status == 200
    assert response.headers['cache-control'] == 'no-store'
    expect(page.locator('html')).to_have_attribute('lang', 'en')
    states = selection_labels(tryton, ORDER, 'state', 'en')
    event_names = selection_labels(
        tryton, 'delivery.order.event', 'event', 'en')
    main = page.locator('main')
    expect(main).to_contain_text(order['number'])
    expect(page.locator('.state')).to_have_text(states[order['state']])
    history = page.locator('ol > li')
    expect(history).to_have_count(len(events))
    # the latest first
    for item, event in zip(history.all(), reversed(events)):
        expect(item).to_contain_text(event_names[event])
    text = main.inner_text()
    for value in personal_data(tryton, order_id):
        assert value not in text, f"the tracking page shows {value!r}"
    # still no session: the page did not log anybody in
    assert not [c for c in page.context.cookies() if 'session' in c['name']]

    # in Georgian, from the link of the page
    page.locator('nav a[hreflang="ka"]').click()
    page.wait_for_url(re.compile(r'\?lang=ka$'))
    expect(page.locator('html')).to_have_attribute('lang', 'ka')
    states_ka = selection_labels(tryton, ORDER, 'state', 'ka')
    events_ka = selection_labels(
        tryton, 'delivery.order.event', 'event', 'ka')
    assert states_ka[order['state']] != states[order['state']], (
        "no Georgian for the state")
    expect(page.locator('.state')).to_have_text(states_ka[order['state']])
    expect(history).to_have_count(len(events))
    for item, event in zip(history.all(), reversed(events)):
        expect(item).to_contain_text(events_ka[event])
    text = main.inner_text()
    assert re.search('[\u10d0-\u10ff]', page.locator('h1').inner_text())
    for value in personal_data(tryton, order_id):
        assert value not in text, f"the tracking page shows {value!r}"
    # the same page, asked for directly
    response = page.goto(server_url + urlsplit(path).path + '?lang=ka')
    assert response.status == 200
    expect(page.locator('.state')).to_have_text(states_ka[order['state']])


def add_to_many2many(page, field, typed, choice):
    "Type the start of a record's name in a Many2Many and pick choice"
    widget = field.locator('xpath=ancestor::div[contains(concat(" ", '
        '@class, " "), " form-many2many ")][1]')
    for _ in range(5):
        field.click()
        field.fill('')
        field.press_sequentially(typed, delay=50)
        item = field.locator('xpath=..').locator(
            '.dropdown-completion li.completion a').filter(
            has_text=re.compile(rf'^\s*{re.escape(choice)}\s*$'))
        try:
            expect(item).to_be_visible(timeout=5_000)
            item.click()
            expect(widget.locator('.treeview tbody tr').filter(
                    has_text=choice)).to_have_count(1, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(widget.locator('.treeview tbody tr').filter(
            has_text=choice)).to_have_count(1)


def search_list(page, tab, text):
    """Search text in the list of the tab; return its rows once they are
    the result. sao may draw the result of the search it made on opening
    the tab after ours (a long list): search again then."""
    search = tab.locator('.filter-box input').first
    rows = tab.locator('.treeview tbody tr')
    # the list the tab opened with first: drawn after our search, it would
    # replace its result
    expect(rows.first).to_be_visible()
    page.wait_for_load_state('networkidle')
    for _ in range(5):
        search.fill(text)
        search.press('Enter')
        page.wait_for_load_state('networkidle')
        try:
            expect(search).to_have_value(text, timeout=2_000)
            expect(rows).to_have_count(1, timeout=5_000)
            # and still so once everything asked for has come back
            page.wait_for_load_state('networkidle')
            expect(rows).to_have_count(1, timeout=1_000)
            return rows
        except AssertionError:
            continue
    expect(search).to_have_value(text)
    expect(rows).to_have_count(1)
    return rows


def url_settled(page):
    "Wait until sao's URL stays the same for a moment"
    page.wait_for_load_state('networkidle')
    previous = None
    for _ in range(20):
        current = page.evaluate('() => window.location.hash')
        if current == previous:
            return
        previous = current
        page.wait_for_load_state('networkidle')


def open_row(page, row):
    """Open the record of a row in its form: a double click on a cell of
    plain text (a link of a Many2One cell opens the linked record).

    sao writes the state of the tab in the URL and opens a new tab for a
    URL that no tab has when the browser tells it that the URL changed.
    The first click on a row of a list just searched writes the search in
    the URL; the news comes a moment later: when the second click of a fast
    double click has switched the tab to the form in between, sao opens the
    list again in a second tab. A person double-clicks slower than
    Playwright: click once, let the URL settle, then double-click."""
    cell = row.locator('td:visible', has=page.locator(
            '.column-char, .column-date, .column-selection, .column-integer'
            )).first
    cell.click()
    url_settled(page)
    cell.dblclick()


def report_name(tryton, xml_id, language):
    "The name of a report action as the Print menu shows it"
    action, = tryton.call('model.ir.action.report.read',
        [tryton.db_id(xml_id)], ['name'], {'language': language})
    return action['name']


def print_report(page, tab, name, tmp_path):
    """Choose name in the Print menu of the toolbar; sao downloads the
    document: return its text"""
    tab.locator('nav.toolbar button#print').click()
    item = tab.locator('nav.toolbar ul[aria-labelledby="print"] a').filter(
        has_text=re.compile(rf'^\s*{re.escape(name)}\s*$'))
    with page.expect_download() as download_info:
        item.click()
    download = download_info.value
    assert download.suggested_filename.endswith('.pdf'), (
        download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b'%PDF-')
    # sao's download dialog closes itself
    expect(page.locator('.modal:visible')).to_have_count(0)
    text = pdf_text(path)
    assert text is not None, "pypdf (in requirements.txt) is missing"
    return text


@pytest.mark.parametrize('user', ['admin', 'head'])
def test_invoice_and_print(page, server_url, tryton, tmp_path, user):
    """The administrator (or the head of department) invoices the
    delivered orders of a customer invoiced periodically, opens the invoice
    and prints it and the waybill of the order"""
    info = user_record(tryton, user)
    language = info['language']
    labels = lambda xml_id: tryton.menu_label(xml_id, language)
    customer = make_customer(tryton)
    order_id = delivered_order(server_url, tryton, customer)
    order = read_order(tryton, order_id, 'number', 'amount', 'invoice')
    assert not order['invoice']
    today = dt.date.fromisoformat(
        '{year:04d}-{month:02d}-{day:02d}'.format(
            **tryton.call('model.ir.date.today', tryton.context)))

    menu = login(page, server_url, user)
    dialog = open_wizard(page, menu, labels, ORDERS_MENU, INVOICE_MENU)
    date = dialog.locator('input[name="date"]').first
    up_to = today.strftime(info['date'])
    customers = dialog.locator('.form-many2many .treeview tbody tr').filter(
        has_text=customer['name'])
    # sao may redraw the fresh dialog with its default values: fill it
    # again until it holds both
    for _ in range(5):
        if date.input_value() != up_to:
            enter(date, up_to)
        if not customers.count():
            add_to_many2many(page, dialog.locator('input[name="customers"]'),
                customer['mobile'][-5:], customer['name'])
        page.wait_for_load_state('networkidle')
        if date.input_value() == up_to and customers.count() == 1:
            break
    expect(date).to_have_value(up_to)
    expect(customers).to_have_count(1)
    dialog.get_by_role('button', exact=True, name=button_label(
            tryton, language, 'delivery.order.invoice', 'start', 'invoice',
            "Invoice")).click()
    expect(dialog).to_have_count(0)

    # the new invoice opens in a tab
    invoice_id = read_order(tryton, order_id, 'invoice')['invoice']
    assert invoice_id, "the order was not invoiced"
    invoice, = tryton.model('account.invoice', 'read', [invoice_id],
        ['party', 'untaxed_amount', 'tax_amount', 'total_amount',
            'amount_in_words', 'lines', 'state'])
    assert invoice['party'] == customer['id']
    # the demo data charges VAT 18 % on the delivery services
    untaxed, tax, total = (Decimal(invoice[n]['decimal'])
        for n in ['untaxed_amount', 'tax_amount', 'total_amount'])
    assert untaxed == Decimal(order['amount']['decimal'])
    assert tax == (untaxed * Decimal('0.18')).quantize(Decimal('0.01'))
    assert total == untaxed + tax
    tab = current_tab(page)
    rows = tab.locator('.treeview tbody tr')
    if tab.locator('.form').count() == 0 or not tab.locator(
            '.form').first.is_visible():
        expect(rows).to_have_count(1)
        page.wait_for_load_state('networkidle')
        assert '#ERROR' not in rows.first.inner_text(), (
            f"{user} cannot read the invoice made by the wizard")
        expect(rows.first).to_contain_text(customer['name'])
        open_row(page, rows.first)
    party = tab.locator('.form input[name="party"]').first
    expect(party).to_be_visible()
    expect(party).to_have_value(customer['name'])

    text = print_report(page, tab, report_name(
            tryton, 'delivery_crm.report_invoice', language), tmp_path)
    assert order['number'] in text, "the invoice does not name the order"
    words = ' '.join(invoice['amount_in_words'].split())
    assert words and words in text, (words, text)

    # the waybill of the order
    tab = open_orders(page, menu, labels)
    rows = search_list(page, tab, order['number'])
    expect(rows.first).to_contain_text(order['number'])
    open_row(page, rows.first)
    expect(tab.locator('.form input[name="number"]').first).to_have_value(
        order['number'])
    text = print_report(page, tab, report_name(
            tryton, 'delivery_crm.report_waybill', language), tmp_path)
    assert order['number'] in text, "the waybill has no tracking number"
