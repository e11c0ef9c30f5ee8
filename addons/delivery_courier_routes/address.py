# This file is part of the Delivery CRM for Tryton.
"""Links to the map where a dispatcher picks the position of an address
(pick_routes.py)"""
from trytond.model import fields
from trytond.pool import PoolMeta

from .pick_routes import pick_urls


class Address(metaclass=PoolMeta):
    __name__ = 'party.address'
    pick_url = fields.Function(
        fields.Char("Position on the Map",
            help="Opens a map where a click puts the address."),
        'get_pick_url')

    @classmethod
    def get_pick_url(cls, addresses, name):
        return pick_urls(addresses)


class Order(metaclass=PoolMeta):
    __name__ = 'delivery.order'
    pickup_pick_url = fields.Function(
        fields.Char("Pickup on the Map",
            help="Opens a map where a click puts the pickup address."),
        'get_pick_url')
    delivery_pick_url = fields.Function(
        fields.Char("Delivery on the Map",
            help="Opens a map where a click puts the delivery address."),
        'get_pick_url')

    @classmethod
    def get_pick_url(cls, orders, names):
        return {name: pick_urls(orders, name.split('_')[0])
            for name in names}
