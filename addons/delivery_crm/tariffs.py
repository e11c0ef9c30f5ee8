# This file is part of the Delivery CRM for Tryton.
"""Delivery configuration, zones, tariffs and line-haul links.

The records here are turned into the plain objects of tariff.py, which does
the maths without the ORM."""
import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSingleton, ModelSQL, ModelView, fields,
    sequence_ordered)
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

from . import tariff as pure
from .exceptions import TariffError
from .security import InputGuardMixin

SERVICES = [
    ('same_day', "Same Day"),
    ('next_day', "Next Day"),
    ('express', "Express"),
    ('intercity', "Intercity"),
    ]


def _company():
    return Transaction().context.get('company')


class Configuration(InputGuardMixin, ModelSingleton, ModelSQL, ModelView):
    "Delivery Configuration"
    __name__ = 'delivery.configuration'

    delivery_product = fields.Many2One(
        'product.product', "Delivery Product",
        domain=[('type', '=', 'service')],
        help="The service invoiced for a delivery when its tariff has none.")
    cod_fee_product = fields.Many2One(
        'product.product', "COD Fee Product",
        domain=[('type', '=', 'service')],
        help="The service invoiced for the cash-on-delivery fee.")
    surcharge_product = fields.Many2One(
        'product.product', "Surcharge Product",
        domain=[('type', '=', 'service')],
        help="The service invoiced for fragile and out-of-hours surcharges.")
    cod_services = fields.MultiSelection(
        SERVICES, "Services with Cash on Delivery",
        help="The services on which the courier may collect cash.")
    detour_factor = fields.Float(
        "Detour Factor", digits=(4, 2), required=True,
        domain=[('detour_factor', '>=', 1)],
        help="Road distance = straight-line distance x this factor.")
    work_start = fields.Time("Working Hours Start", required=True)
    work_end = fields.Time("Working Hours End", required=True)

    @classmethod
    def default_cod_services(cls):
        return ['same_day', 'next_day', 'intercity']

    @classmethod
    def default_detour_factor(cls):
        return 1.3

    @classmethod
    def default_work_start(cls):
        return dt.time(9, 0)

    @classmethod
    def default_work_end(cls):
        return dt.time(19, 0)


