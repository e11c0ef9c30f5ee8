# This file is part of the Delivery CRM for Tryton.
"""Texting a customer in sao, as a contact manager working in Georgian.

The contact manager opens a customer, goes to its Messages tab and clicks
Send SMS; she picks a template, which fills the text in the customer's
language with his name; the dialog shows the encoding and the parts
before anything goes; Send queues the message, which shows on the tab.

The database 'browser' has no SMS gateway: the message waits in the queue
with the reason, as it does until an administrator sets one up (the sms
suite sends through a real Kannel).
"""
from playwright.sync_api import expect

from test_contacts import (
    button_label, choose, enter, fresh_mobile, labels_of, user_record)
from test_orders import (
    field_string, one2many_rows, open_page, open_row, search_list)
from test_roles import login, open_delivery, open_from_menu
from test_trip_map import screenshot

PREFIX = 'Browser SMS'
CUSTOMERS = 'delivery_crm.menu_customer_form'


def template(tryton):
    "The company's SMS template of the test, in English and Georgian"
    name = f'{PREFIX} parcel ready'
    found = tryton.model('delivery.sms.template', 'search', [
            ('name', '=', name)], 0, 1, None)
    if found:
        return found[0], name
    template_id, = tryton.model('delivery.sms.template', 'create', [{
                'name': name, 'purpose': 'transactional',
                'text': "{customer}, your parcel is ready. {company}"}])
    tryton.call('model.delivery.sms.template.write', [template_id], {
            'text': "{customer}, თქვენი ამანათი მზადაა. {company}"},
        dict(tryton.context, language='ka'))
    return template_id, name


def test_send_sms_from_the_customer(page, server_url, tryton):
    user = 'manager'
    info = user_record(tryton, user)
    assert info['language'] == 'ka'
    labels = labels_of(tryton, info['language'])
    number = fresh_mobile(tryton)
    name = f'{PREFIX} {number[-5:]}'
    ka, = tryton.model('ir.lang', 'search', [('code', '=', 'ka')], 0, 1,
        None)
    party_id, = tryton.model('party.party', 'create', [{
                'name': name, 'delivery_customer': True, 'lang': ka,
                'contact_mechanisms': [('create', [{
                                'type': 'mobile', 'value': number}])]}])
    _, template_name = template(tryton)
    # the template as the Georgian user sees it
    shown_template, = tryton.call('model.delivery.sms.template.search_read',
        [('name', '=', template_name)], 0, 1, None, ['rec_name'],
        dict(tryton.context, language='ka'))

    menu = login(page, server_url, user)
    open_delivery(page, menu, labels, labels(CUSTOMERS))
    tab, rows = open_from_menu(page, menu, labels, CUSTOMERS)
    rows = search_list(page, tab, name)
    open_row(page, rows.first)
    open_page(page, tab, 'შეტყობინებები')
    tab.locator('.form button[name="send_sms"]').click()
    dialog = page.locator('.wizard-dialog')
    expect(dialog).to_be_visible()
    page.wait_for_load_state('networkidle')
    expect(dialog.locator('input[name="number"]')).to_have_value(
        f'+995{number}')

    choose(page, dialog.locator('input[name="template"]'),
        shown_template['rec_name'][:6], shown_template['rec_name'])
    text = dialog.locator('textarea[name="text"]')
    expect(text).to_have_value(
        f"{name}, თქვენი ამანათი მზადაა. Tbilisi Express")
    # Georgian: UCS-2, 70 characters a part
    encoding = dialog.locator('select[name="encoding"] option:checked')
    parts = dialog.locator('input[name="parts"]').first
    expect(encoding).to_have_text('UCS-2 (უნიკოდი)')
    expect(parts).to_have_value('1')
    enter(text, "ნინო, " * 12 + "ამანათი მზადაა")
    expect(parts).to_have_value('2')
    screenshot(page, 'send-sms-ka.png')
    dialog.get_by_role('button', exact=True, name=button_label(
            tryton, 'ka', 'delivery.sms.send', 'start', 'send',
            "Send")).click()
    expect(dialog).to_have_count(0)

    message, = tryton.model('delivery.sms.message', 'search_read', [
            ('party', '=', party_id)], 0, None, None,
        ['text', 'number', 'state', 'parts'])
    assert (message['number'], message['parts']) == (f'+995{number}', 2)
    assert message['text'].startswith("ნინო, ")
    # no gateway in this database: it waits, nothing lost
    assert message['state'] == 'queued'
    # the customer's form is reloaded: the message is on his Messages tab
    rows = one2many_rows(tab, field_string(
            tryton, 'party.party', 'sms_messages', 'ka'))
    expect(rows.filter(has_text="ამანათი მზადაა")).to_have_count(1)
    screenshot(page, 'customer-messages-ka.png')
