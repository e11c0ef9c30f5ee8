# This file is part of the Delivery CRM for Tryton.
"""Picking the position of an address on a map, opened from sao.

    GET  /<database_name>/delivery/trip/map/pick?<link>[&lang=en|ka]
    POST /<database_name>/delivery/trip/map/pick   (JSON: the link's
         fields, latitude, longitude)

The address form and the order form have a link (pick_urls) to this page:
Leaflet with the OpenStreetMap tiles, the current position if any (else
the company's first depot), a click or a drag puts the marker, the
coordinates can be typed too, and Save writes them. sao opens the link in a
new tab, without its session: the link is signed like the map of a trip
(HMAC-SHA256 with the secret of delivery.trip.map.key) over the database,
the model, the record, the place (pickup or delivery of an order), the user
who got the link and when it expires (PICK_HOURS). The coordinates are
written as that user, with his access rights and record rules: a link
gives nothing its user could not do in sao.
"""
import html
import json
import urllib.parse

from trytond.exceptions import UserError, UserWarning
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from .map_routes import (
    ASSETS, KEY, TILES, VERSIONS, choose_language, e, forbidden, hmac_key,
    leaflet_root, link_context, link_expires, link_user, link_valid, page,
    respond, script_json, unavailable)

# how long a link stays valid
PICK_HOURS = 12
# the coordinates each model's places are written to
PLACES = {
    ('party.address', ''): ('latitude', 'longitude'),
    ('delivery.order', 'pickup'): ('pickup_latitude', 'pickup_longitude'),
    ('delivery.order', 'delivery'): (
        'delivery_latitude', 'delivery_longitude'),
    }
# an order's coordinates change while it waits to be planned, not after
ORDER_STATES = {'draft', 'confirmed', 'failed'}
# where the map opens when the record has no position and no depot does
DEFAULT_CENTRE = (41.7151, 44.8271)
MAX_ID = 2 ** 31 - 1

CSP = '; '.join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: {urllib.parse.urlsplit(TILES).scheme}://"
        f"{urllib.parse.urlsplit(TILES).netloc}",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        ])


def pick_sign(secret, database, model, record_id, place, user, expires):
    return hmac_key(secret, f'pick\n{database}\n{model}\n{int(record_id)}\n'
        f'{place}\n{int(user)}\n{int(expires)}')


def pick_urls(records, place=''):
    """{record id: the signed link of the map where its user picks the
    position of the place of the record}, for the transaction's user"""
    database, secret, base, lang = link_context()
    expires = link_expires(PICK_HOURS)
    user = Transaction().user
    result = {}
    for record in records:
        if record.id is None or record.id < 0:
            result[record.id] = None
            continue
        query = {
            'model': record.__name__, 'id': record.id, 'place': place,
            'user': user, 'expires': expires,
            'key': pick_sign(secret, database, record.__name__, record.id,
                place, user, expires),
            }
        if lang:
            query['lang'] = lang
        result[record.id] = (
            f'{base}/{urllib.parse.quote(database)}/delivery/trip/map/pick?'
            f'{urllib.parse.urlencode(query)}')
    return result


def _link(values):
    """(model, id, place, user, expires, key) of the link's values, or
    None when they are not a link of ours"""
    try:
        model = str(values.get('model', ''))
        place = str(values.get('place', '') or '')
        record_id = int(values.get('id'))
        user = int(values.get('user'))
        expires = int(values.get('expires'))
        key = str(values.get('key', ''))
    except (TypeError, ValueError):
        return None
    if ((model, place) not in PLACES or not 0 < record_id <= MAX_ID
            or not 0 < user <= MAX_ID or not KEY.fullmatch(key)):
        return None
    return model, record_id, place, user, expires, key


def _valid(pool, link):
    MapKey = pool.get('delivery.trip.map.key')
    model, record_id, place, user, expires, key = link
    expected = pick_sign(MapKey.get_secret(), Transaction().database.name,
        model, record_id, place, user, expires)
    return link_valid(key, expected, expires)


def _centre(pool, record, fields):
    "Where the map opens: the record's position, else a depot's"
    latitude, longitude = (getattr(record, f) for f in fields)
    if latitude is not None and longitude is not None:
        return latitude, longitude, True
    Hub = pool.get('delivery.hub')
    for hub in Hub.search([('latitude', '!=', None)], limit=1,
            order=[('id', 'ASC')]):
        return hub.latitude, hub.longitude, False
    return DEFAULT_CENTRE + (False,)


def _describe(record, place):
    "What the page says it positions"
    if record.__name__ == 'party.address':
        return ', '.join(filter(None, [
                    record.party.rec_name if record.party else '',
                    ' '.join((record.street or '').split()),
                    record.city]))
    prefix = place
    return ', '.join(filter(None, [
                record.rec_name,
                ' '.join((getattr(record, f'{prefix}_street') or '').split()),
                getattr(record, f'{prefix}_city')]))


