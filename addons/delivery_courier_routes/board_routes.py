# This file is part of the Delivery CRM for Tryton.
# The COPYRIGHT file at the top level of this repository contains the full
# copyright notices and license terms.
"""The dispatcher board: the trips of a day side by side.

    GET /<database_name>/delivery/trip/board?<link>[&lang=en|ka]

One column per trip of the day (of a depot, or of every depot of the
company): the courier and his vehicle, the stops, the distance, the peak
load against the vehicle's capacity (kg, m³, parcels), the late stops and
their minutes, the state; then the stops in their order with the planned
time, the window, the lateness and the state; a last column with the
orders the latest planning of the day could not assign. The page reloads
itself every minute, so that a screen on the wall follows the day.

sao opens the link (the *Dispatcher Board* wizard of the Routes menu, the
*Board* link of a planning) in a new tab without its session: the link is
signed like the map picker's (HMAC-SHA256 with the secret of
delivery.trip.map.key) over the database, the company, the depot (0 for
all), the day, the user who got the link and when it expires (BOARD_HOURS).
The page reads as that user, with his access rights and record rules: a
link shows nothing its user could not see in sao.
"""
import datetime as dt
import html
import urllib.parse

from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from .map_routes import (
    DASH, KEY, VERSIONS, Formatter, choose_language, forbidden, hmac_key,
    link_context, link_expires, link_user, link_valid, map_urls, page,
    respond, selection)

# how long a link stays valid: a working day and a half
BOARD_HOURS = 36
# the page asks the browser for a fresh board every so many seconds
REFRESH = 60
MAX_ID = 2 ** 31 - 1
# a load above this share of the capacity is shown as nearly full
NEARLY_FULL = 0.9

TRIP_FIELDS = [
    'reference', 'date', 'state', 'distance', 'duration', 'locked',
    'start', 'end', 'depot', 'depot.rec_name', 'courier.rec_name',
    'courier.vehicle_type', 'courier.capacity_weight',
    'courier.capacity_volume', 'courier.capacity_parcels']
STOP_FIELDS = [
    'trip', 'sequence', 'kind', 'name', 'city', 'window_start',
    'window_end', 'planned_arrival', 'late', 'state', 'load_weight',
    'load_volume', 'load_parcels', 'order.number']

CSP = '; '.join([
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        ])


def board_sign(secret, database, company, depot, date, user, expires):
    return hmac_key(secret, f'board\n{database}\n{int(company)}\n'
        f'{int(depot)}\n{date.isoformat()}\n{int(user)}\n{int(expires)}')


def board_url(company, date, depot=None):
    """The signed link of the board of the company's trips of date (of the
    depot, when given) for the transaction's user, or None"""
    if company is None or date is None:
        return None
    database, secret, base, lang = link_context()
    expires = link_expires(BOARD_HOURS)
    user = Transaction().user
    company_id, depot_id = int(company), int(depot or 0)
    query = query_of((company_id, depot_id, date, user, expires,
            board_sign(secret, database, company_id, depot_id, date, user,
                expires)), lang)
    return (f'{base}/{urllib.parse.quote(database)}/delivery/trip/board?'
        f'{urllib.parse.urlencode(query)}')


def _link(values):
    """(company, depot, date, user, expires, key) of the request's values,
    or None when they are not a link of ours"""
    try:
        company = int(values.get('company'))
        depot = int(values.get('depot'))
        date = dt.date.fromisoformat(str(values.get('date')))
        user = int(values.get('user'))
        expires = int(values.get('expires'))
        key = str(values.get('key', ''))
    except (TypeError, ValueError):
        return None
    if (not 0 < company <= MAX_ID or not 0 <= depot <= MAX_ID
            or not 0 < user <= MAX_ID or not KEY.fullmatch(key)):
        return None
    return company, depot, date, user, expires, key


def _valid(pool, link):
    MapKey = pool.get('delivery.trip.map.key')
    company, depot, date, user, expires, key = link
    expected = board_sign(MapKey.get_secret(), Transaction().database.name,
        company, depot, date, user, expires)
    return link_valid(key, expected, expires)


