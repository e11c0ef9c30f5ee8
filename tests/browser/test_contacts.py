# This file is part of the Delivery CRM for Tryton.
"""The contact work of the CRM, done in sao as its users do it.

- a contact manager registers a customer, and registering the same mobile
  written another way shows the duplicates instead of a second customer;
- two contact managers (English and Georgian UI) each work their own
  "My Contacts Today" and log a contact from a row's button;
- the head of department checks the day's results and finds the reminder
  in his notifications;
- the head reads "Planned vs Done" and prints it as a PDF.

The browser runs on UTC, as in test_roles, and one test runs it in Tbilisi
(the company's time zone): "My Contacts Today" is the company's today in
both, as the server decides it (sao 8.0.11 would evaluate a PYSON Date() in
the browser as yesterday east of UTC).

The database 'browser' is shared with test_roles.py and kept between runs,
so each test makes what it needs over RPC (as admin) instead of relying on
what an earlier run or test left: a fresh mobile number, an open task of
today for the employee. The records this file creates are customers named
"Browser Test ...": they are deleted when the module starts.

Labels: the Georgian users get their menus by the menu's name translated
on the server (test_roles does the same) and the buttons of the wizards by
the server's translation of the button; fields are found by their name
attribute, which does not depend on the language.
"""
import calendar
import datetime as dt
import json
import random
import re
import shutil
import subprocess
import warnings

import pytest
from playwright.sync_api import expect

# tests/browser is no package: pytest imports test_roles as a top-level
# module from this folder, as it does this file
from test_roles import (
    DELIVERY, current_tab, login, menu_entry, open_delivery, open_from_menu)

PREFIX = 'Browser Test'
TASK = 'delivery.contact.task'
# The company's time zone, where the contact staff's browsers are
TIMEZONE = 'Asia/Tbilisi'


# RPC helpers (as admin) ------------------------------------------------------

def rpc_date(date):
    return {
        '__class__': 'date',
        'year': date.year, 'month': date.month, 'day': date.day}


def py_date(value):
    return dt.date(value['year'], value['month'], value['day'])


def user_record(tryton, login):
    "id, employee, language code and date format of the user login"
    user, = tryton.model('res.user', 'search_read',
        [('login', '=', login)], 0, None, None,
        ['employee', 'language.code', 'language.date'])
    language = user.get('language.') or {}
    return {
        'id': user['id'],
        'employee': user['employee'],
        'language': language.get('code') or 'en',
        'date': language.get('date') or '%m/%d/%Y',
        }


def labels_of(tryton, language):
    return lambda xml_id: tryton.menu_label(xml_id, language)


def button_label(tryton, language, wizard, state, button, source):
    "The label of a wizard's button as sao shows it in language"
    if language != 'en':
        found = tryton.model('ir.translation', 'search_read', [
                ('lang', '=', language),
                ('type', '=', 'wizard_button'),
                ('name', '=', f'{wizard},{state},{button}'),
                ('src', '=', source),
                ], 0, 1, None, ['value'])
        if found and found[0]['value']:
            return found[0]['value']
    return source


def open_tasks(tryton, employee, today):
    "Today's open tasks of employee, in the order of My Contacts Today"
    return tryton.model(TASK, 'search_read', [
            ('employee', '=', employee),
            ('date', '=', rpc_date(today)),
            ('state', '=', 'open'),
            ], 0, None, [('state', 'ASC'), ('priority', 'DESC'), ('id', 'ASC')],
        ['party.rec_name'])


def ensure_open_task(tryton, employee, today):
    """Make sure that employee has an open task today, as the head of
    department would: the tasks are the server's, reassigned with Reassign.

    An earlier test (or the head's check of the day) may have closed them
    all: reassign an unassigned task of today, else a new customer's task."""
    if open_tasks(tryton, employee, today):
        return
    free = tryton.model(TASK, 'search', [
            ('employee', '=', None),
            ('date', '=', rpc_date(today)),
            ('state', '=', 'open'),
            ], 0, 1, None)
    if free:
        tryton.wizard('delivery.contact.task.reassign', TASK, free,
            'reassign', {'employee': employee,
                'company': tryton.context['company']})
    else:
        tryton.contact_task(employee, today,
            f'{PREFIX} Contact {random.randrange(10**6):06d}')
    assert open_tasks(tryton, employee, today)