class Zone(InputGuardMixin, DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Delivery Zone"
    __name__ = 'delivery.zone'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", strip=True)
    cities = fields.Text(
        "Cities and Districts",
        help="One city or district per line; an address whose city is "
        "listed lies in the zone.")
    polygon = fields.Text(
        "Polygon",
        help='Corners as "latitude longitude", one per line; a point '
        'inside lies in the zone (checked before the cities).')

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def validate_fields(cls, zones, field_names):
        super().validate_fields(zones, field_names)
        if 'polygon' in field_names:
            for zone in zones:
                if zone.polygon and zone.polygon.strip():
                    try:
                        pure.parse_polygon(zone.polygon)
                    except ValueError:
                        raise TariffError(gettext(
                                'delivery_crm.msg_zone_polygon',
                                zone=zone.rec_name))

    def to_pure(self):
        cities = frozenset(
            c.strip().lower() for c in (self.cities or '').splitlines()
            if c.strip())
        polygon = ()
        if self.polygon and self.polygon.strip():
            polygon = pure.parse_polygon(self.polygon)
        return pure.Zone(
            id=self.id, cities=cities, polygon=polygon,
            sequence=self.sequence or 0)

    @classmethod
    def pure_zones(cls, company_id):
        return [z.to_pure() for z in cls.search([
                    ('company', '=', company_id),
                    ])]


class Tariff(InputGuardMixin, DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Delivery Tariff"
    __name__ = 'delivery.tariff'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True, translate=True)
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    party = fields.Many2One(
        'party.party', "Customer", ondelete='CASCADE',
        context={'company': Eval('company', -1)}, depends={'company'},
        help="Contract prices of one customer.")
    categories = fields.Many2Many(
        'delivery.tariff-party.category', 'tariff', 'category',
        "Customer Categories",
        help="Contract prices for the customers of these categories.")
    product = fields.Many2One(
        'product.product', "Delivery Product",
        domain=[('type', '=', 'service')],
        context={'company': Eval('company', -1)}, depends={'company'},
        help="The service invoiced for the delivery; "
        "the configuration's when empty.")
    volumetric_factor = fields.Numeric(
        "Volumetric Factor", digits=(16, 2), required=True,
        domain=[('volumetric_factor', '>', 0)],
        help="Kilograms charged per cubic metre (200 = 1 kg per 5,000 cm3).")
    cod_fee_percent = fields.Numeric(
        "COD Fee %", digits=(16, 2), required=True,
        domain=[('cod_fee_percent', '>=', 0)])
    cod_fee_minimum = Monetary(
        "COD Fee Minimum", currency='currency', digits='currency',
        required=True, domain=[('cod_fee_minimum', '>=', 0)])
    fragile_fee = Monetary(
        "Fragile Fee", currency='currency', digits='currency', required=True,
        domain=[('fragile_fee', '>=', 0)])
    out_of_hours_percent = fields.Numeric(
        "Out-of-Hours Surcharge %", digits=(16, 2), required=True,
        domain=[('out_of_hours_percent', '>=', 0)],
        help="Added to the delivery charge when a time window lies outside "
        "the working hours.")
    rules = fields.One2Many('delivery.tariff.rule', 'tariff', "Rules")

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def default_volumetric_factor(cls):
        return Decimal(200)

    @classmethod
    def default_cod_fee_percent(cls):
        return Decimal(0)

    @classmethod
    def default_cod_fee_minimum(cls):
        return Decimal(0)

    @classmethod
    def default_fragile_fee(cls):
        return Decimal(0)

    @classmethod
    def default_out_of_hours_percent(cls):
        return Decimal(0)

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    def to_pure(self, cod_services):
        return pure.Tariff(
            id=self.id,
            rules=tuple(r.to_pure() for r in self.rules),
            sequence=self.sequence or 0,
            party=self.party.id if self.party else None,
            categories=frozenset(c.id for c in self.categories),
            volumetric_factor=self.volumetric_factor,
            cod_fee_percent=self.cod_fee_percent,
            cod_fee_minimum=self.cod_fee_minimum,
            fragile_fee=self.fragile_fee,
            out_of_hours_percent=self.out_of_hours_percent,
            cod_services=frozenset(cod_services))

    @classmethod
    def pure_tariffs(cls, company_id):
        pool = Pool()
        Configuration = pool.get('delivery.configuration')
        cod_services = Configuration(1).cod_services or []
        return [t.to_pure(cod_services) for t in cls.search([
                    ('company', '=', company_id),
                    ])]


class TariffCategory(InputGuardMixin, ModelSQL):
    "Delivery Tariff - Party Category"
    __name__ = 'delivery.tariff-party.category'
    tariff = fields.Many2One(
        'delivery.tariff', "Tariff", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'party.category', "Category", required=True, ondelete='CASCADE')


class TariffRule(InputGuardMixin, sequence_ordered(), ModelSQL, ModelView):
    "Delivery Tariff Rule"
    __name__ = 'delivery.tariff.rule'

    tariff = fields.Many2One(
        'delivery.tariff', "Tariff", required=True, ondelete='CASCADE')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company', searcher='search_company')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    service = fields.Selection(
        [(None, "Any")] + SERVICES, "Service")
    origin_zone = fields.Many2One(
        'delivery.zone', "Origin Zone", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        help="Any zone when empty.")
    destination_zone = fields.Many2One(
        'delivery.zone', "Destination Zone", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        help="Any zone when empty.")
    distance_min = fields.Numeric(
        "From km", digits=(16, 1), required=True,
        domain=[('distance_min', '>=', 0)])
    distance_max = fields.Numeric(
        "Below km", digits=(16, 1),
        domain=[If(Eval('distance_max', None) != None,  # noqa: E711
                ('distance_max', '>', Eval('distance_min', 0)), ())])
    weight_min = fields.Numeric(
        "From kg", digits=(16, 2), required=True,
        domain=[('weight_min', '>=', 0)])
    weight_max = fields.Numeric(
        "Below kg", digits=(16, 2),
        domain=[If(Eval('weight_max', None) != None,  # noqa: E711
                ('weight_max', '>', Eval('weight_min', 0)), ())])
    base_price = Monetary(
        "Base Price", currency='currency', digits='currency', required=True,
        domain=[('base_price', '>=', 0)])
    price_per_km = Monetary(
        "Price per km", currency='currency', digits=(16, 4), required=True,
        domain=[('price_per_km', '>=', 0)])
    included_weight = fields.Numeric(
        "Included kg", digits=(16, 2), required=True,
        domain=[('included_weight', '>=', 0)])
    price_per_kg = Monetary(
        "Price per Extra kg", currency='currency', digits=(16, 4),
        required=True, domain=[('price_per_kg', '>=', 0)])
    price_per_extra_parcel = Monetary(
        "Price per Extra Parcel", currency='currency', digits='currency',
        required=True, domain=[('price_per_extra_parcel', '>=', 0)])
    minimum_price = Monetary(
        "Minimum Price", currency='currency', digits='currency',
        required=True, domain=[('minimum_price', '>=', 0)])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('tariff')

    @classmethod
    def default_distance_min(cls):
        return Decimal(0)

    @classmethod
    def default_weight_min(cls):
        return Decimal(0)

    @classmethod
    def default_base_price(cls):
        return Decimal(0)

    default_price_per_km = default_base_price
    default_included_weight = default_base_price
    default_price_per_kg = default_base_price
    default_price_per_extra_parcel = default_base_price
    default_minimum_price = default_base_price

    @fields.depends('tariff', '_parent_tariff.company')
    def on_change_with_company(self, name=None):
        return self.tariff.company if self.tariff else None

    @classmethod
    def search_company(cls, name, clause):
        return [('tariff.' + clause[0], *clause[1:])]

    @fields.depends('tariff', '_parent_tariff.company')
    def on_change_with_currency(self, name=None):
        if self.tariff and self.tariff.company:
            return self.tariff.company.currency

    def to_pure(self):
        return pure.Rule(
            id=self.id,
            sequence=self.sequence or 0,
            service=self.service,
            origin_zone=self.origin_zone.id if self.origin_zone else None,
            destination_zone=(
                self.destination_zone.id if self.destination_zone else None),
            distance_min=self.distance_min,
            distance_max=self.distance_max,
            weight_min=self.weight_min,
            weight_max=self.weight_max,
            base_price=self.base_price,
            price_per_km=self.price_per_km,
            included_weight=self.included_weight,
            price_per_kg=self.price_per_kg,
            price_per_extra_parcel=self.price_per_extra_parcel,
            minimum_price=self.minimum_price)


class HubLink(InputGuardMixin, ModelSQL, ModelView):
    "Line-haul Link"
    __name__ = 'delivery.hub.link'

    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    from_hub = fields.Many2One(
        'delivery.hub', "From", required=True, ondelete='CASCADE',
        domain=[('company', '=', Eval('company', -1))])
    to_hub = fields.Many2One(
        'delivery.hub', "To", required=True, ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            ('id', '!=', Eval('from_hub', -1)),
            ])
    distance = fields.Numeric(
        "Distance (km)", digits=(16, 1), required=True,
        domain=[('distance', '>', 0)])

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def pure_links(cls, company_id):
        return [(l.from_hub.id, l.to_hub.id, l.distance)
            for l in cls.search([('company', '=', company_id)])]