def _m(name, **variables):
    return gettext(f'delivery_courier_routes.msg_board_{name}', **variables)


def _em(name, **variables):
    return html.escape(_m(name, **variables))


def peak(stops, name):
    values = [s[name] for s in stops if s[name] is not None]
    return max(values) if values else None


def load_line(formatter, label, value, capacity, digits, unit):
    """(html of a load against a capacity, ratio or None)"""
    if value is None:
        return '', None
    amount = formatter.number(value, digits)
    ratio = None
    if capacity:
        ratio = value / capacity
        text = _m('load_of', load=amount,
            capacity=formatter.number(capacity, digits), unit=unit,
            percent=round(100 * ratio))
    else:
        text = _m('load', load=amount, unit=unit)
    level = ''
    if ratio is not None and ratio > 1:
        level = ' over'
    elif ratio is not None and ratio >= NEARLY_FULL:
        level = ' full'
    bar = ''
    if ratio is not None:
        # no inline style (the page's CSP): widths by steps of 5 %
        width = 5 * round(min(100, 100 * ratio) / 5)
        bar = (f'<span class="bar"><span class="fill w{width}{level}">'
            '</span></span>')
    return (f'<div class="load{level}"><dt>{html.escape(label)}</dt>'
        f'<dd>{html.escape(text)}{bar}</dd></div>'), ratio


def trip_column(formatter, trip, stops, map_url, kinds, stop_states,
        trip_states, vehicles):
    esc = html.escape
    courier = trip.get('courier.') or {}
    late = [s for s in stops if s['late']]
    late_minutes = sum(s['late'] for s in late)
    done = sum(1 for s in stops if s['state'] in ('done', 'failed'))
    metrics = [
        f'<div><dt>{_em("stops")}</dt><dd>'
        f'{esc(_m("stops_done", done=done, total=len(stops)))}</dd></div>']
    if trip['distance'] is not None:
        metrics.append(f'<div><dt>{_em("distance")}</dt><dd>'
            f'{esc(_m("km", distance=formatter.number(trip["distance"], 1)))}'
            '</dd></div>')
    if trip['start'] and trip['end']:
        metrics.append(f'<div><dt>{_em("hours")}</dt><dd>'
            f'{esc(formatter.window(trip["start"], trip["end"]))}</dd></div>')
    for label, name, capacity, digits, unit in [
            (_m('weight'), 'load_weight', courier.get('capacity_weight'),
                1, _m('kg')),
            (_m('volume'), 'load_volume', courier.get('capacity_volume'),
                2, 'm\u00b3'),
            (_m('parcels'), 'load_parcels', courier.get('capacity_parcels'),
                0, ''),
            ]:
        line, _ = load_line(formatter, label, peak(stops, name), capacity,
            digits, unit)
        metrics.append(line)
    if late:
        metrics.append(f'<div class="late"><dt>{_em("late")}</dt><dd>'
            f'{esc(_m("late_stops", count=len(late), minutes=late_minutes))}'
            '</dd></div>')
    vehicle = vehicles.get(courier.get('vehicle_type'), '')
    reference = esc(trip['reference'] or str(trip['id']))
    if map_url:
        reference = (f'<a href="{esc(map_url)}" target="_blank" '
            f'rel="noopener">{reference}</a>')
    state = trip['state']
    head = (
        f'<header><h2>{esc(courier.get("rec_name") or DASH)}</h2>'
        f'<p class="what">{reference}'
        + (f' <span class="vehicle">{esc(vehicle)}</span>' if vehicle else '')
        + f' <span class="state state-{esc(state)}">'
        f'{esc(trip_states.get(state, state))}</span>'
        + (f' <span class="locked">{_em("locked")}</span>'
            if trip['locked'] else '')
        + '</p>'
        f'<dl class="metrics">{"".join(metrics)}</dl></header>')
    cards = []
    for stop in stops:
        order = (stop.get('order.') or {}).get('number') or ''
        window = formatter.window(stop['window_start'], stop['window_end'])
        arrival = formatter.moment(stop['planned_arrival'])
        state = stop['state']
        late_text = (_m('late_minutes', minutes=stop['late'])
            if stop['late'] else '')
        cards.append(
            f'<li class="card stop-{esc(state)}'
            + (' is-late' if stop['late'] else '') + '">'
            f'<p class="line"><span class="seq">{stop["sequence"] or ""}'
            f'</span> <strong class="time">{esc(arrival or DASH)}</strong>'
            f' <span class="kind kind-{esc(stop["kind"])}">'
            f'{esc(kinds.get(stop["kind"], stop["kind"]))}</span>'
            f' <span class="state state-{esc(state)}">'
            f'{esc(stop_states.get(state, state))}</span></p>'
            f'<p class="name">{esc(stop["name"] or "")}'
            f' <span class="city">{esc(stop["city"] or "")}</span></p>'
            f'<p class="meta"><span class="order">{esc(order)}</span>'
            f' <span class="window">{esc(window)}</span>'
            + (f' <span class="late-badge">{esc(late_text)}</span>'
                if late_text else '')
            + '</p></li>')
    body = (f'<ol class="cards">{"".join(cards)}</ol>' if cards
        else f'<p class="empty">{_em("no_stops")}</p>')
    return (f'<section class="column" data-trip="{trip["id"]}"'
        + (' data-late="1"' if late else '') + f'>{head}{body}</section>')