@pytest.fixture(scope='module', autouse=True)
def cleanup(tryton):
    "Delete the customers that an earlier run of this module created"
    parties = tryton.model('party.party', 'search',
        [('name', 'like', f'{PREFIX} %')], 0, None, None)
    if parties:
        tryton.model('party.party', 'delete', parties)


@pytest.fixture(scope='module')
def today(tryton):
    "Today in the company's time zone, as the server dates the tasks"
    return py_date(tryton.call('model.ir.date.today', tryton.context))


@pytest.fixture
def list_day(today):
    "The day of \"My Contacts Today\": the company's today, on the server"
    return today


# sao helpers -----------------------------------------------------------------

def shown_names(rows):
    """The customers of the rows sao has drawn: a long list is drawn a
    page at a time, the others rows are placeholders"""
    return [n for n in rows.evaluate_all('rows => rows.map(row => {'
            'const a = row.querySelector(".column-many2one a");'
            'return a ? a.title : null; })') if n]


def click_menu(page, menu, labels, *xml_ids):
    "Expand Delivery and the entries of xml_ids down to the last; click it"
    path = [DELIVERY, *xml_ids]
    for parent, child in zip(path, path[1:]):
        entry = menu_entry(menu, labels(child))
        if not entry.is_visible():
            menu.locator('tbody tr').filter(has=page.locator(
                    '.column-char').and_(page.get_by_title(
                        labels(parent), exact=True))).locator(
                '.expander').click()
        expect(entry).to_be_visible()
    menu_entry(menu, labels(xml_ids[-1])).click()


def open_wizard(page, menu, labels, *xml_ids):
    "Start the wizard of a menu entry; return its dialog"
    click_menu(page, menu, labels, *xml_ids)
    dialog = page.locator('.wizard-dialog')
    expect(dialog).to_have_count(1)
    expect(dialog).to_be_visible()
    # the view, the default values, the access rights of the sub-lists
    page.wait_for_load_state('networkidle')
    return dialog


def enter(field, value):
    """Type value into a text input of a sao form and leave it.

    sao takes the value when the input loses focus; a display of the form
    that comes before (sao is still filling the dialog it has just opened)
    puts the record's value back into the input: then type it again."""
    for _ in range(5):
        field.fill(value)
        field.press('Tab')
        if field.input_value() == value:
            return
    expect(field).to_have_value(value)


