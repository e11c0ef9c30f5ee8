# This file is part of the Delivery CRM for Tryton.
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from .contact import WEEKDAYS
from .security import InputGuardMixin


class Employee(InputGuardMixin, metaclass=PoolMeta):
    __name__ = 'company.employee'

    hub = fields.Many2One(
        'delivery.hub', "Branch", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        help="The branch or depot where the employee works.")
    contact_duty = fields.Boolean(
        "Contacts Customers",
        help="Check if the employee works the daily contact list.")
    working_days = fields.MultiSelection(
        WEEKDAYS, "Working Days",
        states={
            'invisible': ~Eval('contact_duty', False),
            },
        help="The days the employee receives contact tasks.")

    @classmethod
    def default_contact_duty(cls):
        return False

    @classmethod
    def default_working_days(cls):
        return ['0', '1', '2', '3', '4']

    @classmethod
    def contact_staff(cls, company, date):
        "The employees of company who work the contact list on date"
        weekday = str(date.weekday())
        employees = cls.search([
                ('company', '=', company.id),
                ('contact_duty', '=', True),
                ['OR',
                    ('start_date', '=', None),
                    ('start_date', '<=', date),
                    ],
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', date),
                    ],
                ], order=[('id', 'ASC')])
        return [e for e in employees if weekday in (e.working_days or [])]
