# This file is part of the Delivery CRM for Tryton.
"""The public tracking page of a delivery order.

    GET /<database_name>/delivery/track/<token>[?lang=ka|en]

No login: the page runs as root (user 0, no access rights, no record rules)
and reads only the non-personal fields listed in ORDER_FIELDS and
EVENT_FIELDS. Unknown, malformed and tampered tokens all get the same 404
page; each of them is recorded as a failed `delivery.track.attempt`, and an
address (an IP network) that made [delivery_crm] track_max_failures of them
in 10 minutes gets HTTP 429 for unknown tokens. A valid token still
opens its page from such an address (many recipients may share one NAT):
views are counted apart, with their own, generous limit
([delivery_crm] track_max_views).
"""
import datetime as dt
import hashlib
import hmac
import html
import math
import re
from zoneinfo import ZoneInfo

from sql.aggregate import Count

from trytond import config
from trytond.i18n import gettext, ngettext
from trytond.model import Index, ModelSQL, fields
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from .secret import StoredSecretMixin

LANGUAGES = ['en', 'ka']
DEFAULT_LANGUAGE = 'en'
# the name of each language in itself, for the link that switches to it
ENDONYMS = {'en': "English", 'ka': "ქართული"}
# order.new_token(): secrets.token_urlsafe(18) is 24 URL-safe characters
TOKEN = re.compile(r'[A-Za-z0-9_-]{24}')
WINDOW = dt.timedelta(minutes=10)
# What the page may read: nothing else of the order is ever loaded
ORDER_FIELDS = [
    'number', 'state', 'service', 'delivery_start', 'delivery_end',
    'pickup_city', 'delivery_city', 'parcel_count', 'failed_attempts',
    'company.timezone']
EVENT_FIELDS = ['date', 'event', 'hub.city']


def max_failures():
    return config.getint('delivery_crm', 'track_max_failures', default=20)


def max_views():
    return config.getint('delivery_crm', 'track_max_views', default=600)


class TrackKey(StoredSecretMixin, ModelSQL):
    """Tracking Page Key

    The secret of the hashes of the addresses kept for rate limiting when
    the configuration has no [delivery_crm] track_ip_key."""
    __name__ = 'delivery.track.key'
    _secret_config = ('delivery_crm', 'track_ip_key')


class TrackAttempt(ModelSQL):
    """Tracking Page Attempt

    One row per request for a tracking page, kept for WINDOW: a failure
    (unknown token) or a view (a page shown). Like res.user.login.attempt it
    counts per IP network ([session] ip_network_4 / ip_network_6) and purges
    the old rows when it adds one; unlike it, it stores only a keyed hash of
    the network."""
    __name__ = 'delivery.track.attempt'
    ip_address = fields.Char("IP Address Hash", required=True, strip=False)
    kind = fields.Selection([
            ('failure', "Failure"),
            ('view', "View"),
            ], "Kind", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t,
                (t.ip_address, Index.Equality()),
                (t.kind, Index.Equality()),
                (t.create_date, Index.Range())))

    @classmethod
    def default_kind(cls):
        return 'failure'

    @staticmethod
    def delay():
        return dt.datetime.now() - WINDOW

    @classmethod
    def key(cls):
        "The hash of the requester's network"
        pool = Pool()
        TrackKey = pool.get('delivery.track.key')
        transaction = Transaction()
        _, network = transaction.remote_address()
        secret = TrackKey.get_secret()
        message = f'{transaction.database.name}:{network or ""}'
        return hmac.new(
            secret.encode(), message.encode(), hashlib.sha256).hexdigest()

    @classmethod
    def add(cls, key, kind='failure'):
        """Record a request in a transaction of its own: it is committed
        whatever happens to the page's (read only) transaction"""
        with Transaction().new_transaction():
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.delete(
                    where=table.create_date < cls.delay()))
            cls.create([{'ip_address': key, 'kind': kind}])

    @classmethod
    def retry_after(cls, key, kind='failure'):
        """The seconds until the key may ask again for kind, None if it is
        not blocked"""
        limit = max_failures() if kind == 'failure' else max_views()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = ((table.ip_address == key) & (table.kind == kind)
            & (table.create_date >= cls.delay()))
        cursor.execute(*table.select(Count(), where=where))
        count, = cursor.fetchone()
        if count < limit:
            return None
        # it is unblocked when the (count - limit + 1) oldest ones expire
        cursor.execute(*table.select(table.create_date,
                where=where, order_by=[table.create_date.asc],
                limit=1, offset=count - limit))
        row = cursor.fetchone()
        seconds = WINDOW.total_seconds()
        if row and isinstance(row[0], dt.datetime):
            seconds = (row[0] + WINDOW - dt.datetime.now()).total_seconds()
        return max(1, min(math.ceil(seconds), int(WINDOW.total_seconds())))


