# This file is part of the Delivery CRM for Tryton.
"""Courier trips and their stops: the delivery schedule."""
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from sql.aggregate import Count, Sum

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.modules.currency.fields import Monetary
from trytond.modules.delivery_crm.security import InputGuardMixin
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .exceptions import TripError
from .map_routes import map_urls

STOP_KINDS = [
    ('pickup', "Pickup"),
    ('delivery', "Delivery"),
    ]
# the calendar's colour of each courier: dark enough for white text
COURIER_COLORS = [
    '#1f5fa8', '#b3261e', '#2e7d32', '#6a3d9a', '#8c564b', '#c2185b',
    '#00796b', '#a15c00', '#455a64', '#283593', '#5d6b00', '#ad1457',
    ]
CANCELLED_COLOR = '#9aa5b4'
# the shortest entry of a stop on the calendar
CALENDAR_MINIMUM = dt.timedelta(minutes=30)
# the times of a stop the clients show without seconds
MINUTE_FIELDS = [
    'window_start', 'window_end', 'planned_arrival', 'planned_departure',
    'calendar_end']
MINUTES = PYSONEncoder().encode('%H:%M')
STOP_STATES = [
    ('waiting', "Waiting"),
    ('arrived', "Arrived"),
    ('done', "Done"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ]


class Trip(InputGuardMixin, Workflow, ModelSQL, ModelView):
    "Courier Trip"
    __name__ = 'delivery.trip'
    _rec_name = 'reference'

    _readonly = Eval('state') != 'draft'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states={'readonly': _readonly})
    reference = fields.Char("Reference", readonly=True)
    date = fields.Date("Date", required=True, states={'readonly': _readonly})
    courier = fields.Many2One(
        'company.employee', "Courier", required=True, ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('courier', '=', True),
            ],
        states={'readonly': _readonly})
    depot = fields.Many2One(
        'delivery.hub', "Depot", required=True, ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={'readonly': _readonly})
    locked = fields.Boolean(
        "Locked",
        help="A locked trip is kept as it is when the day is planned again.")
    stops = fields.One2Many('delivery.trip.stop', 'trip', "Stops",
        states={'readonly': Eval('state').in_(['done', 'cancelled'])})
    start = fields.DateTime("Planned Start", readonly=True)
    end = fields.DateTime("Planned End", readonly=True)
    distance = fields.Float("Distance (km)", digits=(16, 1), readonly=True)
    duration = fields.TimeDelta("Duration", readonly=True)
    stop_count = fields.Function(fields.Integer("Stops"), 'get_totals')
    late_count = fields.Function(fields.Integer("Late Stops"), 'get_totals')
    map_url = fields.Function(fields.Char(
            "Map",
            help="The map of the trip, to open in a new tab: "
            "a link signed for this trip."),
        'get_map_url')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    revenue = fields.Function(Monetary(
            "Revenue", currency='currency', digits='currency'),
        'get_profitability')
    cost = fields.Function(Monetary(
            "Cost", currency='currency', digits='currency'),
        'get_profitability')
    profit = fields.Function(Monetary(
            "Profit", currency='currency', digits='currency'),
        'get_profitability')
    state = fields.Selection([
            ('draft', "Draft"),
            ('planned', "Planned"),
            ('in_progress', "In Progress"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    del _readonly

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range()), (t.depot, Index.Range())),
                Index(t, (t.courier, Index.Range()), (t.date, Index.Range())),
                })
        cls._order = [('date', 'DESC'), ('courier', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('draft', 'planned'),
            ('planned', 'draft'),
            ('planned', 'in_progress'),
            ('in_progress', 'done'),
            ('draft', 'cancelled'),
            ('planned', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': ~Eval('state').in_(['planned', 'cancelled']),
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'plan': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'start_trip': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'finish': {
                    'invisible': Eval('state') != 'in_progress',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(['draft', 'planned']),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'lock': {
                    'invisible': Bool(Eval('locked')),
                    'depends': ['locked'],
                    },
                'unlock': {
                    'invisible': ~Eval('locked'),
                    'depends': ['locked'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_locked(cls):
        return False

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @classmethod
    def on_modification(cls, mode, trips, field_names=None):
        super().on_modification(mode, trips, field_names=field_names)
        if mode == 'create':
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            for trip in trips:
                cursor.execute(*table.update(
                        [table.reference],
                        ['%s-%s-%s' % (trip.depot.code,
                                trip.date.strftime('%Y%m%d'), trip.id)],
                        where=table.id == trip.id))

    @classmethod
    def get_totals(cls, trips, names):
        pool = Pool()
        Stop = pool.get('delivery.trip.stop')
        stop = Stop.__table__()
        cursor = Transaction().connection.cursor()
        result = {n: {t.id: 0 for t in trips} for n in names}
        for sub_ids in grouped_slice([t.id for t in trips], 1000):
            cursor.execute(*stop.select(
                    stop.trip, Count(stop.id),
                    Sum(stop.late),
                    where=stop.trip.in_(list(sub_ids))
                    & (stop.state != 'cancelled'),
                    group_by=stop.trip))
            for trip_id, count, late in cursor:
                if 'stop_count' in result:
                    result['stop_count'][trip_id] = count
                if 'late_count' in result:
                    result['late_count'][trip_id] = int(late or 0)
        return result

    @classmethod
    def get_map_url(cls, trips, name):
        # the read of a function field checks the user's access to the trips
        return map_urls(trips)

    @classmethod
    def get_profitability(cls, trips, names):
        """Revenue of the trip's orders (split between the trips that carry
        them) minus the courier and vehicle costs"""
        result = {n: {} for n in names}
        for trip in trips:
            revenue, cost = trip.compute_profitability()
            values = {
                'revenue': revenue,
                'cost': cost,
                'profit': revenue - cost,
                }
            for name in names:
                result[name][trip.id] = values[name]
        return result

    def compute_profitability(self):
        courier = self.courier
        revenue = Decimal(0)
        orders = {s.order for s in self.stops
            if s.order and s.state != 'cancelled'}
        for order in orders:
            if order.state in {'cancelled', 'returned'}:
                continue
            legs = [l for l in order.legs if l.state != 'cancelled'] or [None]
            revenue += (order.amount or 0) / len(legs)
        distance = Decimal(str(self.distance or 0))
        cost = ((courier.cost_per_km or 0) * distance
            + (courier.fixed_cost_day or 0)
            + (getattr(courier, 'piece_rate', None) or 0) * len(orders))
        digits = Decimal('0.01')
        return revenue.quantize(digits), Decimal(cost).quantize(digits)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, trips):
        cls.unassign_orders(trips)

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def plan(cls, trips):
        for trip in trips:
            if not trip.stops:
                raise TripError(gettext(
                        'delivery_courier_routes.msg_trip_empty',
                        trip=trip.rec_name))
        cls.assign_orders(trips)

    @classmethod
    def assign_orders(cls, trips):
        "The orders of the stops are assigned to the trips' couriers"
        pool = Pool()
        Order = pool.get('delivery.order')
        Leg = pool.get('delivery.order.leg')
        legs, orders = [], []
        for trip in trips:
            for stop in trip.stops:
                if stop.leg and stop.leg.courier != trip.courier:
                    stop.leg.courier = trip.courier
                    legs.append(stop.leg)
                if stop.order and stop.order.state == 'confirmed':
                    orders.append(stop.order)
        Leg.save(legs)
        if orders:
            Order.assign(list(set(orders)))

    @classmethod
    def unassign_orders(cls, trips):
        """The waiting legs of the stops leave the trips' couriers and the
        orders assigned through these trips only are confirmed again"""
        pool = Pool()
        Order = pool.get('delivery.order')
        Leg = pool.get('delivery.order.leg')
        Stop = pool.get('delivery.trip.stop')
        legs, orders = [], set()
        for trip in trips:
            for stop in trip.stops:
                if (stop.leg and stop.leg.state == 'waiting'
                        and stop.leg.courier == trip.courier):
                    legs.append(stop.leg)
                if stop.order and stop.order.state == 'assigned':
                    orders.add(stop.order)
        if legs:
            Leg.write(legs, {'courier': None})
        if orders:
            elsewhere = {s.order.id for s in Stop.search([
                        ('order', 'in', [o.id for o in orders]),
                        ('trip', 'not in', [t.id for t in trips]),
                        ('trip.state', 'in', ['planned', 'in_progress']),
                        ])}
            Order._set_state(
                [o for o in orders if o.id not in elsewhere], 'confirmed')

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start_trip(cls, trips):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def finish(cls, trips):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, trips):
        Stop = Pool().get('delivery.trip.stop')
        Stop.write([s for t in trips for s in t.stops
                if s.state == 'waiting'], {'state': 'cancelled'})

    @classmethod
    @ModelView.button
    def lock(cls, trips):
        cls.write(trips, {'locked': True})

    @classmethod
    @ModelView.button
    def unlock(cls, trips):
        cls.write(trips, {'locked': False})

    @classmethod
    def check_modification(cls, mode, trips, values=None, external=False):
        super().check_modification(
            mode, trips, values=values, external=external)
        if mode == 'delete':
            for trip in trips:
                if trip.state not in {'draft', 'cancelled'}:
                    raise TripError(gettext(
                            'delivery_courier_routes.msg_trip_delete',
                            trip=trip.rec_name))


class TripStop(InputGuardMixin, sequence_ordered(), ModelSQL, ModelView):
    "Trip Stop"
    __name__ = 'delivery.trip.stop'

    trip = fields.Many2One(
        'delivery.trip', "Trip", required=True, ondelete='CASCADE')
    courier = fields.Function(
        fields.Many2One('company.employee', "Courier"),
        'on_change_with_courier', searcher='search_courier')
    date = fields.Function(fields.Date("Date"),
        'on_change_with_date', searcher='search_date')
    order = fields.Many2One(
        'delivery.order', "Order", required=True, ondelete='CASCADE')
    leg = fields.Many2One(
        'delivery.order.leg', "Leg", ondelete='SET NULL',
        domain=[('order', '=', Eval('order', -1))])
    kind = fields.Selection(STOP_KINDS, "Kind", required=True)
    kind_string = kind.translated('kind')
    name = fields.Char("Name")
    phone = fields.Char("Phone")
    street = fields.Text("Street")
    city = fields.Char("City")
    latitude = fields.Float("Latitude", digits=(10, 7))
    longitude = fields.Float("Longitude", digits=(10, 7))
    window_start = fields.DateTime("Window From")
    window_end = fields.DateTime("Window Until")
    planned_arrival = fields.DateTime("Planned Arrival")
    planned_departure = fields.DateTime("Planned Departure")
    load_weight = fields.Float(
        "Load after (kg)", digits=(16, 2), readonly=True)
    load_volume = fields.Float(
        "Load after (m\u00b3)", digits=(16, 3), readonly=True)
    load_parcels = fields.Integer("Parcels after", readonly=True)
    late = fields.Integer(
        "Late (min)", readonly=True,
        help="Minutes after the end of the window (planned or actual).")
    cod_amount = Monetary(
        "Cash to Collect", currency='currency', digits='currency',
        readonly=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    state = fields.Selection(STOP_STATES, "State", required=True,
        readonly=True)
    state_string = state.translated('state')
    arrived = fields.DateTime("Arrived", readonly=True)
    done = fields.DateTime("Done", readonly=True)
    failure_reason = fields.Char("Failure Reason", readonly=True)
    pod_name = fields.Char("Received by", readonly=True)
    pod_signature = fields.Binary("Signature", readonly=True,
        file_id='pod_signature_id')
    pod_signature_id = fields.Char("Signature ID", readonly=True)
    pod_photo = fields.Binary("Photo", readonly=True,
        file_id='pod_photo_id')
    pod_photo_id = fields.Char("Photo ID", readonly=True)
    calendar_title = fields.Function(
        fields.Char("Stop"), 'get_calendar')
    calendar_end = fields.Function(
        fields.DateTime("Calendar End"), 'get_calendar',
        searcher='search_calendar_end')
    window_text = fields.Function(
        fields.Char("Window"), 'get_calendar')
    calendar_color = fields.Function(
        fields.Char("Colour"), 'get_calendar')
    calendar_text_color = fields.Function(
        fields.Char("Text Colour"), 'get_calendar')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('trip')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.trip, Index.Range()), (t.sequence, Index.Range())),
                # the stops of an order or a leg: planning, courier actions
                Index(t, (t.order, Index.Range())),
                Index(t, (t.leg, Index.Range())),
                })

    @classmethod
    def default_state(cls):
        return 'waiting'

    @classmethod
    def default_kind(cls):
        return 'delivery'

    @classmethod
    def preprocess_values(cls, mode, values):
        """The cash to collect is the order's, at its delivery: the server
        sets it, whoever creates the stop"""
        pool = Pool()
        Order = pool.get('delivery.order')
        values = super().preprocess_values(mode, values)
        if (mode == 'create' and values.get('order')
                and 'cod_amount' not in values):
            order = Order(values['order'])
            values['cod_amount'] = (order.cod_amount
                if values.get('kind', cls.default_kind()) == 'delivery'
                else Decimal(0))
        return values

    @classmethod
    def fields_get(cls, fields_names=None, level=0):
        """The clients show the times of a stop in hours and minutes: a
        schedule has no use for seconds. Only the display: the planner's
        times keep their seconds (a field format would refuse them)"""
        result = super().fields_get(fields_names, level=level)
        for name in MINUTE_FIELDS:
            if name in result:
                result[name] = dict(result[name], format=MINUTES)
        return result

    @fields.depends('trip', '_parent_trip.courier')
    def on_change_with_courier(self, name=None):
        return self.trip.courier if self.trip else None

    @classmethod
    def search_courier(cls, name, clause):
        return [('trip.courier' + clause[0][len(name):], *clause[1:])]

    @fields.depends('trip', '_parent_trip.date')
    def on_change_with_date(self, name=None):
        return self.trip.date if self.trip else None

    @classmethod
    def search_date(cls, name, clause):
        return [('trip.date' + clause[0][len(name):], *clause[1:])]

    @fields.depends('trip', '_parent_trip.company')
    def on_change_with_currency(self, name=None):
        if self.trip and self.trip.company:
            return self.trip.company.currency

    @fields.depends('order', 'kind', 'name', 'phone', 'street', 'city',
        'latitude', 'longitude', 'window_start', 'window_end', 'cod_amount')
    def on_change_order(self):
        if self.order:
            self.fill_from_order()

    def fill_from_order(self):
        order, prefix = self.order, self.kind or 'delivery'
        if prefix == 'pickup':
            self.name, self.phone = order.sender_name, order.sender_phone
            self.window_start = order.pickup_start
            self.window_end = order.pickup_end
            self.cod_amount = Decimal(0)
        else:
            self.name = order.recipient_name
            self.phone = order.recipient_phone
            self.window_start = order.delivery_start
            self.window_end = order.delivery_end
            self.cod_amount = order.cod_amount
        for name in ['street', 'city', 'latitude', 'longitude']:
            setattr(self, name, getattr(order, f'{prefix}_{name}'))

    @classmethod
    def get_calendar(cls, stops, names):
        """What the calendar shows of a stop: a title (kind, name, city,
        lateness), the window on the company's clock and a colour per
        courier, so that the couriers of a day can be told apart"""
        result = {n: {} for n in names}
        for stop in stops:
            trip = stop.trip
            zone = ZoneInfo(trip.company.timezone or 'UTC'
                if trip.company else 'UTC')
            title = ', '.join(filter(None, [stop.name, stop.city]))
            title = f'{stop.kind_string}: {title}' if title else (
                stop.kind_string)
            if stop.late:
                title += ' (%s)' % gettext(
                    'delivery_courier_routes.msg_map_late_minutes',
                    minutes=stop.late)
            window = ''
            start, end = stop.window_start, stop.window_end
            if start or end:
                window = '\u2013'.join(
                    f'{v.replace(tzinfo=dt.timezone.utc).astimezone(zone):%H:%M}'
                    if v else '' for v in [start, end])
            courier = trip.courier.id if trip.courier else 0
            color = (CANCELLED_COLOR if stop.state == 'cancelled'
                else COURIER_COLORS[courier % len(COURIER_COLORS)])
            end = None
            if stop.planned_arrival:
                # long enough on the calendar for a line of text
                end = max(stop.planned_departure or stop.planned_arrival,
                    stop.planned_arrival + CALENDAR_MINIMUM)
            values = {
                'calendar_end': end,
                'calendar_title': title,
                'window_text': window,
                'calendar_color': color,
                'calendar_text_color': '#ffffff',
                }
            for name in names:
                result[name][stop.id] = values[name]
        return result

    @classmethod
    def search_calendar_end(cls, name, clause):
        """calendar_end is max(planned_departure, planned_arrival + the
        calendar's minimum): the calendar searches the stops of the days it
        shows with it"""
        _, operator, value = clause[:3]
        if not isinstance(value, dt.datetime) or operator not in {
                '<', '<=', '>', '>='}:
            return [('planned_departure', operator, value)]
        arrival = [('planned_arrival', operator, value - CALENDAR_MINIMUM)]
        departure = [('planned_departure', operator, value)]
        if operator in {'>', '>='}:
            return ['OR', arrival, departure]
        return [arrival, ['OR', [('planned_departure', '=', None)],
                departure]]

    def get_rec_name(self, name):
        return '%s #%s %s' % (self.trip.rec_name, self.sequence or '',
            self.order.rec_name if self.order else '')


class TripProfitContext(ModelView):
    "Trip Profitability Context"
    __name__ = 'delivery.trip.profit.context'
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date", required=True,
        domain=[('from_date', '<=', Eval('to_date'))])
    to_date = fields.Date("To Date", required=True,
        domain=[('to_date', '>=', Eval('from_date'))])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        return Transaction().context.get('from_date') or (
            Pool().get('ir.date').today().replace(day=1))

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date') or (
            Pool().get('ir.date').today())


