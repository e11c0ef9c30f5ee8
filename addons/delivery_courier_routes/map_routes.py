# This file is part of the Delivery CRM for Tryton.
# The COPYRIGHT file at the top level of this repository contains the full
# copyright notices and license terms.
"""The map of a courier trip, opened from the trip form in sao.

    GET /<database_name>/delivery/trip/<trip id>/map?key=<key>[&lang=en|ka]
    GET /<database_name>/delivery/trip/map/leaflet/<file>   Leaflet 1.9.4
    GET /<database_name>/delivery/trip/map/static/<file>    map.js, map.css

sao opens the link in a new tab, without its session: the URL is signed.
The key is HMAC-SHA256(secret, "<database>\\n<trip id>\\n<trip date>") in
hexadecimal; the secret is [delivery_courier_routes] map_key of the
configuration or, when it is not set, a random secret generated once and
stored in the database (delivery.trip.map.key, which nobody can read over
RPC). Only users who can read a trip get its signed URL, from the trip's
map_url function field. A missing or wrong key and an unknown trip get the
same 403 page.

The page runs as root (user 0, no access rights, no record rules) and reads
only TRIP_FIELDS and STOP_FIELDS: names, cities, windows, planned times and
states, nothing the dispatcher does not see in the trip form, no phone, no
street, no cash amount.

Leaflet (npm leaflet@1.9.4, BSD-2-Clause) is served from the folder
[delivery_courier_routes] leaflet_root (its dist/ folder): the page answers
503 when it is not there. The OpenStreetMap tiles are the only external
resource; without them (offline, blocked) the depot, the numbered stops and
the route are still drawn (vector layers on a light background) and the
stops are listed in their order beside the map.
"""
import datetime as dt
import hashlib
import hmac
import html
import json
import re
import time
import urllib.parse
from pathlib import Path
from zoneinfo import ZoneInfo

from werkzeug.security import safe_join

from trytond import config
from trytond.i18n import gettext
from trytond.model import ModelSQL
from trytond.modules.delivery_crm.secret import StoredSecretMixin
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, Response, send_file, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.url import http_base
from trytond.wsgi import app

SECTION = 'delivery_courier_routes'
LANGUAGES = ['en', 'ka']
DEFAULT_LANGUAGE = 'en'
ENDONYMS = {'en': "English", 'ka': "ქართული"}
LEAFLET_VERSION = '1.9.4'
STATIC = Path(__file__).resolve().parent / 'static' / 'map'
TILES = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png'
TILES_ORIGIN = 'https://tile.openstreetmap.org'
ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">'
    'OpenStreetMap</a> contributors')
# what the route serves from the Leaflet and the static folders
ASSET_TYPES = {
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.png': 'image/png',
    '.svg': 'image/svg+xml',
    '.map': 'application/json; charset=utf-8',
    }
TRIP_ID = re.compile(r'[1-9][0-9]{0,9}')
MAX_ID = 2 ** 31 - 1
KEY = re.compile(r'[0-9a-f]{64}')
DASH = '\u2013'
# What the page may read: nothing else of the trip and its stops is loaded
TRIP_FIELDS = [
    'reference', 'date', 'state', 'distance', 'duration',
    'company.timezone', 'courier.rec_name',
    'depot.name', 'depot.city', 'depot.latitude', 'depot.longitude']
STOP_FIELDS = [
    'sequence', 'kind', 'name', 'city', 'latitude', 'longitude',
    'window_start', 'window_end', 'planned_arrival', 'late', 'state']


# Configuration and signature -------------------------------------------------

def leaflet_root():
    """The folder of leaflet.js and leaflet.css, or None when they are not
    there"""
    value = config.get(SECTION, 'leaflet_root', default='') or ''
    if not value:
        return None
    root = Path(value)
    if not all((root / name).is_file()
            for name in ['leaflet.js', 'leaflet.css']):
        return None
    return root


