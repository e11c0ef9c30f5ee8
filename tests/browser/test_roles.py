# This file is part of the Delivery CRM for Tryton.
"""Each role logs in through sao and sees the menus and records of its role.

Menu entries are found by their name as the user sees it: the test asks the
server (as admin, through RPC) for the name of each menu, given by its XML
id, translated into the user's language. So the Georgian users (manager,
courier) are checked the same way as the English ones, and a menu that
locale/ka.po translates ("მიწოდება / მომხმარებლები") is found as such.
"""
import json
import re

import pytest
from playwright.sync_api import expect

import launch
from demo_data import password as demo_password



def password(login):
    return launch.ADMIN_PASSWORD if login == 'admin' else demo_password(login)


DELIVERY = 'delivery_crm.menu_delivery'
CUSTOMERS = 'delivery_crm.menu_customer_form'
COURIERS = 'delivery_courier_routes.menu_courier_form'
HUBS = 'delivery_crm.menu_hub_form'
ADMINISTRATION = 'ir.menu_administration'

# login: (language, top-level menus shown, top-level menus not shown,
#         entries of Delivery shown, entries of Delivery not shown)
ROLES = {
    'admin': ('en', [DELIVERY, ADMINISTRATION], [],
        [CUSTOMERS, COURIERS, HUBS], []),
    'manager': ('ka', [DELIVERY], [ADMINISTRATION],
        [CUSTOMERS, HUBS], [COURIERS]),
    'dispatcher': ('en', [DELIVERY], [ADMINISTRATION],
        [CUSTOMERS, COURIERS, HUBS], []),
    'courier': ('ka', [DELIVERY], [ADMINISTRATION],
        [COURIERS, HUBS], [CUSTOMERS]),
    }


# the browser's state (session cookie, sao's local storage) of each user
# once logged in: the next tests of the user start logged in
SESSIONS = {}


def login(page, server_url, user, fresh=False):
    """Log in through sao's two dialogs: the user name (login dialog),
    then the password (ask dialog); wait for the menu to be shown. A user
    who logged in before in this run comes back with his session (unless
    fresh), as after a page reload.

    No login action may open a tab or a dialog: the demo data marked the
    module configuration wizard done, so it must not pop up for admin."""
    key = (server_url, user)
    if key in SESSIONS and not fresh:
        state = SESSIONS[key]
        page.context.add_cookies(state['cookies'])
        for origin in state['origins']:
            if origin['origin'] == server_url:
                items = {i['name']: i['value']
                    for i in origin['localStorage']}
                page.add_init_script(
                    "for (const [k, v] of Object.entries(%s)) {"
                    "localStorage.setItem(k, v);}" % json.dumps(items))
    # the database in the URL: the server may list others (var/db/*.sqlite)
    page.goto(f'{server_url}/#browser')
    dialog = page.locator('.login-dialog')
    user_name = dialog.locator('input#login')
    menu_entries = page.locator('#menu tbody .column-char')
    expect(user_name.or_(menu_entries.first).first).to_be_visible()
    if user_name.is_visible():
        user_name.fill(user)
        dialog.locator('button[type=submit]').click()

        secret = page.locator('.ask-dialog input#ask-dialog-entry')
        expect(secret).to_be_visible()
        expect(secret).to_have_attribute('type', 'password')
        secret.fill(password(user))
        page.locator('.ask-dialog .modal-footer .btn-primary').click()

    expect(page.locator('.login-dialog')).to_have_count(0)
    # sao runs the user's login actions (the module configuration wizard
    # of a new database, for the admin) before it builds the menu: a
    # wizard opens as a tab and the menu waits until it is closed
    menu = page.locator('#menu')
    menu_entries = menu.locator('tbody .column-char')
    tabs = page.locator('#tablist > li')
    expect(menu_entries.first.or_(tabs.first).first).to_be_visible()
    # let the last RPCs (a wizard's view, the menu's tree state) finish
    page.wait_for_load_state('networkidle')
    expect(tabs, "a tab opened at login: the module configuration "
        "wizard?").to_have_count(0)
    expect(page.locator('.wizard-dialog, .modal:visible')).to_have_count(0)
    expect(menu_entries.first).to_be_visible()
    SESSIONS[key] = page.context.storage_state()
    return menu


def menu_entry(menu, label):
    "The cell of the menu entry named label"
    return menu.locator('tbody .column-char').and_(
        menu.page.get_by_title(label, exact=True))


