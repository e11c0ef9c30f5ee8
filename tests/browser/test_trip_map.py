# This file is part of the Delivery CRM for Tryton.
"""The map of a courier trip in the browser, without the map tiles.

- the signed map URL of a trip with 3 stops (the trip's map_url, read over
  RPC) opens with every request to tile.openstreetmap.org aborted, as when
  the dispatcher is offline or the tiles are blocked: Leaflet draws the
  depot, the three numbered markers and the route (depot -> stops -> depot)
  in its SVG layer, the ordered list beside the map shows the stops in
  their order, a notice says the background is missing, and the page asks
  for nothing but our server and the tiles (no CSP violation, no script
  error); a screenshot is kept in tests/browser/screenshots/;
- the dispatcher opens the trip in sao: the form has the map link, and the
  link opens the same page in a new tab.

The trip is made over RPC as admin, with orders of a customer of its own,
on the demo data's depot (DID) and one of its couriers.
"""
import datetime as dt
import random
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from test_roles import current_tab, login, password

from tests.jsonrpc import Session

SCREENSHOTS = Path(__file__).resolve().parent / 'screenshots'
TRIP = 'delivery.trip'
TILES = '**/tile.openstreetmap.org/**'

# in the order of the trip: name, city, latitude, longitude
STOPS = [
    ("Nino", 'Tbilisi', 41.7262, 44.7500),
    ("Giorgi", 'Tbilisi', 41.6934, 44.8015),
    ("Tamar", 'Tbilisi', 41.7360, 44.7790),
    ]
PHONE = '+995555987654'


def rpc_datetime(value):
    return {
        '__class__': 'datetime', 'year': value.year, 'month': value.month,
        'day': value.day, 'hour': value.hour, 'minute': value.minute,
        'second': value.second, 'microsecond': 0}


def rpc_date(value):
    return {
        '__class__': 'date',
        'year': value.year, 'month': value.month, 'day': value.day}


@pytest.fixture(scope='module')
def trip(tryton):
    """A draft trip of 3 stops, created in another order than theirs;
    {'id', 'url', 'names'}"""
    fields = tryton.model(TRIP, 'fields_get', ['map_url'])
    assert 'map_url' in fields, "delivery.trip has no map_url field"
    depot, = tryton.model('delivery.hub', 'search',
        [('code', '=', 'DID')], 0, 1, None)
    courier, = tryton.model('company.employee', 'search',
        [('courier', '=', True), ('home_depot', '=', depot)], 0, 1, None)
    suffix = f'{random.randrange(10**6):06d}'
    names = [f"Map {name} {suffix}" for name, *_ in STOPS]
    customer, = tryton.model('party.party', 'create', [{
                'name': f"Map Customer {suffix}",
                'delivery_customer': True,
                }])
    orders = tryton.model('delivery.order', 'create', [{
                'customer': customer,
                'sender': customer,
                'sender_name': f"Map Customer {suffix}",
                'pickup_city': 'Tbilisi',
                'recipient_name': name,
                'recipient_phone': PHONE,
                'delivery_street': "Secret Street 7",
                'delivery_city': city,
                'delivery_latitude': latitude,
                'delivery_longitude': longitude,
                'weight': 1.5,
                } for name, (_, city, latitude, longitude)
            in zip(names, STOPS)])
    today = dt.date.today()
    start = dt.datetime.combine(today, dt.time(6, 0))
    stops = []
    for i, (order, name, (_, city, latitude, longitude)) in enumerate(
            zip(orders, names, STOPS)):
        window = start + dt.timedelta(hours=i)
        stops.append({
                'order': order,
                'kind': 'delivery',
                'sequence': i + 1,
                'name': name,
                'city': city,
                'phone': PHONE,
                'street': "Secret Street 7",
                'latitude': latitude,
                'longitude': longitude,
                'window_start': rpc_datetime(window),
                'window_end': rpc_datetime(window + dt.timedelta(hours=1)),
                'planned_arrival': rpc_datetime(
                    window + dt.timedelta(minutes=20)),
                })
    trip_id, = tryton.model(TRIP, 'create', [{
                'date': rpc_date(today),
                'courier': courier,
                'depot': depot,
                # the order of the stops is their sequence, not this one
                'stops': [['create', [stops[1], stops[2], stops[0]]]],
                }])
    trip, = tryton.model(TRIP, 'read', [trip_id], ['map_url', 'reference'])
    assert trip['map_url'], "map_url is empty for admin"
    yield {'id': trip_id, 'url': trip['map_url'], 'names': names,
        'reference': trip['reference']}
    tryton.model(TRIP, 'delete', [trip_id])
    tryton.model('delivery.order', 'delete', orders)
    tryton.model('party.party', 'delete', [customer])