class CourierProfit(ModelSQL, ModelView):
    "Courier Profitability"
    __name__ = 'delivery.trip.profit.courier'
    courier = fields.Many2One('company.employee', "Courier")
    trips = fields.Integer("Trips")
    stops = fields.Integer("Stops")
    distance = fields.Float("Distance (km)", digits=(16, 1))
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"), 'get_currency')
    revenue = fields.Function(Monetary(
            "Revenue", currency='currency', digits='currency'),
        'get_profitability')
    cost = fields.Function(Monetary(
            "Cost", currency='currency', digits='currency'),
        'get_profitability')
    profit = fields.Function(Monetary(
            "Profit", currency='currency', digits='currency'),
        'get_profitability')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('courier', 'ASC'), ('id', 'ASC')]

    @classmethod
    def _trip_domain(cls):
        context = Transaction().context
        domain = [
            ('company', '=', context.get('company')),
            ('state', '!=', 'cancelled'),
            ]
        if context.get('from_date'):
            domain.append(('date', '>=', context['from_date']))
        if context.get('to_date'):
            domain.append(('date', '<=', context['to_date']))
        return domain

    @classmethod
    def table_query(cls):
        pool = Pool()
        Trip = pool.get('delivery.trip')
        Stop = pool.get('delivery.trip.stop')
        trip = Trip.__table__()
        stop = Stop.__table__()
        context = Transaction().context
        where = (trip.company == context.get('company')) & (
            trip.state != 'cancelled')
        if context.get('from_date'):
            where &= trip.date >= context['from_date']
        if context.get('to_date'):
            where &= trip.date <= context['to_date']
        stops = stop.select(stop.trip, Count(stop.id).as_('count'),
            where=stop.state != 'cancelled', group_by=stop.trip)
        return trip.join(stops, 'LEFT', condition=stops.trip == trip.id
            ).select(
                trip.courier.as_('id'),
                trip.courier.as_('courier'),
                Count(trip.id).as_('trips'),
                Sum(stops.count).as_('stops'),
                Sum(trip.distance).as_('distance'),
                where=where,
                group_by=[trip.courier])

    @classmethod
    def get_currency(cls, records, name):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        currency = Company(company).currency.id if company else None
        return {r.id: currency for r in records}

    @classmethod
    def get_profitability(cls, records, names):
        pool = Pool()
        Trip = pool.get('delivery.trip')
        totals = defaultdict(lambda: [Decimal(0), Decimal(0)])
        trips = Trip.search(cls._trip_domain() + [
                ('courier', 'in', [r.id for r in records])])
        for trip in trips:
            revenue, cost = trip.compute_profitability()
            totals[trip.courier.id][0] += revenue
            totals[trip.courier.id][1] += cost
        result = {n: {} for n in names}
        for record in records:
            revenue, cost = totals[record.id]
            values = {'revenue': revenue, 'cost': cost,
                'profit': revenue - cost}
            for name in names:
                result[name][record.id] = values[name]
        return result


def seconds_of(value):
    "Seconds since midnight of a time or datetime"
    return value.hour * 3600 + value.minute * 60 + value.second


def at(date, seconds, timezone=None):
    "The naive UTC datetime of seconds since local midnight of date"
    value = dt.datetime.combine(date, dt.time()) + dt.timedelta(
        seconds=int(seconds))
    if timezone is not None:
        value = value.replace(tzinfo=timezone).astimezone(
            dt.timezone.utc).replace(tzinfo=None)
    return value
