# This file is part of the Delivery CRM for Tryton.
from trytond.pool import PoolMeta

SMS_REPLY = ('sms_reply', "SMS Reply")


class ContactTask(metaclass=PoolMeta):
    __name__ = 'delivery.contact.task'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if SMS_REPLY not in cls.reason.selection:
            cls.reason.selection.append(SMS_REPLY)


class Contact(metaclass=PoolMeta):
    __name__ = 'delivery.contact'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if SMS_REPLY not in cls.reason.selection:
            cls.reason.selection.append(SMS_REPLY)
