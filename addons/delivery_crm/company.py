# This file is part of the Delivery CRM for Tryton.
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Employee(metaclass=PoolMeta):
    __name__ = 'company.employee'

    hub = fields.Many2One(
        'delivery.hub', "Branch", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        help="The branch or depot where the employee works.")