def open_delivery(page, menu, labels, child_label):
    "Expand Delivery (unless it is already) until child_label shows"
    child = menu_entry(menu, child_label)
    if not child.is_visible():
        row = menu.locator('tbody tr').filter(has=page.locator(
                '.column-char').and_(page.get_by_title(
                    labels(DELIVERY), exact=True)))
        row.locator('.expander').click()
    expect(child).to_be_visible()


def current_tab(page):
    return page.locator('#tabcontent > .tab-pane.active')


def open_from_menu(page, menu, labels, xml_id):
    "Click a menu entry of Delivery; return the rows of the list it opens"
    menu_entry(menu, labels(xml_id)).click()
    tab = current_tab(page)
    # the tab is named after the menu path, translated by the server
    expect(tab.locator('nav.toolbar .title').first).to_have_attribute(
        'title', f'{labels(DELIVERY)} / {labels(xml_id)}')
    expect(page.locator('#tabcontent')).to_have_attribute(
        'data-view-type', 'tree')
    return tab, tab.locator('.treeview tbody tr')


@pytest.fixture
def labels_for(tryton):
    def labels_for(language):
        return lambda xml_id: tryton.menu_label(xml_id, language)
    return labels_for


@pytest.mark.parametrize('user', list(ROLES))
def test_menu_fits_role(page, server_url, tryton, labels_for, user):
    language, top, not_top, shown, not_shown = ROLES[user]
    assert tryton.user(user)['language'] == language
    labels = labels_for(language)

    menu = login(page, server_url, user)
    # sao switched to the user's language
    expect(page.locator('html')).to_have_attribute('lang', language)
    for xml_id in top:
        expect(menu_entry(menu, labels(xml_id))).to_be_visible()
    open_delivery(page, menu, labels, labels(shown[0]))
    for xml_id in shown:
        expect(menu_entry(menu, labels(xml_id))).to_be_visible()
    # the entries that are shown are in the DOM: the absent ones are not
    # hidden ones that would still load
    for xml_id in not_top + not_shown:
        expect(menu_entry(menu, labels(xml_id))).to_have_count(0)


@pytest.mark.parametrize('user', ['admin', 'manager', 'dispatcher'])
def test_open_customer_and_tabs(page, server_url, labels_for, user):
    labels = labels_for(ROLES[user][0])
    menu = login(page, server_url, user)
    open_delivery(page, menu, labels, labels(CUSTOMERS))
    tab, rows = open_from_menu(page, menu, labels, CUSTOMERS)
    expect(rows.first).to_be_visible()

    row = rows.first
    texts = [t.strip() for t in row.locator('.column-char').all_inner_texts()]
    # a double click on a text cell (not the selection box) opens the form
    row.locator('td', has=page.locator('.column-char')).first.dblclick()
    expect(page.locator('#tabcontent')).to_have_attribute(
        'data-view-type', 'form')
    name = tab.locator('.form input[name="name"]').first
    expect(name).to_have_value(re.compile(r'\S'))
    assert name.input_value() in texts

    notebook = tab.locator('.form .form-notebook').first
    expect(notebook).to_be_visible()
    tab_links = notebook.locator(':scope > ul.nav-tabs > li:visible > a')
    count = tab_links.count()
    assert count >= 2, "the party form has a notebook of several tabs"
    # every tab but the first, then back to the first one
    for index in list(range(1, count)) + [0]:
        link = tab_links.nth(index)
        pane = notebook.locator(
            f':scope > .tab-content > #{link.get_attribute("aria-controls")}')
        link.click()
        expect(link.locator('xpath=..')).to_have_class(re.compile(r'\bactive\b'))
        expect(pane).to_be_visible()
        expect(pane.locator('.form-item:visible').first).to_be_visible()
        # only this pane of the notebook is shown
        expect(notebook.locator(
                ':scope > .tab-content > .tab-pane:visible')).to_have_count(1)


def test_courier_sees_only_himself(page, server_url, tryton, labels_for):
    user = 'courier'
    employees = tryton.user(user)['employees']
    assert len(employees) == 1
    labels = labels_for(ROLES[user][0])
    menu = login(page, server_url, user)
    open_delivery(page, menu, labels, labels(COURIERS))
    tab, rows = open_from_menu(page, menu, labels, COURIERS)

    # the record counter of the toolbar shows the searched total: 1
    expect(tab.locator('nav.toolbar .navbar-text .badge').first).to_have_text(
        re.compile(r'/\s*1$'))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(employees[0])
