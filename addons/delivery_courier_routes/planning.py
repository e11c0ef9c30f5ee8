# This file is part of the Delivery CRM for Tryton.
"""Planning a day's trips: the dispatcher's wizard, the planning run in the
queue, and the insertion of an urgent order into running trips."""
import datetime as dt
import itertools
import logging
import threading
import time
from zoneinfo import ZoneInfo

from trytond import backend, config
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.modules.delivery_crm.security import InputGuardMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from . import replan
from . import solver as engine
from .distances import DistanceMatrix, haversine
from .exceptions import PlanningError
from .planning_defaults import Defaults
from .trip import at, seconds_of

logger = logging.getLogger(__name__)

UNASSIGNED_REASONS = [
    ('no_coordinates', "No coordinates"),
    ('no_vehicle', "No courier available"),
    ('time_window', "Time window impossible"),
    ('capacity', "Capacity exceeded"),
    ('not_selected', "Left for another day by the optimiser"),
    ('other', "Other"),
    ]


def lead_time():
    "How long after now the first stop of a planning of today may be"
    return dt.timedelta(minutes=config.getint(
            'delivery_courier_routes', 'lead_time', default=30))


def earliest_seconds(date, timezone, lead=True):
    """Seconds since the local midnight of date before which nothing can be
    planned: 0 for a later day, now (plus the lead time) for today, the
    whole day for a day that has passed"""
    now = dt.datetime.now(dt.timezone.utc).astimezone(timezone)
    if now.date() < date:
        return 0
    if now.date() > date:
        return 24 * 3600
    return seconds_of(now + lead_time() if lead else now)


