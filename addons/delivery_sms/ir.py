# This file is part of the Delivery CRM for Tryton.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('delivery.sms.message|process_queue', "Send Queued SMS"))
