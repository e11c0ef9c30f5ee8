# This file is part of the Delivery CRM for Tryton.
"""Delivery orders, their legs through the hubs and their history."""
import datetime as dt
import secrets
from collections import defaultdict
from decimal import Decimal
from urllib.parse import quote as url_quote
from zoneinfo import ZoneInfo

from sql import Null
from sql.aggregate import Sum

from trytond import backend, config
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Unique, Workflow, fields, sequence_ordered)
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import tariff as pure
from .exceptions import OrderError
from .coordinates import (
    fill_coordinates, fill_known_coordinates, known_coordinates)
from .geo import coordinates_error, haversine_km
from .phone import parse
from .security import InputGuardMixin
from .sqlutil import insert
from .tariffs import SERVICES

STATES = [
    ('draft', "Draft"),
    ('confirmed', "Confirmed"),
    ('assigned', "Assigned"),
    ('picked_up', "Picked Up"),
    ('in_transit', "In Transit"),
    ('delivered', "Delivered"),
    ('failed', "Failed"),
    ('returned', "Returned"),
    ('cancelled', "Cancelled"),
    ]
EVENTS = STATES + [('rescheduled', "Rescheduled"), ('at_hub', "At Hub")]
FAILURE_REASONS = [
    (None, ""),
    ('absent', "Recipient Absent"),
    ('refused', "Refused by Recipient"),
    ('address', "Wrong Address"),
    ('no_cash', "Recipient Could Not Pay"),
    ('damaged', "Parcel Damaged"),
    ('other', "Other"),
    ]
ROUTING_ISSUES = [
    (None, ""),
    ('pickup_coordinates', "Pickup coordinates missing"),
    ('delivery_coordinates', "Delivery coordinates missing"),
    ('coordinates', "Pickup and delivery coordinates missing"),
    ]
COD_STATES = [
    ('none', "None"),
    ('to_collect', "To Collect"),
    ('collected', "Collected"),
    ('handed_in', "Handed In"),
    ]
LEG_KINDS = [
    ('direct', "Direct"),
    ('pickup', "Pickup"),
    ('linehaul', "Line-haul"),
    ('last_mile', "Last Mile"),
    ]
