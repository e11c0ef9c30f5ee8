# This file is part of the Delivery CRM for Tryton.
from sql.operators import Equal

from trytond.model import (
    DeactivableMixin, Exclude, ModelSQL, ModelView, fields)
from trytond.transaction import Transaction

from .coordinates import CoordinatesMixin
from .security import InputGuardMixin


class Hub(InputGuardMixin, DeactivableMixin, CoordinatesMixin, ModelSQL, ModelView):
    "Delivery Hub"
    __name__ = 'delivery.hub'
    _rec_name = 'name'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code", required=True, strip=True,
        help="Short unique code printed on waybills and labels.")
    kind = fields.Selection([
            ('branch', "Branch"),
            ('depot', "Depot"),
            ('hub', "Line-haul Hub"),
            ], "Kind", required=True,
        help="A branch is an office of the company with its own staff; "
        "a depot is where courier trips start and end; a line-haul hub "
        "sorts parcels travelling between cities.")
    street = fields.Text("Street")
    city = fields.Char("City", required=True)
    phone = fields.Char("Phone")
    employees = fields.One2Many(
        'company.employee', 'hub', "Employees", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Exclude(t, (t.company, Equal), (t.code, Equal)),
                'delivery_crm.msg_hub_code_unique'),
            ]
        cls._order = [('name', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_kind(cls):
        return 'branch'

    def get_rec_name(self, name):
        return f'[{self.code}] {self.name}' if self.code else self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        if clause[1].startswith('!') or clause[1].startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op,
            ('name', *clause[1:]),
            ('code', *clause[1:]),
            ('city', *clause[1:]),
            ]
