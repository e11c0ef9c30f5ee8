# This file is part of the Delivery CRM for Tryton.
from trytond.pool import PoolMeta

from .coordinates import CoordinatesMixin


class Address(CoordinatesMixin, metaclass=PoolMeta):
    __name__ = 'party.address'