LEG_STATES = [
    ('waiting', "Waiting"),
    ('in_progress', "In Progress"),
    ('done', "Done"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ]
MAX_WEIGHT = 10000
MAX_VOLUME = 100
MAX_PARCELS = 1000
# the fields that change the price, the zones, the hubs or the routing
PRICING = [
    'company', 'customer', 'service', 'parcel_count', 'weight', 'volume',
    'cod_amount', 'fragile', 'pickup_city', 'pickup_latitude',
    'pickup_longitude', 'delivery_city', 'delivery_latitude',
    'delivery_longitude', 'pickup_start', 'pickup_end', 'delivery_start',
    'delivery_end']
COMPUTED = [
    'pickup_zone', 'delivery_zone', 'origin_hub', 'destination_hub',
    'distance', 'routing_issue', 'tariff', 'delivery_amount', 'cod_fee',
    'surcharge_amount', 'amount', 'price_error']


def tracking_number(order_id):
    "The order's id on 9 digits and a Luhn check digit"
    digits = f'{order_id:09d}'
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def new_token():
    "An unguessable token for the public tracking page"
    return secrets.token_urlsafe(18)


def order_error(values, now, cod_services):
    """The first problem of an order's values as (message id, arguments),
    or None. values: a mapping of the order's field names."""
    get = values.get
    count = get('parcel_count')
    if count is None or not (1 <= count <= MAX_PARCELS):
        return 'msg_order_parcel_count', {'count': count, 'max': MAX_PARCELS}
    weight = get('weight') or 0
    if not (0 <= weight <= MAX_WEIGHT):
        return 'msg_order_weight', {'weight': weight, 'max': MAX_WEIGHT}
    volume = get('volume') or 0
    if not (0 <= volume <= MAX_VOLUME):
        return 'msg_order_volume', {'volume': volume, 'max': MAX_VOLUME}
    if (get('declared_value') or 0) < 0:
        return 'msg_order_declared_value', {}
    cod = get('cod_amount') or 0
    if cod < 0:
        return 'msg_order_cod_negative', {}
    if cod > 0 and get('service') not in cod_services:
        return 'msg_order_cod_service', {'service': get('service')}
    for prefix in ['pickup', 'delivery']:
        error = coordinates_error(
            get(prefix + '_latitude'), get(prefix + '_longitude'))
        if error:
            return 'msg_order_%s_coordinates' % prefix, {'error': error}
        start, end = get(prefix + '_start'), get(prefix + '_end')
        if start and end and end <= start:
            return 'msg_order_%s_window' % prefix, {}
        if now and end and end < now:
            return 'msg_order_%s_window_past' % prefix, {}
    if (get('pickup_start') and get('delivery_end')
            and get('delivery_end') <= get('pickup_start')):
        return 'msg_order_windows_order', {}
    return None


def routing_issue(values):
    get = values.get
    pickup = (get('pickup_latitude') is not None
        and get('pickup_longitude') is not None)
    delivery = (get('delivery_latitude') is not None
        and get('delivery_longitude') is not None)
    if not pickup and not delivery:
        return 'coordinates'
    elif not pickup:
        return 'pickup_coordinates'
    elif not delivery:
        return 'delivery_coordinates'


class Pricer:
    """Zones, hubs, tariffs and settings of a company loaded once, to
    compute many orders' derived values without the ORM."""

    def __init__(self, company_id):
        pool = Pool()
        Zone = pool.get('delivery.zone')
        Tariff = pool.get('delivery.tariff')
        Hub = pool.get('delivery.hub')
        Link = pool.get('delivery.hub.link')
        Configuration = pool.get('delivery.configuration')
        Company = pool.get('company.company')
        config = Configuration(1)
        self.company = Company(company_id)
        self.timezone = ZoneInfo(self.company.timezone or 'UTC')
        self.zones = Zone.pure_zones(company_id)
        self.tariffs = Tariff.pure_tariffs(company_id)
        self.links = Link.pure_links(company_id)
        # the length of each link both ways, for the distance of a path
        self.link_km = {}
        for a, b, km in self.links:
            self.link_km[a, b] = self.link_km[b, a] = Decimal(str(km))
        self.hubs = [(h.id, h.city.strip().lower(), h.latitude, h.longitude)
            for h in Hub.search([('company', '=', company_id)])]
        self.hub_city = {h[0]: h[1] for h in self.hubs}
        self.detour = Decimal(str(config.detour_factor or 1))
        self.work_start = config.work_start or dt.time(0)
        self.work_end = config.work_end or dt.time(23, 59, 59)
        self.cod_services = set(config.cod_services or [])
        self._categories = {}

    def preload_categories(self, party_ids):
        "Read the categories of many customers in one query per slice"
        pool = Pool()
        Relation = pool.get('party.party-party.category')
        relation = Relation.__table__()
        cursor = Transaction().connection.cursor()
        party_ids = [p for p in set(party_ids)
            if p and p not in self._categories]
        found = defaultdict(set)
        for sub_ids in grouped_slice(party_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*relation.select(
                    relation.party, relation.category,
                    where=relation.party.in_(list(sub_ids))))
            for party_id, category_id in cursor:
                found[party_id].add(category_id)
        for party_id in party_ids:
            self._categories[party_id] = frozenset(found[party_id])

    def categories(self, party_id):
        if party_id not in self._categories:
            Party = Pool().get('party.party')
            self._categories[party_id] = frozenset(
                c.id for c in Party(party_id).categories) if party_id else (
                frozenset())
        return self._categories[party_id]

    def hub(self, city, latitude, longitude):
        "The nearest hub in the city, else the nearest, else None"
        city = (city or '').strip().lower()
        candidates = [h for h in self.hubs if h[1] == city] or (
            self.hubs if latitude is not None else [])
        located = [h for h in candidates if h[2] is not None]
        if latitude is not None and longitude is not None and located:
            return min(located, key=lambda h: haversine_km(
                    latitude, longitude, h[2], h[3]))[0]
        return candidates[0][0] if candidates else None

    def out_of_hours(self, values):
        for name in ['pickup_start', 'pickup_end', 'delivery_start',
                'delivery_end']:
            value = values.get(name)
            if value:
                local = value.replace(tzinfo=dt.timezone.utc).astimezone(
                    self.timezone).time()
                if local < self.work_start or local > self.work_end:
                    return True
        return False

    def distance(self, values, origin_hub, destination_hub):
        get = values.get
        if None not in (get('pickup_latitude'), get('pickup_longitude'),
                get('delivery_latitude'), get('delivery_longitude')):
            km = haversine_km(
                get('pickup_latitude'), get('pickup_longitude'),
                get('delivery_latitude'), get('delivery_longitude'))
            return (Decimal(str(round(km, 1))) * self.detour).quantize(
                Decimal('0.1'))
        if origin_hub and destination_hub and origin_hub != destination_hub:
            path = pure.hub_path(self.links, origin_hub, destination_hub)
            if path:
                return sum((self.link_km[a, b]
                        for a, b in zip(path, path[1:])), Decimal(0))
        return Decimal(0)

    def shipment(self, values):
        "Derived values and the tariff shipment of an order's values"
        get = values.get
        computed = {}
        computed['pickup_zone'] = pure.locate(
            self.zones, get('pickup_latitude'), get('pickup_longitude'),
            get('pickup_city'))
        computed['delivery_zone'] = pure.locate(
            self.zones, get('delivery_latitude'), get('delivery_longitude'),
            get('delivery_city'))
        origin = self.hub(get('pickup_city'), get('pickup_latitude'),
            get('pickup_longitude'))
        destination = self.hub(get('delivery_city'),
            get('delivery_latitude'), get('delivery_longitude'))
        computed['origin_hub'] = origin
        computed['destination_hub'] = destination
        computed['distance'] = self.distance(values, origin, destination)
        computed['routing_issue'] = routing_issue(values)
        shipment = pure.Shipment(
            service=get('service'),
            origin_zone=computed['pickup_zone'],
            destination_zone=computed['delivery_zone'],
            distance=computed['distance'],
            weight=Decimal(str(get('weight') or 0)),
            volume=Decimal(str(get('volume') or 0)),
            parcels=get('parcel_count') or 0,
            cod_amount=get('cod_amount') or Decimal(0),
            fragile=bool(get('fragile')),
            out_of_hours=self.out_of_hours(values),
            party=get('customer'),
            categories=self.categories(get('customer')))
        return computed, shipment

    def compute_many(self, rows):
        "The derived values of each row (a mapping of field names to ids)"
        self.preload_categories(r.get('customer') for r in rows)
        results, shipments = [], []
        for values in rows:
            computed, shipment = self.shipment(values)
            results.append(computed)
            shipments.append(shipment)
        for computed, quote in zip(
                results, pure.price_many(shipments, self.tariffs)):
            computed['tariff'] = quote.tariff
            computed['delivery_amount'] = quote.delivery
            computed['cod_fee'] = quote.cod_fee
            computed['surcharge_amount'] = quote.surcharge
            computed['amount'] = quote.total
            computed['price_error'] = quote.error
        return results

    def legs(self, origin, destination):
        """The legs of an order between its hubs as a list of
        (kind, from hub, to hub)"""
        if (not origin or not destination
                or self.hub_city.get(origin) == self.hub_city.get(
                    destination)):
            return [('direct', origin, destination or origin)]
        path = pure.hub_path(self.links, origin, destination) or [
            origin, destination]
        legs = [('pickup', None, origin)]
        legs += [('linehaul', a, b) for a, b in zip(path, path[1:])]
        legs.append(('last_mile', destination, None))
        return legs


def _international(value):
    "A phone number as typed, in its international form when it parses"
    if value:
        from .party import _company_region
        phone = parse(value, _company_region())
        if phone:
            return phone.international
    return value


def _order_values(order):
    values = {}
    for name in PRICING + ['declared_value']:
        value = getattr(order, name, None)
        if isinstance(value, ModelSQL):
            value = value.id
        values[name] = value
    return values


class Order(InputGuardMixin, Workflow, ModelSQL, ModelView):
    "Delivery Order"
    __name__ = 'delivery.order'
    _phone_fields = frozenset({'sender_phone', 'recipient_phone'})
    _rec_name = 'number'

    _editable = Eval('state').in_(['draft', 'confirmed'])
    _states = {'readonly': ~_editable}

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states={'readonly': Eval('state') != 'draft'})
    number = fields.Char(
        "Tracking Number", readonly=True,
        help="Printed on the waybill; the recipient uses it too.")
    tracking_token = fields.Char("Tracking Token", readonly=True)
    tracking_url = fields.Function(
        fields.Char("Tracking Page"), 'get_tracking_url')
    reference = fields.Char("Customer Reference", states=_states)
    date = fields.DateTime("Order Date", required=True, states=_states)
    customer = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='RESTRICT',
        states=_states, context={'company': Eval('company', -1)},
        depends={'company'}, help="The party who pays for the delivery.")
    service = fields.Selection(SERVICES, "Service", required=True,
        states=_states)
    sender = fields.Many2One(
        'party.party', "Sender", ondelete='RESTRICT', states=_states,
        context={'company': Eval('company', -1)}, depends={'company'})
    sender_name = fields.Char("Sender Name", required=True, states=_states)
    sender_phone = fields.Char("Sender Phone", states=_states)
    recipient = fields.Many2One(
        'party.party', "Recipient", ondelete='RESTRICT', states=_states,
        context={'company': Eval('company', -1)}, depends={'company'})
    recipient_name = fields.Char(
        "Recipient Name", required=True, states=_states)
    recipient_phone = fields.Char("Recipient Phone", states=_states)
    pickup_address = fields.Many2One(
        'party.address', "Pickup Address", ondelete='SET NULL',
        states=_states,
        domain=[If(Bool(Eval('sender')),
                ('party', '=', Eval('sender', -1)), ())])
    pickup_street = fields.Text("Pickup Street", states=_states)
    pickup_city = fields.Char("Pickup City", required=True, states=_states)
    pickup_latitude = fields.Float(
        "Pickup Latitude", digits=(10, 7), states=_states)
    pickup_longitude = fields.Float(
        "Pickup Longitude", digits=(10, 7), states=_states)
    delivery_address = fields.Many2One(
        'party.address', "Delivery Address", ondelete='SET NULL',
        states=_states,
        domain=[If(Bool(Eval('recipient')),
                ('party', '=', Eval('recipient', -1)), ())])
    delivery_street = fields.Text("Delivery Street", states=_states)
    delivery_city = fields.Char(
        "Delivery City", required=True, states=_states)
    delivery_latitude = fields.Float(
        "Delivery Latitude", digits=(10, 7), states=_states)
    delivery_longitude = fields.Float(
        "Delivery Longitude", digits=(10, 7), states=_states)
    pickup_start = fields.DateTime("Pickup From", states=_states)
    pickup_end = fields.DateTime("Pickup Until", states=_states)
    delivery_start = fields.DateTime(
        "Delivery From", states={
            'readonly': ~Eval('state').in_(['draft', 'confirmed', 'failed']),
            })
    delivery_end = fields.DateTime(
        "Delivery Until", states={
            'readonly': ~Eval('state').in_(['draft', 'confirmed', 'failed']),
            })
    parcel_count = fields.Integer(
        "Parcels", required=True, states=_states)
    weight = fields.Float(
        "Weight (kg)", digits=(16, 2), required=True, states=_states)
    volume = fields.Float(
        "Volume (m\u00b3)", digits=(16, 3), required=True, states=_states)
    declared_value = Monetary(
        "Declared Value", currency='currency', digits='currency',
        states=_states)
    fragile = fields.Boolean("Fragile", states=_states)
    cod_amount = Monetary(
        "Cash on Delivery", currency='currency', digits='currency',
        required=True, states=_states,
        help="The amount the courier collects from the recipient.")
    cod_state = fields.Selection(
        COD_STATES, "COD Money", readonly=True, required=True)
    cod_collected = fields.DateTime("COD Collected", readonly=True)
    cod_handed_in = fields.DateTime("COD Handed In", readonly=True)
    notes = fields.Text("Notes")

    pickup_zone = fields.Many2One(
        'delivery.zone', "Pickup Zone", readonly=True, ondelete='SET NULL')
    delivery_zone = fields.Many2One(
        'delivery.zone', "Delivery Zone", readonly=True, ondelete='SET NULL')
    origin_hub = fields.Many2One(
        'delivery.hub', "Origin Hub", readonly=True, ondelete='RESTRICT')
    destination_hub = fields.Many2One(
        'delivery.hub', "Destination Hub", readonly=True,
        ondelete='RESTRICT')
    distance = fields.Numeric("Distance (km)", digits=(16, 1), readonly=True)
    routing_issue = fields.Selection(
        ROUTING_ISSUES, "Not Routable", readonly=True,
        help="Why the order cannot be put on a route.")
    routing_issue_string = routing_issue.translated('routing_issue')
    routable = fields.Function(
        fields.Boolean("Routable"), 'get_routable', searcher='search_routable')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    tariff = fields.Many2One(
        'delivery.tariff', "Tariff", readonly=True, ondelete='RESTRICT')
    delivery_amount = Monetary(
        "Delivery", currency='currency', digits='currency', readonly=True)
    cod_fee = Monetary(
        "COD Fee", currency='currency', digits='currency', readonly=True)
    surcharge_amount = Monetary(
        "Surcharges", currency='currency', digits='currency', readonly=True)
    amount = Monetary(
        "Price", currency='currency', digits='currency', readonly=True)
    price_error = fields.Selection([
            (None, ""),
            ('no_tariff', "No tariff"),
            ('no_rule', "No tariff rule applies"),
            ('cod_not_allowed', "Cash on delivery not allowed"),
            ('cod_amount', "Invalid cash on delivery amount"),
            ('weight', "Invalid weight"),
            ('volume', "Invalid volume"),
            ('parcels', "Invalid number of parcels"),
            ('service', "Invalid service"),
            ], "Price Problem", readonly=True)
    price_error_string = price_error.translated('price_error')

    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    state_string = state.translated('state')
    failed_attempts = fields.Integer("Failed Attempts", readonly=True)
    failure_reason = fields.Selection(
        FAILURE_REASONS, "Failure Reason", readonly=True)
    legs = fields.One2Many('delivery.order.leg', 'order', "Legs",
        readonly=True)
    events = fields.One2Many('delivery.order.event', 'order', "History",
        readonly=True)
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='SET NULL')
    invoice_lines = fields.One2Many(
        'account.invoice.line', 'origin', "Invoice Lines", readonly=True)

    del _states, _editable

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('token_unique', Unique(t, t.tracking_token),
                'delivery_crm.msg_order_token_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.number, Index.Equality())),
                Index(t, (t.tracking_token, Index.Equality())),
                Index(t, (t.customer, Index.Range()),
                    (t.date, Index.Range(order='DESC'))),
                Index(t, (t.state, Index.Equality()),
                    where=t.state.in_([
                            'draft', 'confirmed', 'assigned', 'picked_up',
                            'in_transit', 'failed'])),
                Index(t, (t.customer, Index.Range()),
                    where=(t.invoice == Null)
                    & (t.state == 'delivered')),
                })
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('draft', 'cancelled'),
            ('confirmed', 'draft'),
            ('confirmed', 'assigned'),
            ('confirmed', 'picked_up'),
            ('assigned', 'confirmed'),
            ('assigned', 'picked_up'),
            ('picked_up', 'in_transit'),
            ('picked_up', 'delivered'),
            ('in_transit', 'delivered'),
            ('assigned', 'failed'),
            ('picked_up', 'failed'),
            ('in_transit', 'failed'),
            ('failed', 'confirmed'),
            ('failed', 'returned'),
            ('confirmed', 'cancelled'),
            ('assigned', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'find_coordinates': {
                    'icon': 'tryton-search',
                    'invisible': ~Eval('state').in_(
                        ['draft', 'confirmed', 'failed']),
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['confirmed', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'assign': {
                    'invisible': Eval('state') != 'confirmed',
                    'depends': ['state'],
                    },
                'pick_up': {
                    'invisible': ~Eval('state').in_(
                        ['confirmed', 'assigned']),
                    'depends': ['state'],
                    },
                'transit': {
                    'invisible': Eval('state') != 'picked_up',
                    'depends': ['state'],
                    },
                'deliver': {
                    'invisible': ~Eval('state').in_(
                        ['picked_up', 'in_transit']),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'fail': {
                    'invisible': ~Eval('state').in_(
                        ['assigned', 'picked_up', 'in_transit']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'reschedule': {
                    'invisible': Eval('state') != 'failed',
                    'depends': ['state'],
                    },
                'return_': {
                    'invisible': Eval('state') != 'failed',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'confirmed', 'assigned']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'collect_cod': {
                    'invisible': Eval('cod_state') != 'to_collect',
                    'readonly': ~Eval('state').in_(
                        ['picked_up', 'in_transit', 'delivered']),
                    'depends': ['cod_state', 'state'],
                    },
                'hand_in_cod': {
                    'invisible': Eval('cod_state') != 'collected',
                    'depends': ['cod_state'],
                    },
                'invoice_order': {
                    'invisible': ((Eval('state') != 'delivered')
                        | Bool(Eval('invoice'))),
                    'depends': ['state', 'invoice'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return dt.datetime.now().replace(microsecond=0)

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_service(cls):
        return 'same_day'

    @classmethod
    def default_parcel_count(cls):
        return 1

    @classmethod
    def default_weight(cls):
        return 1.0

    @classmethod
    def default_volume(cls):
        return 0.0

    @classmethod
    def default_cod_amount(cls):
        return Decimal(0)

    @classmethod
    def default_cod_state(cls):
        return 'none'

    @classmethod
    def default_fragile(cls):
        return False

    @classmethod
    def default_failed_attempts(cls):
        return 0

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def get_routable(self, name):
        return not self.routing_issue

    @classmethod
    def search_routable(cls, name, clause):
        _, operator, value = clause
        if operator in {'=', '!='}:
            if (operator == '=') == bool(value):
                return [('routing_issue', '=', None)]
            return [('routing_issue', '!=', None)]
        return []

    def get_tracking_url(self, name):
        "The public address of the tracking page"
        if self.tracking_token:
            database = Transaction().database.name
            base = config.get('delivery_crm', 'public_url',
                default='http://localhost:8000').rstrip('/')
            return (f'{base}/{url_quote(database)}/delivery/track/'
                f'{self.tracking_token}')

    @fields.depends('customer', 'sender',
        methods=['on_change_sender', '_update_pricing'])
    def on_change_customer(self):
        if self.customer and not self.sender:
            self.sender = self.customer
            self.on_change_sender()
        self._update_pricing()

    @fields.depends('sender', 'sender_name', 'sender_phone', 'pickup_address',
        methods=['on_change_pickup_address'])
    def on_change_sender(self):
        if self.sender:
            self.sender_name = self.sender.name
            self.sender_phone = self.sender.phone or self.sender.mobile
            self.pickup_address = self.sender.address_get()
            self.on_change_pickup_address()

    @fields.depends('recipient', 'recipient_name', 'recipient_phone',
        'delivery_address', methods=['on_change_delivery_address'])
    def on_change_recipient(self):
        if self.recipient:
            self.recipient_name = self.recipient.name
            self.recipient_phone = (
                self.recipient.mobile or self.recipient.phone)
            self.delivery_address = self.recipient.address_get()
            self.on_change_delivery_address()

    @fields.depends('sender_phone')
    def on_change_sender_phone(self):
        self.sender_phone = _international(self.sender_phone)

    @fields.depends('recipient_phone')
    def on_change_recipient_phone(self):
        self.recipient_phone = _international(self.recipient_phone)

    @fields.depends('pickup_address', 'pickup_street', 'pickup_city',
        'pickup_latitude', 'pickup_longitude', methods=['_update_pricing'])
    def on_change_pickup_address(self):
        if self.pickup_address:
            address = self.pickup_address
            self.pickup_street = address.street
            self.pickup_city = address.city
            self.pickup_latitude = address.latitude
            self.pickup_longitude = address.longitude
        self._update_pricing()

    @fields.depends('delivery_address', 'delivery_street', 'delivery_city',
        'delivery_latitude', 'delivery_longitude',
        methods=['_update_pricing'])
    def on_change_delivery_address(self):
        if self.delivery_address:
            address = self.delivery_address
            self.delivery_street = address.street
            self.delivery_city = address.city
            self.delivery_latitude = address.latitude
            self.delivery_longitude = address.longitude
        self._update_pricing()

    @classmethod
    @ModelView.button
    def find_coordinates(cls, orders):
        """The coordinates of the pickup and delivery addresses that have
        none: those of the same address known in the database, else the
        geocoder's (trytond.conf [delivery_crm] geocoder_url)"""
        changed = fill_coordinates(orders, [
                ('pickup_street', 'pickup_city',
                    'pickup_latitude', 'pickup_longitude'),
                ('delivery_street', 'delivery_city',
                    'delivery_latitude', 'delivery_longitude'),
                ])
        for order in changed:
            order._update_pricing()
        cls.save(changed)

    @fields.depends('pickup_street', 'pickup_city', 'pickup_latitude',
        'pickup_longitude', 'pickup_address', methods=['_update_pricing'])
    def on_change_pickup_street(self):
        self._known_place('pickup')

    @fields.depends('delivery_street', 'delivery_city', 'delivery_latitude',
        'delivery_longitude', 'delivery_address',
        methods=['_update_pricing'])
    def on_change_delivery_street(self):
        self._known_place('delivery')

    @fields.depends(methods=['on_change_pickup_street', '_update_pricing'])
    def on_change_pickup_city(self):
        self.on_change_pickup_street()
        self._update_pricing()

    @fields.depends(methods=['on_change_delivery_street', '_update_pricing'])
    def on_change_delivery_city(self):
        self.on_change_delivery_street()
        self._update_pricing()

    def _known_place(self, prefix):
        """An address typed by hand that the database knows takes its
        coordinates (the dispatcher can still change them)"""
        if (getattr(self, f'{prefix}_latitude') is not None
                or getattr(self, f'{prefix}_longitude') is not None
                or getattr(self, f'{prefix}_address', None)):
            return
        found = known_coordinates(getattr(self, f'{prefix}_street'),
            getattr(self, f'{prefix}_city'))
        if found:
            setattr(self, f'{prefix}_latitude', found[0])
            setattr(self, f'{prefix}_longitude', found[1])
            self._update_pricing()

    @fields.depends(*PRICING, *COMPUTED)
    def _update_pricing(self):
        "Price the order as it is typed"
        if not self.company or not self.service:
            return
        computed, = Pricer(self.company.id).compute_many(
            [_order_values(self)])
        self._set_computed(computed)

    def _set_computed(self, computed):
        pool = Pool()
        models = {
            'pickup_zone': pool.get('delivery.zone'),
            'delivery_zone': pool.get('delivery.zone'),
            'origin_hub': pool.get('delivery.hub'),
            'destination_hub': pool.get('delivery.hub'),
            'tariff': pool.get('delivery.tariff'),
            }
        for name, value in computed.items():
            if name in models and value is not None:
                value = models[name](value)
            setattr(self, name, value)

    @fields.depends(methods=['_update_pricing'])
    def on_change_service(self):
        self._update_pricing()

    on_change_parcel_count = on_change_weight = on_change_volume = (
        on_change_cod_amount) = on_change_fragile = (
        on_change_pickup_latitude) = on_change_pickup_longitude = (
        on_change_delivery_latitude) = (
        on_change_delivery_longitude) = on_change_pickup_start = (
        on_change_pickup_end) = on_change_delivery_start = (
        on_change_delivery_end) = on_change_service

    @classmethod
    def check_values(cls, records, field_names=None, check_past=True):
        pool = Pool()
        Configuration = pool.get('delivery.configuration')
        cod_services = set(Configuration(1).cod_services or [])
        now = dt.datetime.now() if check_past else None
        for record in records:
            values = _order_values(record)
            past = now if record.state in {'draft', 'confirmed', 'failed'} \
                else None
            if field_names is not None and not (field_names & {
                        'pickup_end', 'delivery_end'}):
                past = None
            error = order_error(values, past, cod_services)
            if error:
                raise OrderError(cls._error_message(
                        error, record.rec_name or record.recipient_name))

    @classmethod
    def _error_message(cls, error, order):
        msg_id, kwargs = error
        if 'service' in kwargs:
            services = dict(
                cls.fields_get(['service'])['service']['selection'])
            kwargs['service'] = services.get(
                kwargs['service'], kwargs['service'])
        return gettext('delivery_crm.' + msg_id, order=order, **kwargs)

    @classmethod
    def validate_fields(cls, orders, field_names):
        super().validate_fields(orders, field_names)
        if field_names & set(PRICING + ['declared_value']):
            cls.check_values(orders, field_names)

    @classmethod
    def on_modification(cls, mode, orders, field_names=None):
        super().on_modification(mode, orders, field_names=field_names)
        if mode == 'create':
            cls._set_numbers(orders)
        if mode in {'create', 'write'} and (
                field_names is None or field_names & set(PRICING)):
            cls.update_pricing(
                [o for o in orders if o.state in {'draft', 'confirmed'}])

    @classmethod
    def _set_numbers(cls, orders):
        "Give the new orders their tracking number and token"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for order in orders:
            if order.number and order.tracking_token:
                continue
            cursor.execute(*table.update(
                    [table.number, table.tracking_token],
                    [tracking_number(order.id), new_token()],
                    where=table.id == order.id))

    @classmethod
    def update_pricing(cls, orders):
        "Store the zones, hubs, distance, routing flag and price of orders"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        by_company = defaultdict(list)
        for order in orders:
            by_company[order.company.id].append(order)
        columns = [getattr(table, n) for n in COMPUTED]
        for company_id, company_orders in by_company.items():
            pricer = Pricer(company_id)
            results = pricer.compute_many(
                [_order_values(o) for o in company_orders])
            for order, computed in zip(company_orders, results):
                cursor.execute(*table.update(
                        columns, [computed[n] for n in COMPUTED],
                        where=table.id == order.id))

    @classmethod
    def copy(cls, orders, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number', None)
        default.setdefault('tracking_token', None)
        default.setdefault('legs', None)
        default.setdefault('events', None)
        default.setdefault('invoice', None)
        default.setdefault('invoice_lines', None)
        default.setdefault('failed_attempts', 0)
        default.setdefault('failure_reason', None)
        default.setdefault('cod_state', 'none')
        default.setdefault('cod_collected', None)
        default.setdefault('cod_handed_in', None)
        default.setdefault('date', cls.default_date())
        return super().copy(orders, default=default)

    @classmethod
    def check_modification(cls, mode, orders, values=None, external=False):
        super().check_modification(
            mode, orders, values=values, external=external)
        if mode == 'delete':
            for order in orders:
                if order.state not in {'draft', 'cancelled'}:
                    raise OrderError(gettext(
                            'delivery_crm.msg_order_delete',
                            order=order.rec_name))

    # ---- history -------------------------------------------------------

    @classmethod
    def log_events(cls, orders, event, note=None, hubs=None, legs=None):
        """Record one event per order with the time and the user, one
        insert for the whole list"""
        Event = Pool().get('delivery.order.event')
        hubs = hubs or {}
        legs = legs or {}
        Event.create([{
                    'order': o.id,
                    'event': event,
                    'hub': hubs.get(o.id),
                    'leg': legs.get(o.id),
                    'note': note,
                    } for o in orders])

    # ---- workflow ------------------------------------------------------

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, orders):
        Leg = Pool().get('delivery.order.leg')
        Leg.delete([l for o in orders for l in o.legs])
        cls.log_events(orders, 'draft')

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, orders):
        cls.update_pricing(orders)
        orders = cls.browse(orders)
        cls.check_values(orders)
        for order in orders:
            if order.price_error:
                raise OrderError(gettext(
                        'delivery_crm.msg_order_no_price',
                        order=order.rec_name,
                        reason=order.price_error_string))
        cls.create_legs(orders)
        cls.write([o for o in orders if o.cod_amount], {
                'cod_state': 'to_collect'})
        cls.log_events(orders, 'confirmed')

    @classmethod
    def create_legs(cls, orders):
        Leg = Pool().get('delivery.order.leg')
        to_create = []
        pricers = {}
        for order in orders:
            company_id = order.company.id
            if company_id not in pricers:
                pricers[company_id] = Pricer(company_id)
            legs = pricers[company_id].legs(
                order.origin_hub.id if order.origin_hub else None,
                order.destination_hub.id if order.destination_hub else None)
            for sequence, (kind, from_hub, to_hub) in enumerate(legs, 1):
                to_create.append({
                        'order': order.id,
                        'sequence': sequence,
                        'kind': kind,
                        'from_hub': from_hub,
                        'to_hub': to_hub,
                        })
        Leg.create(to_create)

    @classmethod
    @ModelView.button
    @Workflow.transition('assigned')
    def assign(cls, orders):
        cls.log_events(orders, 'assigned')

    @classmethod
    @ModelView.button
    def pick_up(cls, orders):
        "The courier has the parcels: the first leg starts"
        Leg = Pool().get('delivery.order.leg')
        Leg.start([o.legs[0] for o in orders
                if o.legs and o.legs[0].state == 'waiting'])
        cls._follow_legs(orders)

    @classmethod
    @ModelView.button
    def transit(cls, orders):
        """The parcels left the pickup: the pickup leg is done and the order
        travels (a local order's direct leg goes on)"""
        Leg = Pool().get('delivery.order.leg')
        done = []
        for order in orders:
            current = order.current_leg
            if current and current.kind == 'pickup':
                done.append(current)
        Leg.finish(done)
        cls._set_state(
            [o for o in cls.browse(orders) if o.state == 'picked_up'],
            'in_transit')

    @classmethod
    @ModelView.button
    def deliver(cls, orders):
        "Every remaining leg is done"
        Leg = Pool().get('delivery.order.leg')
        Leg.finish([l for o in orders for l in o.legs
                if l.state in {'waiting', 'in_progress'}])
        cls._follow_legs(orders)

    @classmethod
    @ModelView.button_action('delivery_crm.wizard_order_fail')
    def fail(cls, orders):
        pass

    @classmethod
    def fail_delivery(cls, orders, reason, note=None):
        "The current leg failed: count the attempt and record the reason"
        pool = Pool()
        Leg = pool.get('delivery.order.leg')
        for order in orders:
            if order.state not in {'assigned', 'picked_up', 'in_transit'}:
                raise OrderError(gettext(
                        'delivery_crm.msg_order_fail_state',
                        order=order.rec_name,
                        state=order.state_string))
        legs = [o.current_leg for o in orders if o.current_leg]
        Leg.write(legs, {'state': 'failed'})
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice([o.id for o in orders], 1000):
            cursor.execute(*table.update(
                    [table.failed_attempts, table.failure_reason],
                    [table.failed_attempts + 1, reason],
                    where=table.id.in_(list(sub_ids))))
        cls._set_state(cls.browse(orders), 'failed', note=note)

    @classmethod
    @ModelView.button
    def reschedule(cls, orders):
        "Try again: the failed leg waits for a new attempt"
        Leg = Pool().get('delivery.order.leg')
        cls.check_values(orders)
        Leg.write([l for o in orders for l in o.legs if l.state == 'failed'],
            {'state': 'waiting', 'started': None})
        for order in orders:
            if order.state != 'failed':
                raise OrderError(gettext(
                        'delivery_crm.msg_order_reschedule_state',
                        order=order.rec_name))
        cls._set_state(orders, 'confirmed', event='rescheduled')

    @classmethod
    @ModelView.button
    @Workflow.transition('returned')
    def return_(cls, orders):
        Leg = Pool().get('delivery.order.leg')
        Leg.write([l for o in orders for l in o.legs
                if l.state in {'waiting', 'failed'}], {'state': 'cancelled'})
        cls.log_events(orders, 'returned')

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, orders):
        Leg = Pool().get('delivery.order.leg')
        Leg.write([l for o in orders for l in o.legs], {'state': 'cancelled'})
        cls.write([o for o in orders if o.cod_state == 'to_collect'], {
                'cod_state': 'none'})
        cls.log_events(orders, 'cancelled')

    @classmethod
    @ModelView.button
    def collect_cod(cls, orders):
        for order in orders:
            if order.cod_state != 'to_collect':
                raise OrderError(gettext(
                        'delivery_crm.msg_order_cod_state',
                        order=order.rec_name))
        cls.write(list(orders), {
                'cod_state': 'collected',
                'cod_collected': dt.datetime.now(),
                })

    @classmethod
    @ModelView.button
    def hand_in_cod(cls, orders):
        for order in orders:
            if order.cod_state != 'collected':
                raise OrderError(gettext(
                        'delivery_crm.msg_order_cod_state',
                        order=order.rec_name))
        cls.write(list(orders), {
                'cod_state': 'handed_in',
                'cod_handed_in': dt.datetime.now(),
                })

    @classmethod
    @ModelView.button
    def invoice_order(cls, orders):
        cls.create_invoices(orders)

    @property
    def current_leg(self):
        "The first leg not done"
        for leg in self.legs:
            if leg.state in {'waiting', 'in_progress', 'failed'}:
                return leg

    @classmethod
    def _set_state(cls, orders, state, event=None, note=None, hubs=None):
        "Move orders to a state outside a button (legs drive it)"
        orders = [o for o in orders if o.state != state]
        if not orders:
            return
        # bypass the transition check: the legs are the source of truth
        super().write(orders, {'state': state})
        cls.log_events(orders, event or state, note=note, hubs=hubs)
        if state == 'delivered':
            cls._delivered(orders)

    @classmethod
    def _delivered(cls, orders):
        "Invoice at once the customers invoiced per order"
        to_invoice = [o for o in orders
            if o.customer.delivery_invoice_method == 'order'
            and not o.invoice]
        if to_invoice:
            cls.create_invoices(to_invoice)

    @classmethod
    def _follow_legs(cls, orders, hubs=None, moved=None):
        """Set the state of orders from their legs: the first leg in
        progress means picked up, a later one in transit, all done
        delivered. Orders whose state stays get the event moved (a parcel
        leaving or reaching a hub) when given."""
        by_state = defaultdict(list)
        unchanged = []
        hubs = hubs or {}
        for order in cls.browse(orders):
            legs = [l for l in order.legs if l.state != 'cancelled']
            if not legs or order.state in {
                    'draft', 'cancelled', 'returned', 'failed'}:
                continue
            if all(l.state == 'done' for l in legs):
                state = 'delivered'
            elif legs[0].state == 'in_progress':
                state = 'picked_up'
            elif any(l.state in {'in_progress', 'done'} for l in legs):
                state = 'in_transit'
            else:
                continue
            if state == order.state:
                unchanged.append(order)
            else:
                by_state[state].append(order)
        for state, state_orders in by_state.items():
            cls._set_state(state_orders, state, hubs=hubs)
        if moved and unchanged:
            cls.log_events(unchanged, moved, hubs=hubs)

    # ---- bulk ----------------------------------------------------------

    @classmethod
    def bulk_create(cls, rows, confirm=False, history=False):
        """Create many orders at once with set-based inserts.

        rows: dicts of field values as for create (ids for relations).
        All rows are checked first: one bad row raises an error naming it
        and nothing is written. confirm: the orders are confirmed with their
        legs and history; history: time windows in the past are accepted
        (importing past orders). Returns the ids in the order of rows."""
        pool = Pool()
        Configuration = pool.get('delivery.configuration')
        Leg = pool.get('delivery.order.leg')
        Event = pool.get('delivery.order.event')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        context = transaction.context
        company_id = context.get('company')
        cod_services = set(Configuration(1).cod_services or [])
        now = dt.datetime.now().replace(microsecond=0)
        defaults = {
            'company': company_id,
            'date': now,
            'service': 'same_day',
            'parcel_count': 1,
            'weight': 1.0,
            'volume': 0.0,
            'cod_amount': Decimal(0),
            'fragile': False,
            }
        full_rows = []
        for index, row in enumerate(rows, 1):
            values = {**defaults, **row}
            for name in ['customer', 'sender_name', 'recipient_name',
                    'pickup_city', 'delivery_city']:
                if not values.get(name):
                    raise OrderError(gettext(
                            'delivery_crm.msg_order_bulk_required',
                            row=index, field=cls.fields_get(
                                [name])[name]['string']))
            error = order_error(
                values, None if history else now, cod_services)
            if error:
                raise OrderError(gettext(
                        'delivery_crm.msg_order_bulk_row', row=index,
                        error=cls._error_message(
                            error, values.get('recipient_name'))))
            full_rows.append(values)
        if not full_rows:
            return []
        # an address the database knows takes its coordinates, as when
        # the order is typed
        fill_known_coordinates(full_rows, [
                ('pickup_street', 'pickup_city',
                    'pickup_latitude', 'pickup_longitude'),
                ('delivery_street', 'delivery_city',
                    'delivery_latitude', 'delivery_longitude'),
                ])
        pricer = Pricer(company_id)
        computed = pricer.compute_many(full_rows)
        if confirm:
            for index, (values, result) in enumerate(
                    zip(full_rows, computed), 1):
                if result['price_error']:
                    raise OrderError(gettext(
                            'delivery_crm.msg_order_bulk_row', row=index,
                            error=dict(cls.price_error.selection)[
                                result['price_error']]))
        table = cls.__table__()
        names = sorted(set(defaults) | {n for r in rows for n in r}
            | set(COMPUTED))
        names = [n for n in names if n in cls._fields
            and not hasattr(cls._fields[n], 'set')]
        user = transaction.user
        state = 'confirmed' if confirm else 'draft'
        extra = ['state', 'cod_state', 'failed_attempts', 'tracking_token',
            'create_uid', 'create_date']
        columns = [getattr(table, n) for n in names + extra]
        values = []
        for row, result in zip(full_rows, computed):
            row = {**row, **result}
            cod_state = ('to_collect'
                if confirm and row.get('cod_amount') else 'none')
            values.append([row.get(n) for n in names] + [
                    state, cod_state, 0, new_token(), user, now])
        database = transaction.database
        if backend.name == 'postgresql':
            # take the ids first to write the tracking numbers at once
            ids = database.nextid(
                transaction.connection, cls._table, len(values))
            if len(values) == 1:
                ids = [ids]
            columns += [table.id, table.number]
            for value, order_id in zip(values, ids):
                value += [order_id, tracking_number(order_id)]
            insert(table, columns, values, returning=False)
        else:
            ids = insert(table, columns, values)
            cursor.executemany(
                'UPDATE "%s" SET number = ? WHERE id = ?' % cls._table,
                [(tracking_number(i), i) for i in ids])
        if confirm:
            leg_table = Leg.__table__()
            event_table = Event.__table__()
            leg_values, event_values = [], []
            for order_id, result in zip(ids, computed):
                for sequence, (kind, from_hub, to_hub) in enumerate(
                        pricer.legs(result['origin_hub'],
                            result['destination_hub']), 1):
                    leg_values.append([order_id, sequence, kind, from_hub,
                            to_hub, 'waiting', user, now])
                event_values.append(
                    [order_id, 'confirmed', now, user, user, now])
            insert(leg_table, [
                    leg_table.order, leg_table.sequence, leg_table.kind,
                    leg_table.from_hub, leg_table.to_hub, leg_table.state,
                    leg_table.create_uid, leg_table.create_date],
                leg_values, returning=False)
            insert(event_table, [
                    event_table.order, event_table.event, event_table.date,
                    event_table.user, event_table.create_uid,
                    event_table.create_date],
                event_values, returning=False)
        return ids


class OrderLeg(InputGuardMixin, sequence_ordered(), ModelSQL, ModelView):
    "Delivery Order Leg"
    __name__ = 'delivery.order.leg'
    _client_modes = frozenset()

    order = fields.Many2One(
        'delivery.order', "Order", required=True, ondelete='CASCADE')
    kind = fields.Selection(LEG_KINDS, "Kind", required=True, readonly=True)
    kind_string = kind.translated('kind')
    from_hub = fields.Many2One(
        'delivery.hub', "From Hub", readonly=True, ondelete='RESTRICT',
        help="Empty: from the pickup address.")
    to_hub = fields.Many2One(
        'delivery.hub', "To Hub", readonly=True, ondelete='RESTRICT',
        help="Empty: to the delivery address.")
    state = fields.Selection(LEG_STATES, "State", required=True,
        readonly=True)
    state_string = state.translated('state')
    started = fields.DateTime("Started", readonly=True)
    done = fields.DateTime("Done", readonly=True)
    departure = fields.Many2One(
        'delivery.departure', "Departure", readonly=True,
        ondelete='SET NULL')
    courier = fields.Many2One(
        'company.employee', "Courier", ondelete='SET NULL',
        states={'readonly': Eval('state').in_(['done', 'cancelled'])})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.from_hub, Index.Range()),
                    (t.to_hub, Index.Range()),
                    where=(t.kind == 'linehaul') & (t.state == 'waiting')),
                })
        cls._buttons.update({
                'start': {
                    'invisible': Eval('state') != 'waiting',
                    'depends': ['state'],
                    },
                'finish': {
                    'invisible': Eval('state') != 'in_progress',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'waiting'

    def get_rec_name(self, name):
        return '%s %s %s' % (self.order.rec_name, self.sequence,
            self.kind_string)

    @classmethod
    @ModelView.button
    def start(cls, legs):
        now = dt.datetime.now()
        for leg in legs:
            if leg.state != 'waiting':
                raise OrderError(gettext(
                        'delivery_crm.msg_leg_state', leg=leg.rec_name,
                        state=leg.state_string))
            previous = [l for l in leg.order.legs
                if l.sequence < leg.sequence and l.state != 'done']
            if previous:
                raise OrderError(gettext(
                        'delivery_crm.msg_leg_previous', leg=leg.rec_name))
        cls.write(list(legs), {'state': 'in_progress', 'started': now})
        Order = Pool().get('delivery.order')
        Order._follow_legs(list({l.order for l in legs}),
            hubs={l.order.id: l.from_hub.id for l in legs if l.from_hub},
            moved='in_transit')

    @classmethod
    @ModelView.button
    def finish(cls, legs):
        now = dt.datetime.now()
        cls.write(list(legs), {'state': 'done', 'done': now})
        Order = Pool().get('delivery.order')
        Order._follow_legs(list({l.order for l in legs}),
            hubs={l.order.id: l.to_hub.id for l in legs if l.to_hub},
            moved='at_hub')


class OrderEvent(InputGuardMixin, ModelSQL, ModelView):
    "Delivery Order Event"
    __name__ = 'delivery.order.event'
    _client_modes = frozenset()

    order = fields.Many2One(
        'delivery.order', "Order", required=True, ondelete='CASCADE')
    date = fields.DateTime("Date", required=True, readonly=True)
    event = fields.Selection(EVENTS, "Event", required=True, readonly=True)
    hub = fields.Many2One(
        'delivery.hub', "Hub", readonly=True, ondelete='SET NULL')
    leg = fields.Many2One(
        'delivery.order.leg', "Leg", readonly=True, ondelete='SET NULL')
    user = fields.Many2One('res.user', "User", readonly=True)
    note = fields.Char("Note", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.order, Index.Range()), (t.date, Index.Range())),
                # deleting or replanning a leg looks its history up
                Index(t, (t.leg, Index.Range())),
                })

    @classmethod
    def default_date(cls):
        return dt.datetime.now().replace(microsecond=0)

    @classmethod
    def default_user(cls):
        return Transaction().user


class OrderFailStart(ModelView):
    "Failed Delivery"
    __name__ = 'delivery.order.fail.start'
    reason = fields.Selection(
        FAILURE_REASONS[1:], "Reason", required=True)
    note = fields.Char("Note")


class OrderFail(Wizard):
    "Failed Delivery"
    __name__ = 'delivery.order.fail'
    start = StateView('delivery.order.fail.start',
        'delivery_crm.order_fail_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Record Failure", 'fail', 'tryton-ok', default=True),
            ])
    fail = StateTransition()

    def transition_fail(self):
        Order = Pool().get('delivery.order')
        Order.fail_delivery(
            list(self.records), self.start.reason, self.start.note)
        return 'end'


class Departure(InputGuardMixin, Workflow, ModelSQL, ModelView):
    "Hub Departure"
    __name__ = 'delivery.departure'
    _rec_name = 'reference'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states={'readonly': Eval('state') != 'draft'})
    reference = fields.Char("Reference", readonly=True)
    from_hub = fields.Many2One(
        'delivery.hub', "From Hub", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={'readonly': Eval('state') != 'draft'})
    to_hub = fields.Many2One(
        'delivery.hub', "To Hub", required=True, ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('id', '!=', Eval('from_hub', -1)),
            ],
        states={'readonly': Eval('state') != 'draft'})
    planned = fields.DateTime(
        "Planned Departure", required=True,
        states={'readonly': Eval('state') != 'draft'})
    vehicle = fields.Char("Vehicle",
        states={'readonly': Eval('state') != 'draft'})
    driver = fields.Char("Driver",
        states={'readonly': Eval('state') != 'draft'})
    departed = fields.DateTime("Departed", readonly=True)
    arrived = fields.DateTime("Arrived", readonly=True)
    legs = fields.One2Many('delivery.order.leg', 'departure', "Legs",
        readonly=True)
    parcel_count = fields.Function(
        fields.Integer("Parcels"), 'get_totals')
    weight = fields.Function(
        fields.Float("Weight (kg)", digits=(16, 2)), 'get_totals')
    state = fields.Selection([
            ('draft', "Draft"),
            ('departed', "Departed"),
            ('arrived', "Arrived"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('planned', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'departed'),
            ('departed', 'arrived'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'load': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'depart': {
                    'invisible': Eval('state') != 'draft',
                    'readonly': ~Eval('legs', []),
                    'depends': ['state', 'legs'],
                    },
                'arrive': {
                    'invisible': Eval('state') != 'departed',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_planned(cls):
        return dt.datetime.now().replace(second=0, microsecond=0)

    @classmethod
    def get_totals(cls, departures, names):
        pool = Pool()
        Leg = pool.get('delivery.order.leg')
        Order = pool.get('delivery.order')
        leg = Leg.__table__()
        order = Order.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: {d.id: 0 for d in departures} for n in names}
        for sub_ids in grouped_slice([d.id for d in departures], 1000):
            cursor.execute(*leg.join(order, condition=leg.order == order.id
                    ).select(leg.departure,
                    Sum(order.parcel_count), Sum(order.weight),
                    where=leg.departure.in_(list(sub_ids)),
                    group_by=leg.departure))
            for departure_id, count, weight in cursor:
                if 'parcel_count' in result:
                    result['parcel_count'][departure_id] = count or 0
                if 'weight' in result:
                    result['weight'][departure_id] = weight or 0
        return result

    @classmethod
    def on_modification(cls, mode, departures, field_names=None):
        super().on_modification(mode, departures, field_names=field_names)
        if mode == 'create':
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            for departure in departures:
                cursor.execute(*table.update(
                        [table.reference],
                        ['%s-%s-%s' % (departure.from_hub.code,
                                departure.to_hub.code, departure.id)],
                        where=table.id == departure.id))

    @classmethod
    @ModelView.button
    def load(cls, departures):
        """Take the line-haul legs waiting at the hub for this destination
        whose parcels arrived at the hub"""
        pool = Pool()
        Leg = pool.get('delivery.order.leg')
        for departure in departures:
            legs = Leg.search([
                    ('kind', '=', 'linehaul'),
                    ('state', '=', 'waiting'),
                    ('departure', '=', None),
                    ('from_hub', '=', departure.from_hub.id),
                    ('to_hub', '=', departure.to_hub.id),
                    ('order.state', 'in', ['picked_up', 'in_transit']),
                    ])
            ready = [l for l in legs if all(p.state == 'done'
                    for p in l.order.legs if p.sequence < l.sequence)]
            Leg.write(ready, {'departure': departure.id})

    @classmethod
    @ModelView.button
    @Workflow.transition('departed')
    def depart(cls, departures):
        Leg = Pool().get('delivery.order.leg')
        for departure in departures:
            if not departure.legs:
                raise OrderError(gettext(
                        'delivery_crm.msg_departure_empty',
                        departure=departure.rec_name))
        Leg.start([l for d in departures for l in d.legs
                if l.state == 'waiting'])
        cls.write(list(departures), {'departed': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('arrived')
    def arrive(cls, departures):
        Leg = Pool().get('delivery.order.leg')
        Leg.finish([l for d in departures for l in d.legs
                if l.state == 'in_progress'])
        cls.write(list(departures), {'arrived': dt.datetime.now()})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, departures):
        Leg = Pool().get('delivery.order.leg')
        Leg.write([l for d in departures for l in d.legs],
            {'departure': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, departures):
        pass