def pick_page(pool, lang, link):
    model, record_id, place, user, expires, key = link
    fields = PLACES[(model, place)]
    Model = pool.get(model)
    records = Model.search([('id', '=', record_id)], limit=1)
    if not records:
        return forbidden(lang)
    record, = records
    latitude, longitude, known = _centre(pool, record, fields)
    title = e(f'pick_title_{place or "address"}')
    data = {
        'link': {'model': model, 'id': record_id, 'place': place,
            'user': user, 'expires': expires, 'key': key},
        'centre': [latitude, longitude],
        'known': known,
        'tiles': TILES,
        'texts': {
            'saved': gettext('delivery_courier_routes.msg_map_pick_saved'),
            'failed': gettext('delivery_courier_routes.msg_map_pick_failed'),
            'invalid': gettext(
                'delivery_courier_routes.msg_map_pick_invalid'),
            },
        }
    body = (
        '<main class="pick">\n'
        f'<p class="what">{html.escape(_describe(record, place))}</p>\n'
        f'<p class="help">{e("pick_help")}</p>\n'
        '<div id="map" class="map pick-map"></div>\n'
        '<form id="pick" class="pick-form">\n'
        f'<label>{e("pick_latitude")} <input id="latitude" name="latitude"'
        ' inputmode="decimal" autocomplete="off"></label>\n'
        f'<label>{e("pick_longitude")} <input id="longitude"'
        ' name="longitude" inputmode="decimal" autocomplete="off"></label>\n'
        f'<button type="submit" id="save">{e("pick_save")}</button>\n'
        '</form>\n'
        '<p id="status" class="status" role="status" aria-live="polite">'
        '</p>\n</main>')
    head = (
        f'<link rel="stylesheet" href="{ASSETS}/leaflet/leaflet.css">\n')
    scripts = (
        f'<script type="application/json" id="pick-data">'
        f'{script_json(data)}</script>\n'
        f'<script src="{ASSETS}/leaflet/leaflet.js"></script>\n'
        f'<script src="{ASSETS}/static/pick.js?v={VERSIONS["pick.js"]}">'
        '</script>\n')
    query = {'model': model, 'id': record_id, 'place': place, 'user': user,
        'expires': expires, 'key': key}
    content = page(lang, title, body, head=head, scripts=scripts,
        switch_query=query)
    return respond(lang, content, csp=CSP)


def _json(status, **values):
    response = Response(json.dumps(values), status=status,
        content_type='application/json; charset=utf-8')
    response.headers.update({
            'Cache-Control': 'no-store',
            'X-Content-Type-Options': 'nosniff',
            })
    return response


def save(pool, link, values, lang):
    """Write the coordinates as the link's user; (status, answer)"""
    model, record_id, place, user, expires, key = link
    try:
        latitude = float(values.get('latitude'))
        longitude = float(values.get('longitude'))
    except (TypeError, ValueError):
        latitude = longitude = float('nan')
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return HTTPStatus.BAD_REQUEST, {'error': gettext(
                'delivery_courier_routes.msg_map_pick_invalid')}
    fields = PLACES[(model, place)]
    transaction = Transaction()
    Model = pool.get(model)
    if not link_user(pool, user):
        return HTTPStatus.FORBIDDEN, {'error': gettext(
                'delivery_courier_routes.msg_map_pick_failed')}
    with transaction.set_user(user), transaction.set_context(
            _check_access=True, language=lang):
        try:
            records = Model.search([('id', '=', record_id)], limit=1)
            if not records:
                return HTTPStatus.FORBIDDEN, {'error': gettext(
                        'delivery_courier_routes.msg_map_pick_failed')}
            record, = records
            if model == 'delivery.order' and record.state not in ORDER_STATES:
                return HTTPStatus.CONFLICT, {'error': gettext(
                        'delivery_courier_routes.msg_map_pick_state',
                        order=record.rec_name)}
            setattr(record, fields[0], round(latitude, 7))
            setattr(record, fields[1], round(longitude, 7))
            if hasattr(record, '_update_pricing'):
                record._update_pricing()
            record.save()
        except (UserError, UserWarning, AccessError) as error:
            transaction.rollback()
            return HTTPStatus.FORBIDDEN, {
                'error': getattr(error, 'message', str(error))}
    return HTTPStatus.OK, {
        'latitude': round(latitude, 7), 'longitude': round(longitude, 7)}


@app.route('/<database_name>/delivery/trip/map/pick', methods={'GET', 'POST'})
@with_pool
@with_transaction(context={'_check_access': False})
def pick(request, pool):
    try:
        pool.get('delivery.trip.map.key')
    except KeyError:
        return Response(status=HTTPStatus.NOT_FOUND)
    lang = choose_language(request)
    transaction = Transaction()
    with transaction.set_context(language=lang):
        if request.method == 'POST':
            try:
                values = json.loads(request.get_data(
                        cache=False, as_text=True) or '{}')
            except ValueError:
                values = None
            if not isinstance(values, dict):
                return _json(HTTPStatus.BAD_REQUEST, error=gettext(
                        'delivery_courier_routes.msg_map_pick_invalid'))
            link = _link(values.get('link') or {})
            if link is None or not _valid(pool, link):
                return _json(HTTPStatus.FORBIDDEN, error=gettext(
                        'delivery_courier_routes.msg_map_pick_failed'))
            status, answer = save(pool, link, values, lang)
            return _json(status, **answer)
        link = _link(request.args)
        if link is None or not _valid(pool, link):
            return forbidden(lang)
        if leaflet_root() is None:
            return unavailable(lang)
        return pick_page(pool, lang, link)

