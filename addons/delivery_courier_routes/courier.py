# This file is part of the Delivery CRM for Tryton.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Bool, Eval

from .exceptions import CourierValidationError

VEHICLE_TYPES = [
    ('foot', "On Foot"),
    ('bicycle', "Bicycle"),
    ('scooter', "Scooter"),
    ('car', "Car"),
    ('van', "Van"),
    ('truck', "Truck"),
    ]

_courier_states = {
    'invisible': ~Eval('courier', False),
    }


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    courier = fields.Boolean(
        "Courier", help="Check if the employee delivers parcels.")
    vehicle_type = fields.Selection([(None, "")] + VEHICLE_TYPES, "Vehicle",
        states={
            'invisible': _courier_states['invisible'],
            'required': Bool(Eval('courier')),
            })
    vehicle_plate = fields.Char("Plate", states=_courier_states)
    capacity_weight = fields.Float(
        "Capacity (kg)", digits=(16, 1), states=_courier_states,
        domain=['OR',
            ('capacity_weight', '=', None),
            ('capacity_weight', '>=', 0),
            ])
    capacity_volume = fields.Float(
        "Capacity (m³)", digits=(16, 3), states=_courier_states,
        domain=['OR',
            ('capacity_volume', '=', None),
            ('capacity_volume', '>=', 0),
            ])
    capacity_parcels = fields.Integer(
        "Capacity (parcels)", states=_courier_states,
        domain=['OR',
            ('capacity_parcels', '=', None),
            ('capacity_parcels', '>=', 0),
            ])
    cost_per_km = fields.Numeric(
        "Cost per km", digits=(16, 4), states=_courier_states,
        domain=['OR',
            ('cost_per_km', '=', None),
            ('cost_per_km', '>=', 0),
            ],
        help="Vehicle cost per kilometre in the company currency.")
    fixed_cost_day = fields.Numeric(
        "Fixed Cost per Day", digits=(16, 2), states=_courier_states,
        domain=['OR',
            ('fixed_cost_day', '=', None),
            ('fixed_cost_day', '>=', 0),
            ],
        help="Fixed cost of a working day in the company currency.")
    shift_start = fields.Time("Shift Start", states=_courier_states)
    shift_end = fields.Time("Shift End", states=_courier_states)
    break_duration = fields.TimeDelta("Break", states=_courier_states)
    home_depot = fields.Many2One(
        'delivery.hub', "Home Depot", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states=_courier_states,
        help="Where the courier's trips start and end.")

    @classmethod
    def default_courier(cls):
        return False

    @fields.depends('courier', 'hub', 'home_depot')
    def on_change_courier(self):
        if self.courier and not self.home_depot:
            self.home_depot = self.hub

    @classmethod
    def validate_fields(cls, employees, field_names):
        super().validate_fields(employees, field_names)
        if field_names & {'shift_start', 'shift_end', 'break_duration'}:
            cls.check_shift(employees)

    @classmethod
    def check_shift(cls, employees):
        for employee in employees:
            start, end = employee.shift_start, employee.shift_end
            if start is not None and end is not None and end <= start:
                raise CourierValidationError(gettext(
                        'delivery_courier_routes.msg_shift_end_before_start',
                        employee=employee.rec_name,
                        start=start.strftime('%H:%M'),
                        end=end.strftime('%H:%M')))
            if (employee.break_duration is not None
                    and employee.break_duration.total_seconds() < 0):
                raise CourierValidationError(gettext(
                        'delivery_courier_routes.msg_break_negative',
                        employee=employee.rec_name))
