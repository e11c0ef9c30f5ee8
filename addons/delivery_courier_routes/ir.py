# This file is part of the Delivery CRM for Tryton.
from trytond.pool import PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _employees_rule_models(cls):
        # couriers see their own employee record and user only
        return super()._employees_rule_models() | {
            'company.employee', 'delivery.trip', 'delivery.trip.stop.action',
            'res.user'}