def choose_language(request):
    "?lang=, else the Accept-Language header, else English"
    lang = request.args.get('lang')
    if lang in LANGUAGES:
        return lang
    return request.accept_languages.best_match(
        LANGUAGES, default=DEFAULT_LANGUAGE)


def _(name, **variables):
    return html.escape(gettext(f'delivery_crm.msg_track_{name}', **variables))


STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"DejaVu Sans",sans-serif;color:#1d2430;background:#f3f5f8}
main{max-width:40rem;margin:0 auto;padding:1rem}
header{display:flex;justify-content:space-between;align-items:baseline;
gap:1rem;flex-wrap:wrap}
h1{font-size:1.4rem;margin:.5rem 0}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
nav a{color:#0b5cad}
.card{background:#fff;border-radius:.5rem;padding:1rem;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem;margin:0}
dt{color:#5b6472}
dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.state{display:inline-block;padding:.1rem .6rem;border-radius:1rem;
background:#e3edf9;color:#0b4a8a}
.state-delivered{background:#e2f4e6;color:#1b6b31}
.state-failed,.state-returned,.state-cancelled{background:#fbe6e6;
color:#8a1c1c}
ol{list-style:none;margin:0;padding:0}
li{display:grid;grid-template-columns:minmax(8.5rem,max-content) 1fr;
gap:0 1rem;padding:.5rem 0;border-bottom:1px solid #e5e8ec}
li:last-child{border-bottom:0}
time{color:#5b6472;font-variant-numeric:tabular-nums}
.where{grid-column:2;color:#5b6472}
small{display:block;margin-top:1rem;color:#5b6472}
@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.4rem}
li{grid-template-columns:1fr}.where{grid-column:1}}
"""


def page(lang, title, body):
    switch = ' '.join(
        f'<a href="?lang={code}" hreflang="{code}" lang="{code}">'
        f'{html.escape(ENDONYMS[code])}</a>'
        for code in LANGUAGES if code != lang)
    return (
        '<!DOCTYPE html>\n'
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport"'
        ' content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f'<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n'
        f'<main>\n<header><h1>{title}</h1>'
        f'<nav aria-label="{_("language")}">{switch}</nav></header>\n'
        f'{body}\n</main>\n</body>\n</html>\n')


def respond(lang, title, body, status=HTTPStatus.OK, headers=None,
        form_action="'none'"):
    """The page as a response; form_action: where its forms may post
    (none: the pages have no form unless they say so)"""
    response = Response(
        page(lang, title, body), status=status,
        content_type='text/html; charset=utf-8')
    response.headers.update({
            'Cache-Control': 'no-store',
            'Content-Language': lang,
            'Vary': 'Accept-Language',
            'X-Robots-Tag': 'noindex',
            'Referrer-Policy': 'no-referrer',
            'X-Content-Type-Options': 'nosniff',
            'X-Frame-Options': 'DENY',
            'Content-Security-Policy': (
                "default-src 'none'; style-src 'unsafe-inline'; "
                f"base-uri 'none'; form-action {form_action}; "
                "frame-ancestors 'none'"),
            })
    if headers:
        response.headers.update(headers)
    return response


def not_found(lang):
    "The same page whatever the token"
    title = _('not_found_title')
    body = f'<p class="card">{_("not_found")}</p>'
    return respond(lang, title, body, status=HTTPStatus.NOT_FOUND)


def too_many(lang, seconds):
    title = _('too_many_title')
    minutes = max(1, math.ceil(seconds / 60))
    text = ngettext(
        'delivery_crm.msg_track_too_many', minutes, minutes=minutes)
    body = f'<p class="card">{html.escape(text)}</p>'
    return respond(lang, title, body, status=HTTPStatus.TOO_MANY_REQUESTS,
        headers={'Retry-After': str(seconds)})


class Formatter:
    "Dates in the company's time zone and the language's date format"

    def __init__(self, pool, lang, timezone):
        Lang = pool.get('ir.lang')
        self.lang = Lang.get(lang)
        try:
            self.zone = ZoneInfo(timezone or 'UTC')
        except (ValueError, KeyError, OSError):
            self.zone = ZoneInfo('UTC')

    def local(self, value):
        "A naive UTC datetime in the company's zone"
        return value.replace(tzinfo=dt.timezone.utc).astimezone(self.zone)

    def date(self, value):
        return self.lang.strftime(value, self.lang.date)

    def datetime(self, value):
        return self.lang.strftime(value, self.lang.date + ' %H:%M')

    def window(self, start, end):
        if start and end:
            start, end = self.local(start), self.local(end)
            if start.date() == end.date():
                return (f'{self.date(start)} '
                    f'{start:%H:%M}\u2013{end:%H:%M}')
            return f'{self.datetime(start)} \u2013 {self.datetime(end)}'
        elif start:
            return gettext('delivery_crm.msg_track_window_from',
                start=self.datetime(self.local(start)))
        elif end:
            return gettext('delivery_crm.msg_track_window_until',
                end=self.datetime(self.local(end)))
        return gettext('delivery_crm.msg_track_window_none')


def selection(Model, name):
    "The selection of the field translated in the transaction's language"
    return dict(Model.fields_get([name])[name]['selection'])


def tracking_page(pool, lang, order_id):
    Order = pool.get('delivery.order')
    Event = pool.get('delivery.order.event')
    order, = Order.read([order_id], list(ORDER_FIELDS))
    events = Event.search_read(
        [('order', '=', order_id)], order=[('date', 'ASC'), ('id', 'ASC')],
        fields_names=list(EVENT_FIELDS))
    company = order.get('company.') or {}
    timezone = company.get('timezone') or 'UTC'
    formatter = Formatter(pool, lang, timezone)
    states = selection(Order, 'state')
    services = selection(Order, 'service')
    event_names = selection(Event, 'event')
    esc = html.escape

    def row(label, value, cls=None):
        value = esc(str(value if value is not None else ''))
        if cls:
            value = f'<span class="{cls}">{value}</span>'
        return f'<dt>{_(label)}</dt><dd>{value}</dd>'

    state = order['state']
    rows = [
        row('number', order['number']),
        row('status', states.get(state, state), f'state state-{state}'),
        ]
    if state not in {'delivered', 'returned', 'cancelled'}:
        rows.append(row('window', formatter.window(
                    order['delivery_start'], order['delivery_end'])))
    rows += [
        row('origin', order['pickup_city']),
        row('destination', order['delivery_city']),
        row('parcels', order['parcel_count']),
        row('service', services.get(order['service'], order['service'])),
        ]
    if order['failed_attempts']:
        rows.append(row('failed_attempts', order['failed_attempts']))

    items = []
    for event in events:
        when = formatter.local(event['date'])
        hub = event.get('hub.') or {}
        name = event_names.get(event['event'], event['event'])
        where = (f'<span class="where">{esc(hub["city"])}</span>'
            if hub.get('city') else '')
        items.append(
            f'<li><time datetime="{when.isoformat()}">'
            f'{esc(formatter.datetime(when))}</time>'
            f'<span>{esc(name)}</span>{where}</li>')
    if items:
        history = '<ol>' + ''.join(reversed(items)) + '</ol>'
    else:
        history = f'<p>{_("history_empty")}</p>'

    body = (
        f'<section class="card"><dl>{"".join(rows)}</dl></section>\n'
        f'<h2>{_("history")}</h2>\n'
        f'<section class="card">{history}</section>\n'
        f'<small>{_("timezone", timezone=timezone)}</small>')
    return respond(lang, _('title'), body)


@app.route('/<database_name>/delivery/track/<token>', methods={'GET'})
@with_pool
@with_transaction(context={'_check_access': False})
def track(request, pool, token):
    try:
        Order = pool.get('delivery.order')
        Attempt = pool.get('delivery.track.attempt')
    except KeyError:
        # a database without the module
        return Response(status=HTTPStatus.NOT_FOUND)
    lang = choose_language(request)
    with Transaction().set_context(language=lang):
        key = Attempt.key()
        orders = []
        if TOKEN.fullmatch(token):
            # an equality on the unique, indexed column
            orders = Order.search(
                [('tracking_token', '=', token)], limit=1, order=[])
        # failures and views are limited apart: the guesses of one device
        # must not lock out the recipients who share its address
        kind = 'view' if orders else 'failure'
        seconds = Attempt.retry_after(key, kind)
        if seconds is not None:
            # no record: a blocked address must not fill the table
            return too_many(lang, seconds)
        Attempt.add(key, kind)
        if not orders:
            return not_found(lang)
        order, = orders
        return tracking_page(pool, lang, order.id)