def watch(page, server_url):
    """Block the tiles; record them, the requests to anything else than our
    server and the errors of the page"""
    seen = {'tiles': [], 'foreign': [], 'errors': []}

    def block(route):
        seen['tiles'].append(route.request.url)
        route.abort()

    def request(req):
        if (not req.url.startswith(server_url + '/')
                and 'tile.openstreetmap.org' not in req.url):
            seen['foreign'].append(req.url)

    def console(message):
        location = (message.location or {}).get('url') or ''
        if (message.type == 'error'
                and 'tile.openstreetmap.org' not in location):
            seen['errors'].append(message.text)

    context = page.context
    context.route(TILES, block)
    context.on('request', request)
    context.on('console', console)
    context.on('weberror', lambda error: seen['errors'].append(
            str(error.error)))
    return seen


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


def check_map(page, trip, seen, name=None):
    """The map and the list of the trip, drawn without any tile; the
    screenshots name.png (the whole trip) and name-popup.png (a stop
    chosen in the list)"""
    expect(page.locator('#map')).to_have_attribute('data-ready', 'true')
    # the numbered markers (divIcons), in the order of the stops
    markers = page.locator('.leaflet-marker-pane .stop-marker')
    expect(markers).to_have_count(3)
    expect(markers).to_have_text(['1', '2', '3'])
    for marker, stop in zip(markers.all(), trip['names']):
        assert marker.get_attribute('title').endswith(stop)
    expect(page.locator('.leaflet-marker-pane .depot-marker')).to_have_count(1)
    # Leaflet's vector layer: the discs of the stops and of the depot and
    # the route, depot -> 3 stops -> depot
    svg = page.locator('.leaflet-overlay-pane svg')
    expect(svg.locator('path.stop-point')).to_have_count(3)
    expect(svg.locator('path.depot-point')).to_have_count(1)
    route = svg.locator('path.trip-route')
    expect(route).to_have_count(1)
    path = route.get_attribute('d')
    points = re.findall(r'[ML]\s*(-?[\d.]+)[ ,](-?[\d.]+)', path)
    assert len(points) == 5, path
    assert points[0] == points[-1], path  # back to the depot
    box = route.bounding_box()
    assert box and box['width'] > 20 and box['height'] > 20, box
    # the ordered list beside the map
    items = page.locator('ol.stops > li')
    expect(items).to_have_count(3)
    expect(items.locator('.number')).to_have_text(['1', '2', '3'])
    expect(items.locator('.name')).to_have_text(trip['names'])
    for item in items.all():
        expect(item).to_contain_text('\u2013')  # the window
    # the tiles were asked for, blocked, and the page says so
    assert seen['tiles'], "Leaflet did not ask for any tile"
    expect(page.locator('#map-notice')).to_be_visible()
    expect(page.locator('.leaflet-control-attribution')).to_contain_text(
        'OpenStreetMap')
    if name:
        screenshot(page, f'{name}.png')
    # a stop of the list shows on the map
    items.nth(1).click()
    popup = page.locator('.leaflet-popup-content')
    expect(popup).to_contain_text(trip['names'][1])
    expect(popup).not_to_contain_text(PHONE)
    if name:
        # once Leaflet's fade-in and pan are over
        expect(page.locator('.leaflet-popup')).to_have_css('opacity', '1')
        page.wait_for_function(
            "!document.querySelector('.leaflet-pan-anim, .leaflet-zoom-anim')")
        screenshot(page, f'{name}-popup.png')
    assert PHONE not in page.content()
    assert "Secret Street" not in page.content()
    assert not seen['foreign'], seen['foreign']
    assert not seen['errors'], seen['errors']


def test_map_without_tiles(page, server_url, trip):
    "The map URL with the tiles blocked: markers, route and list in order"
    seen = watch(page, server_url)
    response = page.goto(trip['url'])
    if response.status == 503:
        pytest.fail("The server has no Leaflet: run `make leaflet` (and "
            "tools/launch.py sets [delivery_courier_routes] leaflet_root)")
    assert response.status == 200, response.status
    assert 'tile.openstreetmap.org' in (
        response.headers['content-security-policy'])
    check_map(page, trip, seen, name='trip_map_offline')


