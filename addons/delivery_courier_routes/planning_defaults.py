# This file is part of the Delivery CRM for Tryton.
"""What planning assumes where an order or a courier says nothing: the
time spent at a stop per service, and per vehicle type the shift, the break
and the capacity.  Each company keeps its own rows (Routes > Configuration);
a row without a service or vehicle type applies to all of them; without any
row, BUILT_IN applies.  Planning reads them once per planning through
Defaults (planning.Plan._get_defaults)."""
import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.delivery_crm.security import InputGuardMixin
from trytond.modules.delivery_crm.tariffs import SERVICES
from trytond.pool import Pool
from trytond.transaction import Transaction

from .courier import VEHICLE_TYPES
from .exceptions import CourierValidationError

# the values without any row of the company
BUILT_IN = {
    'pickup_time': dt.timedelta(minutes=4),
    'delivery_time': dt.timedelta(minutes=5),
    'parcel_time': dt.timedelta(0),
    'shift_start': dt.time(9, 0),
    'shift_end': dt.time(18, 0),
    'break_duration': None,
    'break_window': dt.timedelta(hours=1),
    'capacity_weight': None,
    'capacity_volume': None,
    'capacity_parcels': None,
    }
# a capacity nobody gave: no limit
UNLIMITED = 10 ** 6


def _company():
    return Transaction().context.get('company')


class _DefaultsMixin(InputGuardMixin):
    __slots__ = ()

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        key = cls._key
        if {'company', key} & set(field_names or [key]):
            seen = {}
            others = cls.search([
                    ('company', 'in', list({r.company.id for r in records})),
                    ])
            for record in others:
                pair = (record.company.id, getattr(record, key))
                if pair in seen:
                    raise CourierValidationError(gettext(
                            'delivery_courier_routes.msg_defaults_twice',
                            record=record.rec_name))
                seen[pair] = record


class ServiceTime(_DefaultsMixin, ModelSQL, ModelView):
    "Time at a Stop"
    __name__ = 'delivery.planning.service_time'
    _key = 'service'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    service = fields.Selection(
        [(None, "All Services")] + SERVICES, "Service",
        help="Leave empty for the services without a row of their own.")
    pickup_time = fields.TimeDelta(
        "At Pickup", required=True,
        domain=[('pickup_time', '>=', dt.timedelta(0))])
    delivery_time = fields.TimeDelta(
        "At Delivery", required=True,
        domain=[('delivery_time', '>=', dt.timedelta(0))])
    parcel_time = fields.TimeDelta(
        "Per Extra Parcel", required=True,
        domain=[('parcel_time', '>=', dt.timedelta(0))],
        help="Added for each parcel after the first.")

    @classmethod
    def default_pickup_time(cls):
        return BUILT_IN['pickup_time']

    @classmethod
    def default_delivery_time(cls):
        return BUILT_IN['delivery_time']

    @classmethod
    def default_parcel_time(cls):
        return BUILT_IN['parcel_time']

    def get_rec_name(self, name):
        return dict(self.__class__.service.selection).get(
            self.service, '') or ''


class VehicleDefault(_DefaultsMixin, ModelSQL, ModelView):
    "Courier Defaults per Vehicle"
    __name__ = 'delivery.planning.vehicle'
    _key = 'vehicle_type'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    vehicle_type = fields.Selection(
        [(None, "All Vehicles")] + VEHICLE_TYPES, "Vehicle",
        help="Leave empty for the vehicles without a row of their own.")
    shift_start = fields.Time("Shift Start", required=True)
    shift_end = fields.Time("Shift End", required=True)
    break_duration = fields.TimeDelta(
        "Break", domain=['OR',
            ('break_duration', '=', None),
            ('break_duration', '>=', dt.timedelta(0))])
    break_window = fields.TimeDelta(
        "Break Window", required=True,
        domain=[('break_window', '>=', dt.timedelta(0))],
        help="The break starts at most this long before or after the "
        "middle of the shift.")
    capacity_weight = fields.Float(
        "Capacity (kg)", domain=['OR',
            ('capacity_weight', '=', None),
            ('capacity_weight', '>', 0)])
    capacity_volume = fields.Float(
        "Capacity (m³)", digits=(16, 3), domain=['OR',
            ('capacity_volume', '=', None),
            ('capacity_volume', '>', 0)])
    capacity_parcels = fields.Integer(
        "Capacity (parcels)", domain=['OR',
            ('capacity_parcels', '=', None),
            ('capacity_parcels', '>', 0)])

    @classmethod
    def default_shift_start(cls):
        return BUILT_IN['shift_start']

    @classmethod
    def default_shift_end(cls):
        return BUILT_IN['shift_end']

    @classmethod
    def default_break_window(cls):
        return BUILT_IN['break_window']

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        for record in records:
            if record.shift_end <= record.shift_start:
                raise CourierValidationError(gettext(
                        'delivery_courier_routes.msg_defaults_shift',
                        record=record.rec_name))

    def get_rec_name(self, name):
        return dict(self.__class__.vehicle_type.selection).get(
            self.vehicle_type, '') or ''


class Defaults:
    """The planning defaults of a company, read once: service_time(order,
    kind) in seconds and vehicle(courier) as a dict of BUILT_IN's keys"""

    def __init__(self, company):
        pool = Pool()
        ServiceTime = pool.get('delivery.planning.service_time')
        VehicleDefault = pool.get('delivery.planning.vehicle')
        self.services = {r.service: r for r in ServiceTime.search(
                [('company', '=', company.id)])}
        self.vehicles = {r.vehicle_type: r for r in VehicleDefault.search(
                [('company', '=', company.id)])}

    def _value(self, rows, key, name):
        row = rows.get(key) or rows.get(None)
        if row is not None:
            return getattr(row, name)
        return BUILT_IN[name]

    def service_time(self, order, kind):
        "Seconds spent at the pickup or delivery stop of order"
        service = getattr(order, 'service', None)
        base = self._value(
            self.services, service,
            'pickup_time' if kind == 'pickup' else 'delivery_time')
        extra = self._value(self.services, service, 'parcel_time')
        parcels = max(1, getattr(order, 'parcel_count', None) or 1)
        return int(base.total_seconds()
            + (parcels - 1) * extra.total_seconds())

    def vehicle(self, courier):
        """The courier's own values where he has them, else his vehicle
        type's, else the company's, else BUILT_IN's: shift_start,
        shift_end (times), break_duration, break_window (timedelta or
        None), capacity (weight, volume, parcels; UNLIMITED where none)"""
        key = courier.vehicle_type
        values = {}
        for name in ['shift_start', 'shift_end', 'break_duration']:
            own = getattr(courier, name, None)
            values[name] = (own if own is not None
                else self._value(self.vehicles, key, name))
        values['break_window'] = self._value(
            self.vehicles, key, 'break_window')
        capacity = []
        for name in ['capacity_weight', 'capacity_volume',
                'capacity_parcels']:
            own = getattr(courier, name, None)
            if not own:
                own = self._value(self.vehicles, key, name)
            capacity.append(own or UNLIMITED)
        values['capacity'] = tuple(capacity)
        return values