def unassigned_column(formatter, rows, reasons):
    esc = html.escape
    cards = []
    for row in rows:
        order = row.get('order.') or {}
        window = formatter.window(order.get('delivery_start'),
            order.get('delivery_end'))
        cards.append(
            '<li class="card unassigned">'
            f'<p class="line"><strong>{esc(order.get("number") or "")}'
            f'</strong> <span class="reason">'
            f'{esc(reasons.get(row["reason"], row["reason"]))}</span></p>'
            f'<p class="name">{esc(order.get("recipient_name") or "")}'
            f' <span class="city">{esc(order.get("delivery_city") or "")}'
            '</span></p>'
            f'<p class="meta"><span class="window">{esc(window)}</span></p>'
            + (f'<p class="advice">{esc(row["advice"])}</p>'
                if row['advice'] else '')
            + '</li>')
    body = (f'<ol class="cards">{"".join(cards)}</ol>' if cards
        else f'<p class="empty">{_em("none_unassigned")}</p>')
    return ('<section class="column unassigned-column">'
        f'<header><h2>{_em("unassigned")}</h2>'
        f'<p class="what">{esc(_m("unassigned_count", count=len(rows)))}'
        f'</p></header>{body}</section>')


def board_page(pool, lang, link):
    Company = pool.get('company.company')
    Hub = pool.get('delivery.hub')
    Trip = pool.get('delivery.trip')
    Stop = pool.get('delivery.trip.stop')
    Plan = pool.get('delivery.trip.plan')
    Unassigned = pool.get('delivery.trip.plan.unassigned')
    Employee = pool.get('company.employee')
    company_id, depot_id, date, user, expires, key = link

    companies = Company.search([('id', '=', company_id)], limit=1)
    if not companies:
        return forbidden(lang)
    company, = companies
    depot_name = ''
    domain = [('company', '=', company_id), ('date', '=', date),
        ('state', '!=', 'cancelled')]
    if depot_id:
        depots = Hub.search([('id', '=', depot_id)], limit=1)
        if not depots:
            return forbidden(lang)
        depot_name = depots[0].rec_name
        domain.append(('depot', '=', depot_id))
    trips = Trip.search_read(domain,
        order=[('courier', 'ASC'), ('id', 'ASC')],
        fields_names=TRIP_FIELDS)
    stops = Stop.search_read(
        [('trip', 'in', [t['id'] for t in trips])],
        order=[('trip', 'ASC'), ('sequence', 'ASC NULLS FIRST'),
            ('id', 'ASC')],
        fields_names=STOP_FIELDS)
    by_trip = {}
    for stop in stops:
        by_trip.setdefault(stop['trip'], []).append(stop)
    urls = map_urls(Trip.browse([t['id'] for t in trips]))

    # the orders the latest planning of each depot left out, still out
    plan_domain = [('company', '=', company_id), ('date', '=', date),
        ('state', '=', 'done')]
    if depot_id:
        plan_domain.append(('depots', '=', depot_id))
    latest, covered = [], set()
    for plan in Plan.search(plan_domain, order=[('id', 'DESC')]):
        depots = {d.id for d in plan.depots}
        if depot_id:
            depots &= {depot_id}
        if depots - covered:
            latest.append(plan.id)
            covered |= depots
    rows = []
    if latest:
        rows = Unassigned.search_read(
            [('plan', 'in', latest), ('outcome', '=', None)],
            order=[('id', 'ASC')],
            fields_names=['reason', 'advice', 'order.number',
                'order.recipient_name', 'order.delivery_city',
                'order.delivery_start', 'order.delivery_end'])

    formatter = Formatter(pool, lang, company.timezone, date)
    kinds = selection(Stop, 'kind')
    stop_states = selection(Stop, 'state')
    trip_states = selection(Trip, 'state')
    vehicles = selection(Employee, 'vehicle_type')
    reasons = selection(Unassigned, 'reason')

    columns = [
        trip_column(formatter, trip, by_trip.get(trip['id'], []),
            urls.get(trip['id']), kinds, stop_states, trip_states, vehicles)
        for trip in trips]
    columns.append(unassigned_column(formatter, rows, reasons))
    late_stops = sum(1 for s in stops if s['late'])
    distance = sum(t['distance'] or 0 for t in trips)
    summary = [
        ('date', formatter.date(date)),
        ('depot', depot_name or _m('all_depots')),
        ('trips', str(len(trips))),
        ('stops', str(len(stops))),
        ('distance', _m('km', distance=formatter.number(distance, 1))),
        ('late', str(late_stops)),
        ('unassigned', str(len(rows))),
        ]
    summary_html = ''.join(
        f'<div class="{name if name != "late" or late_stops else "on-time"}">'
        f'<dt>{_em(name)}</dt>'
        f'<dd>{html.escape(value)}</dd></div>' for name, value in summary)
    empty = ('' if trips
        else f'<p class="notice">{_em("no_trips")}</p>')
    title = _em('title', date=formatter.date(date))
    body = (
        f'<section class="summary"><dl>{summary_html}</dl>'
        f'<p class="refresh">{_em("refresh", seconds=REFRESH)}'
        f' <a href="?{html.escape(urllib.parse.urlencode(query_of(link, lang)))}">'
        f'{_em("refresh_now")}</a></p></section>\n{empty}'
        f'<main class="board">{"".join(columns)}</main>\n'
        f'<p class="timezone">{_em("timezone", timezone=formatter.zone.key)}'
        '</p>')
    head = (f'<meta http-equiv="refresh" content="{REFRESH}">\n'
        f'<link rel="stylesheet" href="map/static/board.css'
        f'?v={VERSIONS["board.css"]}">\n')
    # the board is at <db>/delivery/trip/board: the assets at map/...
    content = page(lang, title, body, head=head,
        switch_query=query_of(link), assets='map')
    return respond(lang, content, csp=CSP)


def query_of(link, lang=None):
    company, depot, date, user, expires, key = link
    query = {'company': company, 'depot': depot, 'date': date.isoformat(),
        'user': user, 'expires': expires, 'key': key}
    if lang:
        query['lang'] = lang
    return query


@app.route('/<database_name>/delivery/trip/board', methods={'GET'})
@with_pool
@with_transaction(context={'_check_access': False})
def board(request, pool):
    try:
        pool.get('delivery.trip.map.key')
    except KeyError:
        return Response(status=HTTPStatus.NOT_FOUND)
    lang = choose_language(request)
    transaction = Transaction()
    link = _link(request.args)
    with transaction.set_context(language=lang):
        if link is None or not _valid(pool, link):
            return forbidden(lang)
    company, user = link[0], link[3]
    if not link_user(pool, user):
        return forbidden(lang)
    with transaction.set_user(user), transaction.set_context(
            _check_access=True, language=lang, company=company):
        try:
            return board_page(pool, lang, link)
        except AccessError:
            return forbidden(lang)