class Plan(InputGuardMixin, Workflow, ModelSQL, ModelView):
    "Trip Planning"
    __name__ = 'delivery.trip.plan'

    _readonly = Eval('state') != 'draft'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE',
        states={'readonly': _readonly})
    date = fields.Date("Date", required=True, states={'readonly': _readonly})
    depots = fields.Many2Many(
        'delivery.trip.plan-delivery.hub', 'plan', 'depot', "Depots",
        required=True, domain=[('company', '=', Eval('company', -1))],
        states={'readonly': _readonly})
    time_limit = fields.Integer(
        "Time Limit (s)", required=True,
        domain=[('time_limit', '>=', 0), ('time_limit', '<=', 3600)],
        states={'readonly': _readonly},
        help="How long the optimiser searches; 0 gives a quick plan at once.")
    engine = fields.Selection([
            ('pyvrp', "PyVRP"),
            ('nearest', "Nearest Neighbour"),
            ], "Engine", required=True, states={'readonly': _readonly})
    progress = fields.Float(
        "Progress", digits=(1, 4), readonly=True,
        help="From 0 (queued) to 1 (done).")
    message = fields.Text("Message", readonly=True)
    warnings = fields.Text(
        "Warnings", readonly=True,
        help="What the optimiser had to work around: a distance service "
        "down, a failed search replaced by the quick plan, data it "
        "ignored.")
    unassigned_count = fields.Function(
        fields.Integer("Orders Not Assigned"), 'get_unassigned_count')
    started = fields.DateTime("Started", readonly=True)
    finished = fields.DateTime("Finished", readonly=True)
    trips = fields.One2Many('delivery.trip', 'planning', "Trips",
        readonly=True)
    unassigned = fields.One2Many(
        'delivery.trip.plan.unassigned', 'plan', "Not Assigned",
        readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('queued', "Queued"),
            ('running', "Running"),
            ('done', "Done"),
            ('failed', "Failed"),
            ], "State", readonly=True, required=True, sort=False)

    del _readonly

    @classmethod
    def __register__(cls, module):
        table = backend.TableHandler(cls, module)
        # progress was a percentage in an integer column before 0..1
        migrate = (table.column_exist('progress')
            and not table.column_exist('warnings'))
        super().__register__(module)
        if migrate:
            sql_table = cls.__table__()
            cursor = Transaction().connection.cursor()
            table = backend.TableHandler(cls, module)
            if backend.name == 'postgresql':
                table.alter_type('progress', 'DOUBLE PRECISION')
            cursor.execute(*sql_table.update(
                    [sql_table.progress], [sql_table.progress / 100.0],
                    where=sql_table.progress > 1))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'queued'),
            ('queued', 'running'),
            ('running', 'done'),
            ('running', 'failed'),
            ('queued', 'failed'),
            ('failed', 'draft'),
            }
        cls._buttons.update({
                'run': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-launch',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'failed',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today() + dt.timedelta(days=1)

    @classmethod
    def default_time_limit(cls):
        return config.getint('delivery_courier_routes', 'time_limit',
            default=30)

    @classmethod
    def default_engine(cls):
        return 'pyvrp'

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_progress(cls):
        return 0

    @classmethod
    def get_unassigned_count(cls, plans, name):
        Unassigned = Pool().get('delivery.trip.plan.unassigned')
        counts = {p.id: 0 for p in plans}
        for sub in grouped_slice(
                list(counts), backend.MAX_QUERY_PARAMS):
            for row in Unassigned.search_read(
                    [('plan', 'in', list(sub))], fields_names=['plan']):
                counts[row['plan']] += 1
        return counts

    def get_rec_name(self, name):
        return '%s %s' % (self.date, ', '.join(
                d.code for d in self.depots))

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, plans):
        cls.write(plans, {'progress': 0, 'message': None, 'warnings': None})

    @classmethod
    @ModelView.button
    @Workflow.transition('queued')
    def run(cls, plans):
        """Queue the planning; two plannings of the same day and depot
        cannot run at the same time"""
        transaction = Transaction()
        # serialise the checks of concurrent dispatchers
        transaction.database.lock(transaction.connection, cls._table)
        today = Pool().get('ir.date').today()
        for plan in plans:
            if plan.date < today:
                raise PlanningError(gettext(
                        'delivery_courier_routes.msg_plan_past',
                        plan=plan.rec_name))
            others = cls.search([
                    ('id', '!=', plan.id),
                    ('company', '=', plan.company.id),
                    ('date', '=', plan.date),
                    ('state', 'in', ['queued', 'running']),
                    ('depots', 'in', [d.id for d in plan.depots]),
                    ])
            if others:
                raise PlanningError(gettext(
                        'delivery_courier_routes.msg_plan_running',
                        plan=plan.rec_name, other=others[0].rec_name,
                        user=(others[0].create_uid.rec_name
                            if others[0].create_uid else '')))
        cls.write(plans, {'progress': 0, 'message': None, 'warnings': None})
        cls.__queue__.solve(plans)
        if (not config.getboolean('queue', 'worker', default=False)
                and transaction.context.get('_request')
                and transaction.tasks):
            # No worker (the demo): trytond would run the task in this
            # request once committed and the dispatcher's client would wait
            # for the whole search.  The task runs in a thread of the web
            # process instead, started once this transaction has ended (a
            # rolled back task is found missing and does nothing).
            task_id = transaction.tasks.pop()
            transaction.atexit(
                _run_in_background, transaction.database.name, task_id)

    @classmethod
    def solve(cls, plans):
        "Run the optimiser for each plan (queue task)"
        for plan in plans:
            if plan.state != 'queued':
                continue
            plan.set_progress(0, state='running', started=dt.datetime.now())
            try:
                message = plan.do_solve()
                # The progress was written by other transactions: on
                # PostgreSQL this transaction can no longer update the plan
                # (repeatable read) so the trips are committed first and
                # the plan is marked done with a fresh snapshot.
                Transaction().commit()
            except Exception as exception:
                Transaction().rollback()
                plan = cls(plan.id)
                message = getattr(exception, 'message', None) or str(
                    exception)
                plan.set_progress(plan.progress or 0, state='failed',
                    message=message, finished=dt.datetime.now())
                if not isinstance(exception, PlanningError):
                    raise
            else:
                message, warnings = message
                cls.write([cls(plan.id)], {
                        'state': 'done', 'progress': 1, 'message': message,
                        'warnings': warnings,
                        'finished': dt.datetime.now()})

    def set_progress(self, progress, **values):
        "Write the progress in its own transaction so the client sees it"
        transaction = Transaction()
        with transaction.new_transaction() as new:
            with new.set_context(_check_access=False):
                Plan = Pool().get('delivery.trip.plan')
                Plan.write([Plan(self.id)], {'progress': progress, **values})
            new.commit()

    def do_solve(self):
        """Plan the day: (message, warnings).  The problem is built and
        solved before anything is written, so that on SQLite the database
        stays free for the other users during the search; the replaced
        trips are deleted and the new ones created at the end."""
        pool = Pool()
        Trip = pool.get('delivery.trip')
        Unassigned = pool.get('delivery.trip.plan.unassigned')
        Order = pool.get('delivery.order')
        timezone = ZoneInfo(self.company.timezone or 'UTC')

        kept = Trip.search([
                ('company', '=', self.company.id),
                ('date', '=', self.date),
                ('depot', 'in', [d.id for d in self.depots]),
                ['OR',
                    ('locked', '=', True),
                    ('state', 'in', ['in_progress', 'done'])],
                ])
        busy_couriers = {t.courier.id for t in kept}
        busy_orders = {s.order.id for t in kept for s in t.stops}

        problem, excluded = self.build_problem(
            timezone, busy_couriers, busy_orders)
        last = [0.0]

        def progress(fraction):
            now = time.monotonic()
            if now - last[0] >= 1:
                last[0] = now
                self.set_progress(round(min(0.99, max(0, fraction)), 4))

        solution = self.get_engine().solve(
            problem, time_limit=self.time_limit, seed=1, progress=progress)

        replaced = Trip.search([
                ('company', '=', self.company.id),
                ('date', '=', self.date),
                ('depot', 'in', [d.id for d in self.depots]),
                ('locked', '=', False),
                ('state', 'in', ['draft', 'planned']),
                ])
        # the planned trips go back to draft (their orders unassigned) to be
        # deleted
        Trip.draft([t for t in replaced if t.state == 'planned'])
        Trip.delete(replaced)
        trips = self.create_trips(problem, solution, timezone)
        unassigned = _orders_of(
            excluded + self.unassigned_orders(problem, solution))
        orders = Order.browse([order_id for order_id, _ in unassigned])
        largest = max(
            (v.capacity[0] for v in problem.vehicles), default=0)
        rows = Unassigned.create([{
                    'plan': self.id,
                    'order': order.id,
                    'reason': reason,
                    'largest_capacity': largest if reason == 'capacity'
                    else None,
                    } for order, (_, reason) in zip(orders, unassigned)])
        message = gettext(
            'delivery_courier_routes.msg_plan_result',
            trips=len(trips),
            stops=sum(len(t.stops) for t in trips),
            unassigned=len(rows))
        return message, self.solution_warnings(solution) or None

    def solution_warnings(self, solution):
        "The warnings of the solution as lines for the dispatcher"
        lines = []
        fallback = solution.stats.get('fallback')
        if fallback and self.engine != 'nearest' and self.time_limit:
            lines.append(gettext(
                    'delivery_courier_routes.msg_plan_fallback',
                    reason=fallback))
        lines.extend(str(w) for w in solution.warnings)
        return '\n'.join(lines)

    def unassigned_advice(self, order, reason, largest, timezone):
        """What the dispatcher can do about an order not assigned, in the
        language of the transaction (largest: the largest capacity in kg of
        the couriers of the planning)"""
        if reason == 'no_coordinates':
            return gettext('delivery_courier_routes.msg_advice_coordinates')
        if reason == 'no_vehicle':
            return gettext('delivery_courier_routes.msg_advice_no_vehicle',
                date=self.date)
        if reason == 'capacity':
            return gettext('delivery_courier_routes.msg_advice_capacity',
                weight=order.weight or 0, largest=largest or 0)
        if reason == 'time_window':
            return gettext('delivery_courier_routes.msg_advice_window',
                window=_window_text(order, timezone))
        if reason == 'not_selected':
            return gettext('delivery_courier_routes.msg_advice_not_selected')
        return None

    def _get_defaults(self):
        "What planning assumes where orders and couriers say nothing"
        return Defaults(self.company)

    def get_engine(self):
        if self.engine == 'nearest':
            return engine.NearestNeighbourEngine()
        return engine.PyVRPEngine()

    def candidate_legs(self):
        """The legs to serve from the depots on the date: a local order's
        direct leg, the pickup leg of an intercity order leaving from the
        depot and the last-mile leg of one arriving at it"""
        pool = Pool()
        Leg = pool.get('delivery.order.leg')
        timezone = ZoneInfo(self.company.timezone or 'UTC')
        start = at(self.date, 0, timezone)
        end = at(self.date + dt.timedelta(days=1), 0, timezone)
        depots = [d.id for d in self.depots]
        return Leg.search([
                ('order.company', '=', self.company.id),
                ('order.state', 'in', ['confirmed', 'assigned', 'picked_up',
                        'in_transit']),
                ('state', '=', 'waiting'),
                ['OR',
                    [('kind', 'in', ['direct', 'pickup']),
                        ('to_hub', 'in', depots)],
                    [('kind', '=', 'direct'), ('from_hub', 'in', depots)],
                    [('kind', '=', 'last_mile'),
                        ('from_hub', 'in', depots)],
                    ],
                ['OR',
                    ('order.delivery_start', '=', None),
                    [('order.delivery_start', '<', end),
                        ['OR',
                            ('order.delivery_end', '=', None),
                            ('order.delivery_end', '>=', start)]],
                    ],
                ], order=[('order.id', 'ASC'), ('sequence', 'ASC')])

    def build_problem(self, timezone, busy_couriers, busy_orders):
        """The solver problem of the plan and the orders excluded before
        solving, as [(order id, reason)]"""
        pool = Pool()
        Employee = pool.get('company.employee')
        excluded = []
        defaults = self._get_defaults()
        depots = {d.id: d for d in self.depots}
        problem_depots = []
        for depot in self.depots:
            if depot.latitude is None or depot.longitude is None:
                raise PlanningError(gettext(
                        'delivery_courier_routes.msg_plan_depot_coordinates',
                        depot=depot.rec_name))
            problem_depots.append(engine.Depot(
                    id=depot.id, lat=depot.latitude, lon=depot.longitude,
                    opens=0, closes=24 * 3600))
        # planning today: no stop before now plus the lead time
        earliest = earliest_seconds(self.date, timezone)
        vehicles = []
        for courier in Employee.search([
                    ('company', '=', self.company.id),
                    ('courier', '=', True),
                    ('home_depot', 'in', list(depots)),
                    ('id', 'not in', list(busy_couriers)),
                    ]):
            if not courier.active_on(self.date):
                continue
            values = defaults.vehicle(courier)
            shift_start = seconds_of(values['shift_start'])
            shift_end = seconds_of(values['shift_end'])
            if earliest >= shift_end:
                continue
            break_ = None
            if values['break_duration']:
                duration = int(values['break_duration'].total_seconds())
                window = int(values['break_window'].total_seconds())
                middle = (shift_start + shift_end) // 2
                break_ = engine.Break(
                    earliest=max(shift_start, earliest, middle - window),
                    latest=middle + window, duration=duration)
                if break_.earliest > break_.latest:
                    # the break's window is over
                    break_ = None
            shift_start = max(shift_start, earliest)
            vehicles.append(engine.Vehicle(
                    id=courier.id, depot=courier.home_depot.id,
                    capacity=values['capacity'],
                    cost_per_km=float(courier.cost_per_km or 0),
                    fixed_cost=float(courier.fixed_cost_day or 0),
                    shift_start=shift_start, shift_end=shift_end,
                    break_=break_,
                    speed_kmh=engine.SPEEDS.get(courier.vehicle_type)))
        stops = []
        for leg in self.candidate_legs():
            order = leg.order
            if order.id in busy_orders:
                continue
            demand = (order.weight or 0, order.volume or 0,
                order.parcel_count or 1)
            pickup = delivery = None
            if leg.kind in {'direct', 'pickup'} and order.state in {
                    'confirmed', 'assigned'}:
                if order.pickup_latitude is None:
                    excluded.append((leg.id, 'no_coordinates'))
                    continue
                pickup = engine.Stop(
                    id=('pickup', leg.id), lat=order.pickup_latitude,
                    lon=order.pickup_longitude, demand=demand,
                    service_time=defaults.service_time(order, 'pickup'),
                    tw_start=_local_seconds(order.pickup_start, self.date,
                        timezone, 0),
                    tw_end=_local_seconds(order.pickup_end, self.date,
                        timezone, 24 * 3600),
                    kind='pickup')
            if leg.kind in {'direct', 'last_mile'}:
                if order.delivery_latitude is None:
                    excluded.append((leg.id, 'no_coordinates'))
                    continue
                delivery = engine.Stop(
                    id=('delivery', leg.id), lat=order.delivery_latitude,
                    lon=order.delivery_longitude, demand=demand,
                    service_time=defaults.service_time(order, 'delivery'),
                    tw_start=_local_seconds(order.delivery_start, self.date,
                        timezone, 0),
                    tw_end=_local_seconds(order.delivery_end, self.date,
                        timezone, 24 * 3600),
                    kind='delivery',
                    pickup=pickup.id if pickup else None)
            stops.extend(s for s in [pickup, delivery] if s)
        if not vehicles:
            excluded.extend((s.id[1], 'no_vehicle') for s in stops)
            stops = []
        problem = engine.Problem(
            depots=problem_depots, vehicles=vehicles, stops=stops,
            distances=DistanceMatrix.from_config())
        return problem, excluded

    def create_trips(self, problem, solution, timezone):
        pool = Pool()
        Trip = pool.get('delivery.trip')
        Leg = pool.get('delivery.order.leg')
        trips = []
        for route in solution.routes:
            if not route.visits:
                continue
            courier_id = route.vehicle
            vehicle = problem.vehicle(courier_id)
            trip = Trip(
                company=self.company, date=self.date, courier=courier_id,
                depot=vehicle.depot, planning=self,
                start=at(self.date, route.start, timezone),
                end=at(self.date, route.end, timezone),
                distance=round(route.distance, 1),
                duration=dt.timedelta(
                    seconds=int(route.end) - int(route.start)))
            stops = []
            for sequence, visit in enumerate(route.visits, 1):
                kind, leg_id = visit.stop
                leg = Leg(leg_id)
                stop = dict(
                    sequence=sequence, order=leg.order, leg=leg, kind=kind,
                    planned_arrival=at(self.date, visit.arrival, timezone),
                    planned_departure=at(self.date, visit.departure,
                        timezone),
                    load_weight=visit.load[0], load_volume=visit.load[1],
                    load_parcels=int(visit.load[2]),
                    late=int(max(0, visit.late) // 60))
                stops.append(stop)
            trip.stops = stops
            for stop in trip.stops:
                late = stop.late
                stop.fill_from_order()
                stop.late = late
            trips.append(trip)
        Trip.save(trips)
        Trip.plan(trips)
        return trips

    def unassigned_orders(self, problem, solution):
        "[(leg id, reason)] of the stops the solution left out"
        return [(stop_id[1], reason)
            for stop_id, reason in solution.unassigned]


class _RoadKm:
    "Road kilometres between two points: haversine x the detour factor"

    def __init__(self):
        matrix = DistanceMatrix.from_config()
        self.detour = matrix.detour_factor
        self.speed_kmh = matrix.speed_kmh

    def km(self, a, b):
        return haversine(a[0], a[1], b[0], b[1]) / 1000 * self.detour


def _orders_of(legs):
    """[(leg id, reason)] to [(order id, reason)], an order once (with the
    reason of its first leg)"""
    Leg = Pool().get('delivery.order.leg')
    # one browse: the legs' orders are read together
    records = Leg.browse([leg for leg, _ in legs])
    result, seen = [], set()
    for record, (_, reason) in zip(records, legs):
        order_id = record.order.id
        if order_id not in seen:
            seen.add(order_id)
            result.append((order_id, reason))
    return result


def _window_text(order, timezone):
    "The order's delivery window in local time, as the dispatcher reads it"
    def local(value):
        if value is None:
            return '\u2026'
        return value.replace(tzinfo=dt.timezone.utc).astimezone(
            timezone).strftime('%Y-%m-%d %H:%M')
    return '%s \u2013 %s' % (
        local(order.delivery_start), local(order.delivery_end))


def _run_in_background(database_name, task_id):
    "Run the queue task in a thread of this process"
    from trytond.worker import run_task

    def run():
        try:
            run_task(database_name, task_id)
        except Exception:
            logger.exception("planning task %s failed", task_id)
    threading.Thread(
        target=run, name=f'delivery-plan-{task_id}', daemon=True).start()


def _local_seconds(value, date, timezone, default):
    "Seconds since the local midnight of date of a naive UTC datetime"
    if value is None:
        return default
    local = value.replace(tzinfo=dt.timezone.utc).astimezone(timezone)
    days = (local.date() - date).days
    seconds = days * 24 * 3600 + seconds_of(local)
    return max(0, min(24 * 3600, seconds))


class PlanDepot(InputGuardMixin, ModelSQL):
    "Trip Planning - Depot"
    __name__ = 'delivery.trip.plan-delivery.hub'
    plan = fields.Many2One(
        'delivery.trip.plan', "Plan", required=True, ondelete='CASCADE')
    depot = fields.Many2One(
        'delivery.hub', "Depot", required=True, ondelete='CASCADE')


class PlanUnassigned(InputGuardMixin, ModelSQL, ModelView):
    "Order Not Assigned"
    __name__ = 'delivery.trip.plan.unassigned'
    _client_modes = frozenset()
    plan = fields.Many2One(
        'delivery.trip.plan', "Plan", required=True, ondelete='CASCADE')
    order = fields.Many2One(
        'delivery.order', "Order", required=True, ondelete='CASCADE')
    reason = fields.Selection(UNASSIGNED_REASONS, "Reason", required=True)
    advice = fields.Function(fields.Char("What to Do"), 'get_advice')
    largest_capacity = fields.Float(
        "Largest Capacity (kg)", readonly=True,
        help="The largest capacity of the couriers of the planning, for an "
        "order too heavy for them.")
    outcome = fields.Char(
        "Done", readonly=True,
        help="What the dispatcher did with the order since the planning.")
    customer = fields.Function(
        fields.Many2One('party.party', "Customer"), 'get_order_field')
    address = fields.Function(fields.Char("Address"), 'get_order_field')
    window_start = fields.Function(
        fields.DateTime("From"), 'get_order_field')
    window_end = fields.Function(
        fields.DateTime("Until"), 'get_order_field')
    weight = fields.Function(fields.Float("Weight (kg)"), 'get_order_field')
    plan_date = fields.Function(fields.Date("Day"), 'get_order_field')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('plan', 'DESC'), ('id', 'ASC')]
        cls._buttons.update({
                'insert_trip': {'icon': 'tryton-add'},
                'postpone': {'icon': 'tryton-date'},
                })

    @classmethod
    def get_order_field(cls, rows, names):
        result = {n: {} for n in names}
        for row in rows:
            order = row.order
            values = {
                'customer': order.customer.id if order.customer else None,
                'address': ', '.join(filter(None, [
                            order.delivery_street, order.delivery_city])),
                'window_start': order.delivery_start,
                'window_end': order.delivery_end,
                'weight': order.weight,
                'plan_date': row.plan.date,
                }
            for name in names:
                result[name][row.id] = values[name]
        return result

    @classmethod
    def get_advice(cls, rows, name):
        "The advice in the reader's language (the planning ran in another)"
        result = {}
        for row in rows:
            plan = row.plan
            timezone = ZoneInfo(plan.company.timezone or 'UTC')
            result[row.id] = plan.unassigned_advice(
                row.order, row.reason, row.largest_capacity, timezone)
        return result

    @classmethod
    @ModelView.button_action(
        'delivery_courier_routes.wizard_unassigned_insert')
    def insert_trip(cls, rows):
        pass

    @classmethod
    @ModelView.button_action(
        'delivery_courier_routes.wizard_unassigned_postpone')
    def postpone(cls, rows):
        pass

    @classmethod
    def set_outcome(cls, rows, outcome):
        "Record what was done with the rows' orders (the server's field)"
        with Transaction().set_context(_check_access=False):
            cls.write(list(rows), {'outcome': outcome})


class PostponeStart(ModelView):
    "Plan Orders for Another Day"
    __name__ = 'delivery.trip.plan.unassigned.postpone.start'
    date = fields.Date("Day", required=True,
        domain=[('date', '>=', Eval('today', None))])
    today = fields.Date("Today", readonly=True)


class Postpone(Wizard):
    "Plan Orders for Another Day"
    __name__ = 'delivery.trip.plan.unassigned.postpone'
    start = StateView('delivery.trip.plan.unassigned.postpone.start',
        'delivery_courier_routes.unassigned_postpone_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Move", 'move', 'tryton-ok', default=True),
            ])
    move = StateTransition()

    def default_start(self, fields):
        today = Pool().get('ir.date').today()
        days = [r.plan.date for r in self.records if r.plan.date]
        return {
            'today': today,
            'date': max([today] + days) + dt.timedelta(days=1),
            }

    def transition_move(self):
        """Move the delivery (and pickup) windows of the rows' orders to
        the day, keeping their hours; an order without a window gets the
        whole day"""
        pool = Pool()
        Order = pool.get('delivery.order')
        Unassigned = pool.get('delivery.trip.plan.unassigned')
        day = self.start.date
        if day < Pool().get('ir.date').today():
            raise PlanningError(gettext(
                    'delivery_courier_routes.msg_postpone_past', date=day))
        rows = [r for r in self.records if r.order.state == 'confirmed']
        if len(rows) != len(self.records):
            late = next(r for r in self.records if r not in rows)
            raise PlanningError(gettext(
                    'delivery_courier_routes.msg_postpone_state',
                    order=late.order.rec_name))
        to_save = []
        for row in rows:
            order = row.order
            timezone = ZoneInfo(order.company.timezone or 'UTC')
            if order.delivery_start or order.delivery_end:
                first = order.delivery_start or order.delivery_end
                local = first.replace(tzinfo=dt.timezone.utc).astimezone(
                    timezone)
                delta = day - local.date()
                for name in ['pickup_start', 'pickup_end',
                        'delivery_start', 'delivery_end']:
                    value = getattr(order, name)
                    if value is not None:
                        setattr(order, name, value + delta)
            else:
                order.delivery_start = at(day, 0, timezone)
                order.delivery_end = at(day, 24 * 3600 - 60, timezone)
            to_save.append(order)
        Order.save(to_save)
        Order.log_events(to_save, 'rescheduled', note=str(day))
        Unassigned.set_outcome(rows, gettext(
                'delivery_courier_routes.msg_outcome_postponed', date=day))
        return 'end'


class Trip(metaclass=PoolMeta):
    __name__ = 'delivery.trip'
    planning = fields.Many2One(
        'delivery.trip.plan', "Planning", readonly=True, ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'recompute': {
                    'invisible': Eval('state').in_(['done', 'cancelled']),
                    'depends': ['state'],
                    },
                })

    def _points(self):
        "The trip's points from the depot back to it"
        depot = (self.depot.latitude, self.depot.longitude)
        stops = [s for s in self.stops if s.state != 'cancelled']
        return [depot] + [(s.latitude, s.longitude) for s in stops] + [
            depot], stops

    @classmethod
    @ModelView.button
    def recompute(cls, trips):
        """Recompute the planned times, loads and distance of trips whose
        stops were moved by hand or inserted; stops done keep their times"""
        distances = _RoadKm()
        defaults = {}
        for trip in trips:
            if trip.company not in defaults:
                defaults[trip.company] = Defaults(trip.company)
            trip._recompute(distances, defaults[trip.company])

    def _recompute(self, distances, defaults=None):
        pool = Pool()
        Stop = pool.get('delivery.trip.stop')
        timezone = ZoneInfo(self.company.timezone or 'UTC')
        points, stops = self._points()
        if any(p[0] is None for p in points):
            raise PlanningError(gettext(
                    'delivery_courier_routes.msg_trip_coordinates',
                    trip=self.rec_name))
        speed = (engine.SPEEDS.get(self.courier.vehicle_type)
            or distances.speed_kmh)
        if defaults is None:
            defaults = Defaults(self.company)
        shift = seconds_of(defaults.vehicle(self.courier)['shift_start'])
        start = shift
        done = 0
        for stop in stops:
            if stop.state in {'done', 'failed'}:
                done += 1
                if stop.done:
                    start = _local_seconds(
                        stop.done, self.date, timezone, start)
            else:
                break
        # today: nothing still to do before now (plus the lead time when
        # the trip has not started); a day that has passed keeps its times
        earliest = earliest_seconds(self.date, timezone,
            lead=self.state != 'in_progress')
        if earliest < 24 * 3600:
            start = max(start, earliest)
        windows = [None] + [(
                _local_seconds(s.window_start, self.date, timezone, None),
                _local_seconds(s.window_end, self.date, timezone, None))
            for s in stops] + [None]
        service = [0] + [defaults.service_time(s.order, s.kind)
            for s in stops] + [0]
        tail = points[done:]
        times = replan.schedule(start, tail, service[done:], windows[done:],
            distances.km, speed)
        loads = []
        # deliveries without their pickup on the trip are loaded at the depot
        picked = {s.order for s in stops if s.kind == 'pickup'}
        from_depot = [s.order for s in stops
            if s.kind == 'delivery' and s.order not in picked]
        weight = sum(o.weight or 0 for o in from_depot)
        volume = sum(o.volume or 0 for o in from_depot)
        parcels = sum(o.parcel_count or 0 for o in from_depot)
        for stop in stops:
            sign = 1 if stop.kind == 'pickup' else -1
            weight += sign * (stop.order.weight or 0)
            volume += sign * (stop.order.volume or 0)
            parcels += sign * (stop.order.parcel_count or 0)
            loads.append((weight, volume, parcels))
        for sequence, stop in enumerate(stops, 1):
            stop.sequence = sequence
            stop.load_weight, stop.load_volume, stop.load_parcels = (
                loads[sequence - 1])
            if sequence > done:
                arrival, departure, late = times[sequence - done - 1]
                stop.planned_arrival = at(self.date, arrival, timezone)
                stop.planned_departure = at(self.date, departure, timezone)
                stop.late = int(late // 60)
        Stop.save(stops)
        km = sum(distances.km(a, b) for a, b in zip(points, points[1:]))
        end = times[-1][1] if times else start
        self.distance = round(km, 1)
        self.end = at(self.date, end, timezone)
        if not self.start:
            self.start = at(self.date, shift, timezone)
        self.duration = self.end - self.start
        self.save()

    @classmethod
    def insert_order(cls, order, trips=None, date=None):
        """Insert an urgent order into the cheapest of the running or
        planned trips (of the order's origin hub by default) after their
        stops done, and return the trip"""
        pool = Pool()
        Stop = pool.get('delivery.trip.stop')
        Date = pool.get('ir.date')
        distances = _RoadKm()
        leg = order.current_leg
        if not leg or leg.state != 'waiting' or leg.kind not in {
                'direct', 'pickup', 'last_mile'}:
            raise PlanningError(gettext(
                    'delivery_courier_routes.msg_insert_leg',
                    order=order.rec_name))
        if order.routing_issue:
            raise PlanningError(gettext(
                    'delivery_courier_routes.msg_insert_not_routable',
                    order=order.rec_name,
                    reason=order.routing_issue_string))
        if trips is None:
            hub = leg.from_hub or leg.to_hub
            trips = cls.search([
                    ('company', '=', order.company.id),
                    ('date', '=', date or Date.today()),
                    ('state', 'in', ['planned', 'in_progress']),
                    ('depot', '=', hub.id if hub else None),
                    ])
        new = []
        if leg.kind in {'direct', 'pickup'} and order.state in {
                'confirmed', 'assigned'}:
            new.append(('pickup', (order.pickup_latitude,
                        order.pickup_longitude)))
        if leg.kind in {'direct', 'last_mile'}:
            new.append(('delivery', (order.delivery_latitude,
                        order.delivery_longitude)))
        best = None
        for trip in trips:
            points, stops = trip._points()
            if any(p[0] is None for p in points):
                continue
            fixed = 1 + sum(1 for s in itertools.takewhile(
                        lambda s: s.state != 'waiting', stops))
            added, positions = replan.best_insertion(
                points, [p for _, p in new], fixed, distances.km)
            if best is None or added < best[0]:
                best = (added, trip, positions, stops)
        if best is None:
            raise PlanningError(gettext(
                    'delivery_courier_routes.msg_insert_no_trip',
                    order=order.rec_name))
        _, trip, positions, stops = best
        stops = list(stops)
        for (kind, _), position in zip(new, positions):
            stop = Stop(trip=trip, order=order, leg=leg, kind=kind)
            stop.fill_from_order()
            # positions count the depot first
            stops.insert(position - 1, stop)
        for sequence, stop in enumerate(stops, 1):
            stop.sequence = sequence
        Stop.save(stops)
        trip = cls(trip.id)
        trip._recompute(distances)
        cls.assign_orders([trip])
        return trip


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    def active_on(self, date):
        "Whether the employee works on date"
        if self.start_date and self.start_date > date:
            return False
        if self.end_date and self.end_date < date:
            return False
        return True


UNASSIGNED = 'delivery.trip.plan.unassigned'


class InsertOrderStart(ModelView):
    "Insert an Urgent Order"
    __name__ = 'delivery.trip.insert.start'
    date = fields.Date("Date", required=True)
    trip = fields.Many2One(
        'delivery.trip', "Trip",
        domain=[
            ('date', '=', Eval('date', None)),
            ('state', 'in', ['planned', 'in_progress']),
            ],
        help="Leave empty to take the trip where the order costs the "
        "fewest extra kilometres.")

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class InsertOrder(Wizard):
    "Insert an Urgent Order"
    __name__ = 'delivery.trip.insert'
    start = StateView('delivery.trip.insert.start',
        'delivery_courier_routes.trip_insert_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Insert", 'insert', 'tryton-ok', default=True),
            ])
    insert = StateTransition()
    open_ = StateAction('delivery_courier_routes.act_trip_form')

    def default_start(self, fields):
        if self.model and self.model.__name__ == UNASSIGNED and self.record:
            return {'date': max(
                    self.record.plan.date, Pool().get('ir.date').today())}
        return {}

    def transition_insert(self):
        pool = Pool()
        Trip = pool.get('delivery.trip')
        Unassigned = pool.get(UNASSIGNED)
        row = None
        order = self.record
        if self.model.__name__ == UNASSIGNED:
            row, order = self.record, self.record.order
        trips = [self.start.trip] if self.start.trip else None
        self.start.trip = Trip.insert_order(
            order, trips=trips, date=self.start.date)
        if row:
            Unassigned.set_outcome([row], gettext(
                    'delivery_courier_routes.msg_outcome_inserted',
                    trip=self.start.trip.rec_name))
        return 'open_'

    def do_open_(self, action):
        return action, {'res_id': [self.start.trip.id]}