def choose(page, field, typed, choice):
    "Type the start of a Many2One value and pick choice in the completion"
    # sao may redraw a fresh dialog and wipe what was typed, or miss the
    # first keys: type again until the completion shows the choice
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
            expect(field).to_have_value(choice, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(field).to_have_value(choice)


def pdf_text(path):
    "The text of the PDF at path, or None without a tool to read it"
    try:
        import pypdf
    except ImportError:
        pypdf = None
    if pypdf is not None:
        text = '\n'.join(
            p.extract_text() or '' for p in pypdf.PdfReader(path).pages)
    elif shutil.which('pdftotext'):
        text = subprocess.run(['pdftotext', '-enc', 'UTF-8', str(path), '-'],
            capture_output=True, text=True, check=True).stdout
    else:
        return None
    # a name may wrap in its table cell
    return ' '.join(text.split())


# the tests -------------------------------------------------------------------

def fresh_mobile(tryton):
    "A Georgian mobile number (9 digits) that no contact mechanism has"
    rng = random.Random()
    while True:
        number = f'5559{rng.randrange(10**5):05d}'
        if not tryton.model('party.contact_mechanism', 'search_count',
                [('value_compact', '=', f'+995{number}')]):
            return number


def test_register_customer_and_duplicate(page, server_url, tryton):
    user = 'manager2'
    info = user_record(tryton, user)
    assert info['language'] == 'en'
    labels = labels_of(tryton, info['language'])
    number = fresh_mobile(tryton)
    e164 = f'+995{number}'
    name = f'{PREFIX} Customer {number[-5:]}'
    source, = tryton.model('delivery.marketing.source', 'search_read',
        [('name', '=', 'Google search')], 0, None, None, ['rec_name'])
    source = source['rec_name']

    menu = login(page, server_url, user)
    register = 'delivery_crm.menu_customer_register'
    dialog = open_wizard(page, menu, labels, register)
    # sao puts the cursor in the first field once the defaults are shown
    expect(dialog.locator('input[name="name"]')).to_be_focused()
    enter(dialog.locator('input[name="name"]'), name)
    # as the customer says it
    enter(dialog.locator('input[name="mobile"]'),
        f'{number[:3]} {number[3:5]} {number[5:7]} {number[7:]}')
    choose(page, dialog.locator('input[name="marketing_source"]'),
        source[:3], source)
    expect(dialog.locator('input[name="name"]')).to_have_value(name)
    dialog.get_by_role('button', name='Register', exact=True).click()

    # the new customer opens in a form tab
    expect(dialog).to_have_count(0)
    expect(page.locator('#tabcontent')).to_have_attribute(
        'data-view-type', 'form')
    form = current_tab(page).locator('.form')
    expect(form.locator('input[name="name"]').first).to_have_value(name)
    expect(form.locator('input[name="marketing_source"]').first
        ).to_have_value(source)
    mechanisms = tryton.model('party.contact_mechanism', 'search_read',
        [('value_compact', '=', e164)], 0, None, None,
        ['type', 'value', 'party.name'])
    assert len(mechanisms) == 1, mechanisms
    mechanism, = mechanisms
    assert mechanism['type'] == 'mobile'
    assert mechanism['party.']['name'] == name
    # stored in the international format
    assert mechanism['value'].replace(' ', '') == e164

    # the same number, written as a national number
    dialog = open_wizard(page, menu, labels, register)
    expect(dialog.locator('input[name="name"]')).to_be_focused()
    enter(dialog.locator('input[name="name"]'), f'{name} again')
    enter(dialog.locator('input[name="mobile"]'), f'0{number}')
    choose(page, dialog.locator('input[name="marketing_source"]'),
        source[:3], source)
    dialog.get_by_role('button', name='Register', exact=True).click()

    # the duplicates view lists the first customer
    expect(dialog.locator('input[name="mobile"]')).to_have_count(0)
    duplicates = dialog.locator('.treeview tbody tr')
    expect(duplicates).to_have_count(1)
    expect(duplicates.first).to_contain_text(name)
    expect(dialog.get_by_role('button', name='Create Anyway', exact=True)
        ).to_be_visible()
    dialog.get_by_role('button', name='Cancel', exact=True).click()
    expect(dialog).to_have_count(0)

    assert tryton.model('party.contact_mechanism', 'search_count',
        [('value_compact', '=', e164)]) == 1
    assert not tryton.model('party.party', 'search',
        [('name', '=', f'{name} again')], 0, None, None)


@pytest.mark.parametrize('user, result, state', [
        ('manager2', 'reached', 'done'),
        ('manager', 'no_answer', 'failed'),
        ])
def test_log_contact_of_my_list(
        page, server_url, tryton, list_day, user, result, state):
    info = user_record(tryton, user)
    employee = info['employee']
    assert employee, f"{user} has no employee"
    labels = labels_of(tryton, info['language'])
    ensure_open_task(tryton, employee, list_day)
    expected = open_tasks(tryton, employee, list_day)
    names = [t['party.']['rec_name'] for t in expected]

    menu = login(page, server_url, user)
    today_menu = 'delivery_crm.menu_contact_task_today'
    open_delivery(page, menu, labels, labels(today_menu))
    tab, rows = open_from_menu(page, menu, labels, today_menu)

    # the first tab, "To Do", shows his open tasks of the day, no others
    active = tab.locator('.tab-domain li.active')
    expect(active.locator('.badge')).to_have_text(str(len(expected)))
    expect(rows.first).to_be_visible()
    shown = shown_names(rows)
    assert shown and set(shown) <= set(names), (shown, names)
    if len(names) <= 20:
        assert sorted(shown) == sorted(names)

    # log a contact on the first task with the row's button
    row = rows.first
    party = shown[0]
    task, = [t['id'] for t in expected if t['party.']['rec_name'] == party]
    # a row's button acts on the selected row: select it first
    row.locator('.column-selection:visible').first.click()
    expect(row).to_have_class(re.compile(r'\bselected\b'))
    row.locator('button[name="log_contact"]').click()
    dialog = page.locator('.wizard-dialog')
    expect(dialog).to_be_visible()
    expect(dialog.locator('input[name="party"]')).to_have_value(party)
    # sao may redraw the fresh dialog and wipe the choice: choose again
    # until it holds
    select = dialog.locator('select[name="result"]')
    for _ in range(10):
        select.select_option(value=json.dumps(result))
        # what sao redraws comes back from the server: wait for it
        page.wait_for_load_state('networkidle')
        if select.input_value() == json.dumps(result):
            break
    expect(select).to_have_value(json.dumps(result))
    dialog.get_by_role('button', exact=True, name=button_label(
            tryton, info['language'], 'delivery.contact.task.log',
            'start', 'log', "Log")).click()
    expect(dialog).to_have_count(0)

    # sao reloads the row: a closed task has no button any more
    expect(row.locator('button[name="log_contact"]')).to_be_hidden()
    task, = tryton.model(TASK, 'read', [task],
        ['state', 'contact.result', 'contact.employee'])
    assert task['state'] == state
    assert task['contact.']['result'] == result
    assert task['contact.']['employee'] == employee


@pytest.mark.browser_context_args(timezone_id=TIMEZONE)
def test_my_contacts_today_in_tbilisi(page, server_url, tryton, today):
    "A contact manager whose browser is in Tbilisi sees today's tasks"
    company, = tryton.model('company.company', 'read',
        [tryton.context['company']], ['timezone'])
    assert company['timezone'] == TIMEZONE
    user = 'manager2'
    info = user_record(tryton, user)
    labels = labels_of(tryton, info['language'])
    ensure_open_task(tryton, info['employee'], today)
    expected = open_tasks(tryton, info['employee'], today)
    names = [t['party.']['rec_name'] for t in expected]
    searched = []
    page.on('request', lambda request: searched.append(request.post_data)
        if '"model.delivery.contact.task.search"' in (
            request.post_data or '') else None)

    menu = login(page, server_url, user)
    today_menu = 'delivery_crm.menu_contact_task_today'
    open_delivery(page, menu, labels, labels(today_menu))
    tab, rows = open_from_menu(page, menu, labels, today_menu)
    # the counter of the tab shows once the list is searched
    expect(tab.locator('.tab-domain li.active .badge')).to_have_text(
        re.compile(r'^\d+$'))
    page.wait_for_load_state('networkidle')
    shown = shown_names(rows)
    # the domain that sao sent leaves the day to the server
    assert searched and all('"today"' in data for data in searched), (
        f"sao searched the tasks with a day of the browser: {searched}")
    expect(tab.locator('.tab-domain li.active .badge')).to_have_text(
        str(len(names)))
    assert shown and set(shown) <= set(names), (shown, names)


def test_head_checks_the_day(page, server_url, tryton, today):
    user = 'head'
    info = user_record(tryton, user)
    labels = labels_of(tryton, info['language'])
    # something to report: an open task of a contact manager of his team
    manager = user_record(tryton, 'manager2')['employee']
    ensure_open_task(tryton, manager, today)
    seen = tryton.model('res.notification', 'search',
        [('user', '=', info['id'])], 0, 1, [('id', 'DESC')])

    menu = login(page, server_url, user)
    dialog = open_wizard(page, menu, labels, 'delivery_crm.menu_contact_day')
    expect(dialog.locator('input[name="date"]')).to_have_value(
        today.strftime(info['date']))
    dialog.get_by_role('button', exact=True, name=button_label(
            tryton, info['language'], 'delivery.contact.day', 'start',
            'check', "Check Results")).click()
    expect(dialog).to_have_count(0)

    # the open tasks of the day are missed now
    assert not open_tasks(tryton, manager, today)
    domain = [('user', '=', info['id'])]
    if seen:
        domain.append(('id', '>', seen[0]))
    notifications = tryton.model('res.notification', 'search_read',
        domain, 0, None, [('id', 'DESC')], ['label', 'model', 'records'])
    assert notifications, "the head got no reminder"
    notification = notifications[0]
    assert notification['model'] == TASK
    records = json.loads(notification['records'])
    assert str(today) in notification['label'], notification['label']

    # the user menu of the header lists the notifications
    page.locator('#user-preferences > a.dropdown-toggle').click()
    item = page.locator('#user-preferences .notification-item').filter(
        has=page.get_by_title(notification['label'], exact=True)).first
    expect(item).to_be_visible()
    # and opens the tasks it is about
    item.locator('a').click()
    expect(page.locator('#tabcontent')).to_have_attribute(
        'data-view-type', 'tree' if len(records) > 1 else 'form')
    if len(records) > 1:
        # the record counter of the toolbar: the tasks of the notification
        expect(current_tab(page).locator(
                'nav.toolbar .navbar-text .badge').first).to_have_text(
            re.compile(rf'/\s*{len(records)}$'))


def test_head_planned_vs_done(page, server_url, tryton, today, tmp_path):
    user = 'head'
    info = user_record(tryton, user)
    labels = labels_of(tryton, info['language'])
    # at least one employee planned something this month
    ensure_open_task(tryton, user_record(tryton, 'manager2')['employee'],
        today)
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    context = dict(tryton.context,
        from_date=rpc_date(first), to_date=rpc_date(last))
    expected = tryton.call(
        'model.delivery.plan.report.employee.search_read',
        [], 0, None, None, ['employee.rec_name', 'planned'], context)
    names = [r['employee.']['rec_name'] for r in expected]
    assert names

    menu = login(page, server_url, user)
    click_menu(page, menu, labels, 'delivery_crm.menu_reporting',
        'delivery_crm.menu_plan_report_employee')
    tab = current_tab(page)
    expect(tab.locator('nav.toolbar .title').first).to_have_attribute(
        'title', ' / '.join(labels(x) for x in [DELIVERY,
                'delivery_crm.menu_reporting',
                'delivery_crm.menu_plan_report_employee']))
    # the period of the context form: the current month
    expect(tab.locator('input[name="from_date"]')).to_have_value(
        first.strftime(info['date']))
    expect(tab.locator('input[name="to_date"]')).to_have_value(
        last.strftime(info['date']))
    rows = tab.locator('.treeview tbody tr')
    expect(rows).to_have_count(len(expected))
    for name in names:
        expect(rows.filter(has=page.get_by_title(name, exact=True))
            ).to_have_count(1)

    dialog = open_wizard(page, menu, labels,
        'delivery_crm.menu_reporting', 'delivery_crm.menu_plan_report_print')
    expect(dialog.locator('input[name="from_date"]')).to_have_value(
        first.strftime(info['date']))
    expect(dialog.locator('input[name="to_date"]')).to_have_value(
        last.strftime(info['date']))
    with page.expect_download() as download_info:
        dialog.get_by_role('button', exact=True, name=button_label(
                tryton, info['language'], 'delivery.plan.report.print',
                'start', 'print_', "Print")).click()
    download = download_info.value
    assert download.suggested_filename.endswith('.pdf')
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b'%PDF-')

    text = pdf_text(path)
    if text is None:
        warnings.warn("neither pypdf nor pdftotext is installed: the text "
            "of the printed Planned vs Done was not checked")
        return
    for name in names:
        assert name in text, f"{name} is not in the printed report"