def hmac_key(secret, message):
    "HMAC-SHA256 of message in hexadecimal: the key of a signed link"
    return hmac.new(
        secret.encode('utf-8'), message.encode('utf-8'),
        hashlib.sha256).hexdigest()


def sign(secret, database, trip_id, date):
    "The key of the map of a trip"
    return hmac_key(
        secret, f'{database}\n{int(trip_id)}\n{date.isoformat()}')


def language_code(language):
    "'ka' for 'ka' or 'ka_GE', None for a language the page does not have"
    code = (language or '').replace('-', '_').split('_')[0].lower()
    return code if code in LANGUAGES else None


def link_context():
    """(database name, secret, base URL, language code or None) of the
    signed links made in the transaction"""
    transaction = Transaction()
    secret = Pool().get('delivery.trip.map.key').get_secret()
    base = (config.get(SECTION, 'base_url', default='') or http_base())
    return (transaction.database.name, secret, base.rstrip('/'),
        language_code(transaction.language))


def link_expires(hours):
    """When a link for a user made now expires: the end of the hour after
    hours, so that links made in the same hour are the same"""
    return (int(time.time()) // 3600 + 1 + hours) * 3600


def link_valid(key, expected, expires):
    "Whether a user's link has the expected key and has not expired"
    return hmac.compare_digest(key, expected) and expires >= time.time()


def link_user(pool, user):
    """Whether the user of a link still exists and is active: a link of a
    user deactivated since shows and writes nothing"""
    return bool(pool.get('res.user').search([('id', '=', user)], limit=1))


def map_urls(trips):
    """{trip id: the signed absolute URL of its map} for the trip records,
    in the language of the transaction"""
    database, secret, base, lang = link_context()
    result = {}
    for trip in trips:
        if trip.id is None or trip.id < 0 or not trip.date:
            result[trip.id] = None
            continue
        query = {'key': sign(secret, database, trip.id, trip.date)}
        if lang:
            query['lang'] = lang
        result[trip.id] = (
            f'{base}/{urllib.parse.quote(database)}/delivery/trip/'
            f'{trip.id}/map?{urllib.parse.urlencode(query)}')
    return result


class MapKey(StoredSecretMixin, ModelSQL):
    """Trip Map Key

    The secret of the map links when the configuration has no
    [delivery_courier_routes] map_key. Deleting it invalidates every link
    given so far."""
    __name__ = 'delivery.trip.map.key'
    _secret_config = (SECTION, 'map_key')


# The page --------------------------------------------------------------------

def choose_language(request):
    "?lang=, else the Accept-Language header, else English"
    lang = request.args.get('lang')
    if lang in LANGUAGES:
        return lang
    return request.accept_languages.best_match(
        LANGUAGES, default=DEFAULT_LANGUAGE)


def _(name, **variables):
    return gettext(f'delivery_courier_routes.msg_map_{name}', **variables)


def e(name, **variables):
    return html.escape(_(name, **variables))


def asset_version(path):
    "A short hash of a file of ours, to let browsers cache it"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return '0'


VERSIONS = {name: asset_version(STATIC / name)
    for name in ['map.js', 'map.css', 'pick.js', 'board.css']}

# the page of a trip is at <db>/delivery/trip/<id>/map: its assets are at
# <db>/delivery/trip/map/..., relative so that [web] root_path and proxies
# need nothing
ASSETS = '../map'

CSP = '; '.join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # data: is Leaflet's empty GIF, which aborts the tiles it no longer
        # needs (on zoom, on a new fit)
        f"img-src 'self' data: {TILES_ORIGIN}",
        "connect-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        ])
# the message pages (403, 503) load nothing at all
CSP_MESSAGE = '; '.join([
        "default-src 'none'",
        "style-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        ])


def page(lang, title, body, head='', scripts='', switch_query=None,
        assets=ASSETS):
    """The HTML of a page; assets: the URL of the map's assets relative to
    the page"""
    switch = ''
    if switch_query is not None:
        links = []
        for code in LANGUAGES:
            if code == lang:
                continue
            query = html.escape(urllib.parse.urlencode(
                    {**switch_query, 'lang': code}))
            links.append(
                f'<a href="?{query}" hreflang="{code}" lang="{code}">'
                f'{html.escape(ENDONYMS[code])}</a>')
        switch = (f'<nav class="languages" aria-label="{e("language")}">'
            f'{" ".join(links)}</nav>')
    return (
        '<!DOCTYPE html>\n'
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport"'
        ' content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f'<title>{title}</title>\n'
        f'<link rel="stylesheet" href="{assets}/static/map.css'
        f'?v={VERSIONS["map.css"]}">\n'
        f'{head}</head>\n<body>\n'
        f'<header class="top"><h1>{title}</h1>{switch}</header>\n'
        f'{body}\n{scripts}</body>\n</html>\n')


def respond(lang, content, status=HTTPStatus.OK, csp=CSP):
    response = Response(
        content, status=status, content_type='text/html; charset=utf-8')
    response.headers.update({
            'Cache-Control': 'no-store',
            'Content-Language': lang,
            'Vary': 'Accept-Language',
            'X-Robots-Tag': 'noindex',
            # the tiles get the origin only, never the key in the URL
            'Referrer-Policy': 'strict-origin-when-cross-origin',
            'X-Content-Type-Options': 'nosniff',
            'X-Frame-Options': 'DENY',
            'Content-Security-Policy': csp,
            })
    return response


def message_page(lang, name, status):
    title = e(f'{name}_title')
    body = f'<main class="message"><p>{e(name)}</p></main>'
    return respond(lang, page(lang, title, body), status=status,
        csp=CSP_MESSAGE)


def forbidden(lang):
    "The same page whatever is wrong: the key, the trip or both"
    return message_page(lang, 'forbidden', HTTPStatus.FORBIDDEN)


def unavailable(lang):
    return message_page(lang, 'unavailable', HTTPStatus.SERVICE_UNAVAILABLE)


class Formatter:
    "Times on the company's clock, dates in the language's format"

    def __init__(self, pool, lang, timezone, day):
        Lang = pool.get('ir.lang')
        self.lang = Lang.get(lang)
        try:
            self.zone = ZoneInfo(timezone or 'UTC')
        except (ValueError, KeyError, OSError):
            self.zone = ZoneInfo('UTC')
        self.day = day

    def local(self, value):
        "A naive UTC datetime on the company's clock"
        return value.replace(tzinfo=dt.timezone.utc).astimezone(self.zone)

    def date(self, value):
        return self.lang.strftime(value, self.lang.date)

    def time(self, value):
        "HH:MM, with the date when it is not the trip's day"
        text = f'{value:%H:%M}'
        if value.date() != self.day:
            text = f'{self.date(value)} {text}'
        return text

    def moment(self, value):
        return self.time(self.local(value)) if value else ''

    def window(self, start, end):
        if start and end:
            start, end = self.local(start), self.local(end)
            if start.date() == end.date():
                return f'{self.time(start)}\u2013{end:%H:%M}'
            return f'{self.time(start)} \u2013 {self.time(end)}'
        elif start:
            return _('window_from', start=self.time(self.local(start)))
        elif end:
            return _('window_until', end=self.time(self.local(end)))
        return ''

    def number(self, value, digits):
        return self.lang.format_number(value, digits)


def selection(Model, name):
    "The selection of the field translated in the transaction's language"
    return dict(Model.fields_get([name])[name]['selection'])


def coordinates(record):
    latitude, longitude = record.get('latitude'), record.get('longitude')
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return [round(latitude, 7), round(longitude, 7)]


def script_json(value):
    "JSON that can sit in a <script type=application/json> element"
    text = json.dumps(value, ensure_ascii=False, separators=(',', ':'))
    return (text.replace('&', '\\u0026').replace('<', '\\u003c')
        .replace('>', '\\u003e'))


def duration_text(value):
    if value is None:
        return ''
    minutes = int(value.total_seconds() // 60)
    return f'{minutes // 60}:{minutes % 60:02d}'


def map_page(pool, lang, trip_id, key):
    Trip = pool.get('delivery.trip')
    Stop = pool.get('delivery.trip.stop')
    trip, = Trip.read([trip_id], list(TRIP_FIELDS))
    stops = Stop.search_read(
        [('trip', '=', trip_id)],
        order=[('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')],
        fields_names=list(STOP_FIELDS))
    company = trip.get('company.') or {}
    timezone = company.get('timezone') or 'UTC'
    formatter = Formatter(pool, lang, timezone, trip['date'])
    stop_states = selection(Stop, 'state')
    stop_kinds = selection(Stop, 'kind')
    trip_states = selection(Trip, 'state')
    esc = html.escape

    depot = trip.get('depot.') or {}
    courier = trip.get('courier.') or {}
    data_stops, items = [], []
    for number, stop in enumerate(stops, 1):
        state = stop['state']
        window = formatter.window(stop['window_start'], stop['window_end'])
        arrival = formatter.moment(stop['planned_arrival'])
        late = (_('late_minutes', minutes=stop['late'])
            if stop['late'] else '')
        where = coordinates(stop)
        entry = {
            'number': number,
            'name': stop['name'] or '',
            'city': stop['city'] or '',
            'kind': stop_kinds.get(stop['kind'], stop['kind'] or ''),
            'window': window,
            'arrival': arrival,
            'state': stop_states.get(state, state),
            'stateCode': state,
            'late': late,
            'position': where,
            }
        data_stops.append(entry)
        rows = [
            f'<dt>{e("window")}</dt><dd>{esc(window or DASH)}</dd>',
            f'<dt>{e("arrival")}</dt><dd>{esc(arrival or DASH)}</dd>',
            f'<dt>{e("state")}</dt><dd><span class="state state-{esc(state)}"'
            f'>{esc(entry["state"])}</span></dd>',
            ]
        if late:
            rows.append(f'<dt>{e("late")}</dt>'
                f'<dd class="late">{esc(late)}</dd>')
        notes = ''
        if where is None:
            notes = f'<p class="note">{e("no_coordinates")}</p>'
        items.append(
            f'<li class="stop stop-{esc(state)}" data-stop="{number}"'
            f' value="{number}">'
            f'<span class="number" aria-hidden="true">{number}</span>'
            f'<div class="detail"><p class="title">'
            f'<strong class="name">{esc(entry["name"])}</strong>'
            f' <span class="city">{esc(entry["city"])}</span>'
            f' <span class="kind">{esc(entry["kind"])}</span></p>'
            f'<dl>{"".join(rows)}</dl>{notes}</div></li>')

    if items:
        stop_list = f'<ol class="stops" id="stops">{"".join(items)}</ol>'
    else:
        stop_list = f'<p class="empty">{e("no_stops")}</p>'

    depot_name = depot.get('name') or ''
    depot_city = depot.get('city') or ''
    summary = [
        ('date', formatter.date(trip['date'])),
        ('courier', courier.get('rec_name') or ''),
        ('depot', ', '.join(filter(None, [depot_name, depot_city]))),
        ('trip_state', trip_states.get(trip['state'], trip['state'])),
        ('stop_count', str(len(stops))),
        ]
    if trip['distance'] is not None:
        summary.append(('distance', _('km',
                    distance=formatter.number(trip['distance'], 1))))
    if trip['duration'] is not None:
        summary.append(('duration', duration_text(trip['duration'])))
    summary_html = ''.join(
        f'<div><dt>{e(label)}</dt><dd>{esc(value)}</dd></div>'
        for label, value in summary)

    data = {
        'depot': {
            'name': depot_name,
            'city': depot_city,
            'position': coordinates(depot),
            },
        'stops': data_stops,
        'tiles': {'url': TILES, 'attribution': ATTRIBUTION},
        'labels': {
            name: _(name) for name in [
                'depot', 'window', 'arrival', 'state', 'late', 'map',
                'zoom_in', 'zoom_out', 'no_library']},
        }
    title = e('title', trip=trip['reference'] or str(trip_id))
    body = (
        f'<section class="summary"><dl>{summary_html}</dl></section>\n'
        '<div class="layout">\n'
        f'<div class="map-box"><div id="map" class="map" role="region"'
        f' aria-label="{e("map")}"></div>\n'
        f'<p id="map-notice" class="notice" role="status" hidden>'
        f'{e("tiles_failed")}</p>\n'
        f'<noscript><p class="notice">{e("noscript")}</p></noscript></div>\n'
        f'<aside class="list" aria-labelledby="stops-title">'
        f'<h2 id="stops-title">{e("stops")}</h2>\n'
        f'<p class="depot-line">{e("start_end", depot=depot_name)}</p>\n'
        f'{stop_list}\n'
        f'<p class="timezone">{e("timezone", timezone=timezone)}</p>'
        '</aside>\n</div>\n'
        f'<script type="application/json" id="trip-data">{script_json(data)}'
        '</script>')
    head = (f'<link rel="stylesheet" href="{ASSETS}/leaflet/leaflet.css'
        f'?v={LEAFLET_VERSION}">\n')
    scripts = (
        f'<script src="{ASSETS}/leaflet/leaflet.js?v={LEAFLET_VERSION}">'
        '</script>\n'
        f'<script src="{ASSETS}/static/map.js?v={VERSIONS["map.js"]}">'
        '</script>\n')
    content = page(lang, title, body, head=head, scripts=scripts,
        switch_query={'key': key})
    return respond(lang, content)


@app.route('/<database_name>/delivery/trip/<trip_id>/map', methods={'GET'})
@with_pool
@with_transaction(context={'_check_access': False})
def trip_map(request, pool, trip_id):
    try:
        Trip = pool.get('delivery.trip')
        MapKey = pool.get('delivery.trip.map.key')
    except KeyError:
        # a database without the module
        return Response(status=HTTPStatus.NOT_FOUND)
    lang = choose_language(request)
    transaction = Transaction()
    with transaction.set_context(language=lang):
        key = request.args.get('key', '')
        date, id_ = None, None
        if TRIP_ID.fullmatch(trip_id) and int(trip_id) <= MAX_ID:
            trips = Trip.search_read(
                [('id', '=', int(trip_id))], limit=1, order=[],
                fields_names=['date'])
            if trips:
                id_, date = trips[0]['id'], trips[0]['date']
        # the same work whether the trip exists or not
        expected = sign(MapKey.get_secret(), transaction.database.name,
            id_ or 0, date or dt.date.min)
        valid = bool(KEY.fullmatch(key)) and hmac.compare_digest(
            key, expected)
        if not valid or id_ is None:
            return forbidden(lang)
        if leaflet_root() is None:
            return unavailable(lang)
        return map_page(pool, lang, id_, key)


def send_asset(request, root, filename):
    suffix = Path(filename).suffix.lower()
    path = safe_join(str(root), filename) if suffix in ASSET_TYPES else None
    if not path or not Path(path).is_file():
        return Response('Not Found', status=HTTPStatus.NOT_FOUND,
            content_type='text/plain; charset=utf-8')
    response = send_file(path, request.environ,
        mimetype=ASSET_TYPES[suffix], max_age=24 * 60 * 60,
        conditional=True)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route('/<database_name>/delivery/trip/map/leaflet/<path:filename>',
    methods={'GET'})
def leaflet_file(request, database_name, filename):
    root = leaflet_root()
    if root is None:
        return Response(
            "Leaflet is not installed: set leaflet_root in the "
            "[delivery_courier_routes] section of the configuration.",
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            content_type='text/plain; charset=utf-8')
    return send_asset(request, root, filename)


@app.route('/<database_name>/delivery/trip/map/static/<path:filename>',
    methods={'GET'})
def static_file(request, database_name, filename):
    return send_asset(request, STATIC, filename)