def test_map_from_trip_form(page, server_url, tryton, trip):
    "The dispatcher opens the map from the trip form in sao"
    seen = watch(page, server_url)
    login(page, server_url, 'dispatcher')
    page.goto(f"{server_url}/#browser/model/{TRIP}/{trip['id']}")
    tab = current_tab(page)
    expect(tab.locator('input[name="reference"]')).to_have_value(
        trip['reference'])
    link = tab.locator('.form-url a[href*="/delivery/trip/"]')
    expect(link).to_be_visible()
    href = link.get_attribute('href')
    assert re.search(rf"/browser/delivery/trip/{trip['id']}/map\?key="
        r"[0-9a-f]{64}", href), href
    assert link.get_attribute('target') == '_blank'
    screenshot(page, 'trip_form_map_link.png')
    # what sao did is not the map's business
    seen['errors'].clear()
    seen['foreign'].clear()
    with page.context.expect_page() as opening:
        link.click()
    map_page = opening.value
    map_page.wait_for_load_state()
    assert map_page.url == href
    check_map(map_page, trip, seen)


def test_map_in_georgian(page, server_url, trip):
    "?lang=ka: the page and Leaflet's controls in Georgian, same drawing"
    seen = watch(page, server_url)
    url = re.sub(r'([?&])lang=[a-z]+', r'\1lang=ka', trip['url'])
    if 'lang=ka' not in url:
        url += '&lang=ka'
    response = page.goto(url)
    assert response.status == 200, response.status
    expect(page.locator('html')).to_have_attribute('lang', 'ka')
    expect(page.locator('#map')).to_have_attribute('data-ready', 'true')
    expect(page.locator('.leaflet-control-zoom-in')).not_to_have_attribute(
        'title', 'Zoom in')
    expect(page.locator('.leaflet-marker-pane .stop-marker')).to_have_text(
        ['1', '2', '3'])
    expect(page.locator('ol.stops > li .name')).to_have_text(trip['names'])
    expect(page.locator('#map-notice')).to_be_visible()
    expect(page.locator('#map-notice')).not_to_contain_text('background map')
    screenshot(page, 'trip_map_offline_ka.png')
    assert not seen['foreign'], seen['foreign']
    assert not seen['errors'], seen['errors']


def test_pick_position_on_the_map(page, server_url, tryton):
    """The dispatcher opens the map of an order's delivery address from
    its link (delivery_pick_url, read as the dispatcher), clicks on the
    map (no tiles: the map is still there to click), saves: the order has
    the coordinates of the point clicked; the page is in his language"""
    suffix = f'{random.randrange(10**6):06d}'
    customer, = tryton.model('party.party', 'create', [{
                'name': f"Pick Customer {suffix}",
                'delivery_customer': True,
                }])
    order, = tryton.model('delivery.order', 'create', [{
                'customer': customer, 'sender': customer,
                'sender_name': f"Pick Customer {suffix}",
                'pickup_city': 'Tbilisi',
                'recipient_name': f"Pick {suffix}",
                'recipient_phone': PHONE,
                'delivery_street': "Kostava Street 20",
                'delivery_city': 'Tbilisi',
                }])
    dispatcher = Session(server_url, tryton.database, 'dispatcher',
        password('dispatcher'))
    read, = dispatcher.model('delivery.order', 'read', [order],
        ['delivery_pick_url'])
    url = read['delivery_pick_url']
    assert url and '/delivery/trip/map/pick?' in url, url
    seen = watch(page, server_url)
    page.goto(url)
    expect(page.locator('h1')).to_be_visible()
    map_ = page.locator('#map')
    expect(map_.locator('.leaflet-map-pane')).to_have_count(1)
    box = map_.bounding_box()
    # a click a little off the centre (the first hub: the order has no
    # position yet)
    page.mouse.click(box['x'] + box['width'] / 2 + 40,
        box['y'] + box['height'] / 2 - 30)
    expect(map_.locator('.leaflet-marker-icon')).to_have_count(1)
    latitude = float(page.locator('#latitude').input_value())
    longitude = float(page.locator('#longitude').input_value())
    page.locator('#save').click()
    expect(page.locator('#status.saved')).to_be_visible()
    screenshot(page, 'pick-position.png')
    after, = tryton.model('delivery.order', 'read', [order],
        ['delivery_latitude', 'delivery_longitude'])
    assert (after['delivery_latitude'], after['delivery_longitude']) == (
        round(latitude, 7), round(longitude, 7)), (after, latitude, longitude)
    # near the hub the map opened on, in Georgia
    assert 41 < latitude < 43.6 and 40 < longitude < 46.8, (latitude, longitude)
    assert not seen['foreign'], seen['foreign']
    assert not seen['errors'], seen['errors']
    tryton.model('delivery.order', 'delete', [order])
    tryton.model('party.party', 'delete', [customer])