def test_head_reassigns_a_task(page, server_url, tryton, today):
    """The head of department (Georgian UI) moves an open task of one
    contact manager to another with Reassign; in the form the owner of a
    task is read-only, the server's"""
    from test_orders import open_row, search_list
    user = 'head'
    info = user_record(tryton, user)
    labels = labels_of(tryton, info['language'])
    source = user_record(tryton, 'manager2')['employee']
    target = user_record(tryton, 'manager')['employee']
    ensure_open_task(tryton, source, today)
    task = open_tasks(tryton, source, today)[0]
    target_name, = [e['rec_name'] for e in tryton.model(
            'company.employee', 'read', [target], ['rec_name'])]

    menu = login(page, server_url, user)
    tasks_menu = 'delivery_crm.menu_contact_task_form'
    open_delivery(page, menu, labels, labels(tasks_menu))
    tab, rows = open_from_menu(page, menu, labels, tasks_menu)
    rows = search_list(page, tab, task['party.']['rec_name'])
    open_row(page, rows.first)
    employee = tab.locator('.form input[name="employee"]').first
    expect(employee).to_be_visible()
    expect(employee).not_to_be_editable()

    tab.locator('.form button[name="reassign"]').click()
    dialog = page.locator('.wizard-dialog')
    expect(dialog).to_be_visible()
    page.wait_for_load_state('networkidle')
    choose(page, dialog.locator('input[name="employee"]'),
        target_name[:4], target_name)
    dialog.get_by_role('button', exact=True, name=button_label(
            tryton, info['language'], 'delivery.contact.task.reassign',
            'start', 'reassign', "Reassign")).click()
    expect(dialog).to_have_count(0)
    assert tryton.model(TASK, 'read', [task['id']], ['employee'])[0][
        'employee'] == target
    expect(employee).to_have_value(target_name)
