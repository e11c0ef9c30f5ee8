# This file is part of the Delivery CRM for Tryton.
import random
import unittest
from decimal import ROUND_HALF_UP, Decimal

from trytond.modules.delivery_crm.tariff import (
    ERRORS, SERVICES, Quote, Rule, Shipment, Tariff, Zone, hub_path, locate,
    parse_polygon, point_in_polygon, price, price_many, select_tariffs)

D = Decimal

# Rough boxes (lat, lon) around three districts of Tbilisi
VAKE = ((41.700, 44.720), (41.720, 44.720), (41.720, 44.770),
    (41.700, 44.770))
SABURTALO = ((41.720, 44.720), (41.750, 44.720), (41.750, 44.770),
    (41.720, 44.770))
# Covers both boxes above: a coarse "greater Tbilisi" zone
GREATER_TBILISI = ((41.60, 44.60), (41.85, 44.60), (41.85, 45.00),
    (41.60, 45.00))


def shipment(**values):
    values.setdefault('service', 'next_day')
    return Shipment(**values)


class PolygonTestCase(unittest.TestCase):
    "Zones: polygons and location"

    def test_parse_polygon_semicolons(self):
        self.assertEqual(
            parse_polygon("41.70 44.72; 41.72 44.72; 41.72 44.77"),
            ((41.70, 44.72), (41.72, 44.72), (41.72, 44.77)))

    def test_parse_polygon_lines(self):
        self.assertEqual(
            parse_polygon("41.70,44.72\n41.72, 44.72\r\n41.72,44.77\n\n"),
            ((41.70, 44.72), (41.72, 44.72), (41.72, 44.77)))

    def test_parse_polygon_explicitly_closed(self):
        self.assertEqual(
            parse_polygon("0 0; 0 1; 1 1; 0 0"),
            ((0.0, 0.0), (0.0, 1.0), (1.0, 1.0)))

    def test_parse_polygon_integers_and_signs(self):
        self.assertEqual(
            parse_polygon("-10 -20;10 -20;10 20;-10 20;"),
            ((-10.0, -20.0), (10.0, -20.0), (10.0, 20.0), (-10.0, 20.0)))

    def test_parse_polygon_bad(self):
        for text in [
                '', '   ', '41.7 44.8; 41.8 44.9',    # fewer than 3 points
                '0 0; 0 1; 0 0',                        # 2 distinct points
                '0 0; 0 1; 1 1; 1',                     # lone coordinate
                '0 0 0; 0 1; 1 1',                      # 3 coordinates
                'a b; c d; e f',
                '0 0; 0 1; 1 nan',
                '91 0; 0 1; 1 1',                       # latitude
                '0 0; 0 181; 1 1',                      # longitude
                None, 42,
                ]:
            with self.subTest(text=text):
                with self.assertRaises(ValueError) as cm:
                    parse_polygon(text)
                self.assertEqual(cm.exception.args, ('polygon',))

    def test_point_in_polygon(self):
        self.assertTrue(point_in_polygon(41.71, 44.75, VAKE))
        self.assertFalse(point_in_polygon(41.73, 44.75, VAKE))
        self.assertFalse(point_in_polygon(41.71, 44.80, VAKE))
        self.assertFalse(point_in_polygon(41.71, 44.75, ()))
        self.assertFalse(point_in_polygon(0, 0, ((0, 0), (1, 1))))

    def test_point_in_concave_polygon(self):
        # A U shape: the notch is outside
        u_shape = ((0, 0), (0, 3), (3, 3), (3, 2), (1, 2), (1, 1), (3, 1),
            (3, 0))
        self.assertTrue(point_in_polygon(0.5, 1.5, u_shape))
        self.assertTrue(point_in_polygon(2, 0.5, u_shape))
        self.assertTrue(point_in_polygon(2, 2.5, u_shape))
        self.assertFalse(point_in_polygon(2, 1.5, u_shape))
        self.assertFalse(point_in_polygon(4, 1.5, u_shape))

    def zones(self):
        return [
            Zone(id=3, cities=frozenset({'rustavi'}), sequence=30),
            Zone(id=2, cities=frozenset({'tbilisi', 'saburtalo'}),
                polygon=SABURTALO, sequence=20),
            Zone(id=1, cities=frozenset({'vake'}), polygon=VAKE,
                sequence=20),
            Zone(id=9, polygon=GREATER_TBILISI, sequence=90),
            ]

    def test_locate_polygon(self):
        zones = self.zones()
        self.assertEqual(locate(zones, 41.71, 44.75), 1)
        self.assertEqual(locate(zones, 41.74, 44.75, 'Rustavi'), 2)
        # Outside the districts but inside greater Tbilisi
        self.assertEqual(locate(zones, 41.65, 44.90), 9)

    def test_locate_polygon_before_city(self):
        "A polygon of a later zone wins over a city of an earlier one"
        zones = [
            Zone(id=1, cities=frozenset({'tbilisi'}), sequence=1),
            Zone(id=2, polygon=VAKE, sequence=50),
            ]
        self.assertEqual(locate(zones, 41.71, 44.75, 'Tbilisi'), 2)
        self.assertEqual(locate(zones, 10, 10, 'Tbilisi'), 1)

    def test_locate_sequence_then_id(self):
        "Overlapping polygons: lowest sequence, then lowest id"
        zones = [
            Zone(id=5, polygon=GREATER_TBILISI, sequence=10),
            Zone(id=4, polygon=GREATER_TBILISI, sequence=10),
            Zone(id=1, polygon=GREATER_TBILISI, sequence=20),
            ]
        self.assertEqual(locate(zones, 41.71, 44.75), 4)
        zones.append(Zone(id=7, polygon=GREATER_TBILISI, sequence=None))
        self.assertEqual(locate(zones, 41.71, 44.75), 7)

    def test_locate_city_fallback(self):
        zones = self.zones()
        # Point outside every polygon: the city decides
        self.assertEqual(locate(zones, 40.0, 40.0, 'rustavi'), 3)
        # No coordinates, or only one of them
        self.assertEqual(locate(zones, city='rustavi'), 3)
        self.assertEqual(locate(zones, 41.71, None, 'rustavi'), 3)
        # First zone by sequence then id holding the city
        zones.append(Zone(id=4, cities=frozenset({'rustavi'}), sequence=30))
        zones.append(Zone(id=5, cities=frozenset({'rustavi'}), sequence=25))
        self.assertEqual(locate(zones, city='rustavi'), 5)

    def test_locate_city_case_and_spaces(self):
        zones = self.zones()
        self.assertEqual(locate(zones, city='  RUSTAVI \n'), 3)
        self.assertEqual(locate(zones, city='Tbilisi'), 2)
        # Zone cities are normalised too
        zones = [Zone(id=8, cities={' Old  Tbilisi ', 'MTATSMINDA'})]
        self.assertEqual(zones[0].cities,
            frozenset({'old tbilisi', 'mtatsminda'}))
        self.assertEqual(locate(zones, city='old tbilisi'), 8)
        self.assertEqual(locate(zones, city='Mtatsminda '), 8)

    def test_locate_none(self):
        zones = self.zones()
        self.assertIsNone(locate(zones, 40.0, 40.0, 'Kutaisi'))
        self.assertIsNone(locate(zones, 40.0, 40.0))
        self.assertIsNone(locate(zones))
        self.assertIsNone(locate(zones, city='   '))
        self.assertIsNone(locate([], 41.71, 44.75, 'vake'))


class PriceTestCase(unittest.TestCase):
    "Quotes of one tariff"

    def test_band_edges(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, distance_max=D(10), weight_max=D(5),
                    base_price=D(1)),
                Rule(id=2, distance_min=D(10), distance_max=D(50),
                    weight_max=D(5), base_price=D(2)),
                Rule(id=3, weight_min=D(5), weight_max=D(20),
                    base_price=D(3)),
                ))
        for distance, weight, rule in [
                (D(0), D(0), 1),
                (D('9.99'), D('4.999'), 1),
                (D(10), D(0), 2),           # distance_min inclusive
                (D('49.99'), D(4), 2),
                (D(50), D(4), None),        # distance_max exclusive
                (D(5), D(5), 3),            # weight_min inclusive
                (D(500), D('19.99'), 3),    # no distance bound
                (D(5), D(20), None),        # weight_max exclusive
                ]:
            with self.subTest(distance=distance, weight=weight):
                quote = price(shipment(distance=distance, weight=weight),
                    [tariff])
                self.assertEqual(quote.rule, rule)
                self.assertEqual(quote.error, None if rule else 'no_rule')

    def test_rule_service_and_zones(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, service='express', origin_zone=1,
                    destination_zone=2, base_price=D(1)),
                Rule(id=2, service='express', destination_zone=2,
                    base_price=D(2)),
                Rule(id=3, service='express', base_price=D(3)),
                Rule(id=4, base_price=D(4)),
                ))
        for service, origin, destination, rule in [
                ('express', 1, 2, 1),
                ('express', 3, 2, 2),
                ('express', None, 2, 2),
                ('express', 1, None, 3),
                ('same_day', 1, 2, 4),
                ]:
            with self.subTest(service=service, zones=(origin, destination)):
                quote = price(shipment(service=service, origin_zone=origin,
                        destination_zone=destination), [tariff])
                self.assertEqual(quote.rule, rule)

    def test_rules_by_sequence_then_id(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=5, sequence=20, base_price=D(1)),
                Rule(id=4, sequence=10, base_price=D(2)),
                Rule(id=3, sequence=10, base_price=D(3)),
                ))
        self.assertEqual(price(shipment(), [tariff]).rule, 3)
        tariff = Tariff(id=1, rules=tariff.rules + (
                Rule(id=9, sequence=None, base_price=D(1)),))
        self.assertEqual(price(shipment(), [tariff]).rule, 9)

    def test_delivery_distance(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, base_price=D(5), price_per_km=D('0.25')),))
        quote = price(shipment(distance=D('12.5')), [tariff])
        self.assertEqual(quote.delivery, D('8.13'))     # 8.125
        self.assertEqual(quote.total, D('8.13'))

    def test_volumetric_weight(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, price_per_kg=D(1)),), volumetric_factor=D(200))
        # 0.05 m³ x 200 = 10 kg beats 3 kg
        quote = price(shipment(weight=D(3), volume=D('0.05')), [tariff])
        self.assertEqual(quote.chargeable_weight, D(10))
        self.assertEqual(quote.delivery, D('10.00'))
        # Actual weight beats 0.01 m³ x 200 = 2 kg
        quote = price(shipment(weight=D(3), volume=D('0.01')), [tariff])
        self.assertEqual(quote.chargeable_weight, D(3))
        self.assertEqual(quote.delivery, D('3.00'))

    def test_volumetric_weight_selects_band(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, weight_max=D(5), base_price=D(5)),
                Rule(id=2, weight_min=D(5), base_price=D(9)),
                ), volumetric_factor=D(250))
        quote = price(shipment(weight=D(1), volume=D('0.02')), [tariff])
        self.assertEqual((quote.rule, quote.chargeable_weight), (2, D(5)))
        quote = price(shipment(weight=D(1), volume=D('0.0199')), [tariff])
        self.assertEqual(quote.rule, 1)

    def test_volumetric_factor_of_each_tariff(self):
        contract = Tariff(id=1, party=7, volumetric_factor=D(100), rules=(
                Rule(id=1, service='express', price_per_kg=D(1)),))
        general = Tariff(id=2, volumetric_factor=D(300), rules=(
                Rule(id=2, price_per_kg=D(1)),))
        quote = price(shipment(service='express', volume=D('0.1'), party=7),
            [contract, general])
        self.assertEqual((quote.tariff, quote.chargeable_weight), (1, D(10)))
        quote = price(shipment(volume=D('0.1'), party=7), [contract, general])
        self.assertEqual((quote.tariff, quote.chargeable_weight), (2, D(30)))

    def test_included_weight(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, base_price=D(6), included_weight=D(5),
                    price_per_kg=D('0.50')),))
        for weight, delivery in [
                (D(0), D('6.00')),
                (D(5), D('6.00')),
                (D('5.5'), D('6.25')),      # fractions pro rata
                (D('7.25'), D('7.13')),     # 7.125
                (D(25), D('16.00')),
                ]:
            with self.subTest(weight=weight):
                quote = price(shipment(weight=weight), [tariff])
                self.assertEqual(quote.delivery, delivery)

    def test_extra_parcels(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, base_price=D(5), price_per_extra_parcel=D('1.5')),
                ))
        self.assertEqual(price(shipment(parcels=1), [tariff]).delivery,
            D('5.00'))
        self.assertEqual(price(shipment(parcels=4), [tariff]).delivery,
            D('9.50'))
        self.assertEqual(price(shipment(parcels=1000), [tariff]).delivery,
            D('1503.50'))

    def test_minimum_price(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, base_price=D(1), price_per_km=D('0.5'),
                    minimum_price=D(5)),))
        self.assertEqual(price(shipment(distance=D(2)), [tariff]).delivery,
            D('5.00'))
        self.assertEqual(price(shipment(distance=D(8)), [tariff]).delivery,
            D('5.00'))
        self.assertEqual(price(shipment(distance=D(9)), [tariff]).delivery,
            D('5.50'))

    def cod_tariff(self, **values):
        return Tariff(id=1, rules=(Rule(id=1, base_price=D(5)),),
            cod_fee_percent=D(2), cod_fee_minimum=D('1.50'), **values)

    def test_cod_fee(self):
        tariff = self.cod_tariff()
        for cod, fee in [
                (D(0), D('0.00')),
                (D('0.01'), D('1.50')),     # minimum
                (D(75), D('1.50')),         # 2% = minimum
                (D('75.25'), D('1.51')),    # 2% = 1.505
                (D(200), D('4.00')),        # percent
                ]:
            with self.subTest(cod=cod):
                quote = price(shipment(cod_amount=cod), [tariff])
                self.assertEqual(quote.cod_fee, fee)
                self.assertEqual(quote.total, D('5.00') + fee)

    def test_cod_not_allowed(self):
        tariff = self.cod_tariff(
            cod_services=frozenset({'next_day', 'same_day'}))
        quote = price(shipment(service='express', cod_amount=D(10),
                weight=D(2)), [tariff])
        self.assertEqual(quote, Quote(tariff=1, rule=1,
                chargeable_weight=D(2), delivery=D('0.00'),
                cod_fee=D('0.00'), surcharge=D('0.00'), total=D('0.00'),
                error='cod_not_allowed'))
        # Without COD the service is priced
        quote = price(shipment(service='express'), [tariff])
        self.assertEqual((quote.error, quote.total), (None, D('5.00')))
        quote = price(shipment(service='next_day', cod_amount=D(10)),
            [tariff])
        self.assertEqual((quote.error, quote.cod_fee), (None, D('1.50')))

    def test_surcharges(self):
        tariff = Tariff(id=1, rules=(Rule(id=1, base_price=D('10.10')),),
            fragile_fee=D('2.50'), out_of_hours_percent=D(25))
        for fragile, out_of_hours, surcharge in [
                (False, False, D('0.00')),
                (True, False, D('2.50')),
                (False, True, D('2.53')),    # 25% of 10.10 = 2.525
                (True, True, D('5.03')),
                ]:
            with self.subTest(fragile=fragile, out_of_hours=out_of_hours):
                quote = price(shipment(fragile=fragile,
                        out_of_hours=out_of_hours), [tariff])
                self.assertEqual(quote.delivery, D('10.10'))
                self.assertEqual(quote.surcharge, surcharge)
                self.assertEqual(quote.total, D('10.10') + surcharge)

    def test_out_of_hours_on_rounded_delivery(self):
        tariff = Tariff(id=1, rules=(
                Rule(id=1, base_price=D(10), price_per_km=D('0.001')),),
            out_of_hours_percent=D(50))
        # delivery 10.005 -> 10.01; 50% of 10.01 = 5.005 -> 5.01
        quote = price(shipment(distance=D(5), out_of_hours=True), [tariff])
        self.assertEqual(
            (quote.delivery, quote.surcharge, quote.total),
            (D('10.01'), D('5.01'), D('15.02')))

    def test_full_quote(self):
        tariff = Tariff(id=4, rules=(
                Rule(id=40, base_price=D(8), price_per_km=D('0.2'),
                    included_weight=D(5), price_per_kg=D('0.5'),
                    price_per_extra_parcel=D(2), minimum_price=D(10)),),
            volumetric_factor=D(200), cod_fee_percent=D('1.5'),
            cod_fee_minimum=D(1), fragile_fee=D(3),
            out_of_hours_percent=D(20))
        quote = price(shipment(distance=D(30), weight=D(4), volume=D('0.04'),
                parcels=3, cod_amount=D(250), fragile=True,
                out_of_hours=True), [tariff])
        # 8 + 0.2 x 30 + 0.5 x (8 - 5) + 2 x 2 = 19.50
        self.assertEqual(quote, Quote(tariff=4, rule=40,
                chargeable_weight=D(8), delivery=D('19.50'),
                cod_fee=D('3.75'), surcharge=D('6.90'), total=D('30.15')))
        self.assertTrue(quote.ok)

    def test_rounding_half_up(self):
        tariff = Tariff(id=1, rules=(Rule(id=1, base_price=D('0.125')),),
            cod_fee_percent=D(1), fragile_fee=D('0.005'))
        quote = price(shipment(cod_amount=D('0.5'), fragile=True), [tariff])
        self.assertEqual(quote.delivery, D('0.13'))     # not 0.12
        self.assertEqual(quote.cod_fee, D('0.01'))      # 0.005
        self.assertEqual(quote.surcharge, D('0.01'))
        self.assertEqual(quote.total, D('0.15'))
        for amount in (quote.delivery, quote.cod_fee, quote.surcharge,
                quote.total):
            self.assertEqual(amount.as_tuple().exponent, -2)

    def test_amounts_have_two_places(self):
        tariff = Tariff(id=1, rules=(Rule(id=1, base_price=D(7)),))
        quote = price(shipment(), [tariff])
        for amount in (quote.delivery, quote.cod_fee, quote.surcharge,
                quote.total):
            self.assertEqual(str(amount), {
                    quote.delivery: '7.00', quote.total: '7.00'
                    }.get(amount, '0.00'))
            self.assertEqual(amount.as_tuple().exponent, -2)

    def test_floats_and_integers(self):
        "Floats are read as they print, integers and None are accepted"
        tariff = Tariff(id=1, rules=(
                Rule(id=1, base_price=1, price_per_km=0.1,
                    price_per_kg=0.3, weight_max=None, distance_max=100),),
            volumetric_factor=None, cod_fee_percent=None)
        rule, = tariff.rules
        self.assertEqual(rule.price_per_km, D('0.1'))
        self.assertEqual(rule.distance_max, D(100))
        self.assertEqual(tariff.volumetric_factor, D(200))
        self.assertEqual(tariff.cod_fee_percent, D(0))
        by_float = price(shipment(distance=2.35, weight=1.15, volume=0.001,
                parcels=2.0), [tariff])
        by_decimal = price(shipment(distance=D('2.35'), weight=D('1.15'),
                volume=D('0.001')), [tariff])
        self.assertEqual(by_float, by_decimal)
        self.assertEqual(by_float.delivery, D('1.58'))  # 1 + .235 + .345

    def test_categories_as_list(self):
        tariffs = [Tariff(id=1, categories=[3], rules=[Rule(id=1)])]
        self.assertEqual(tariffs[0].categories, frozenset({3}))
        self.assertEqual(tariffs[0].rules, (Rule(id=1),))
        quote = price(shipment(categories=[3, 4]), tariffs)
        self.assertEqual(quote.tariff, 1)
        self.assertEqual(price(shipment(categories=None), tariffs).error,
            'no_tariff')


class ErrorTestCase(unittest.TestCase):
    "Every error code"

    tariffs = [Tariff(id=1, rules=(
                Rule(id=1, service='express', distance_max=D(100),
                    base_price=D(5)),),
            cod_services=frozenset({'same_day'}))]

    def assertError(self, quote, error, tariff=None, rule=None):
        self.assertEqual(quote.error, error)
        self.assertFalse(quote.ok)
        self.assertEqual((quote.tariff, quote.rule), (tariff, rule))
        for amount in (quote.delivery, quote.cod_fee, quote.surcharge,
                quote.total):
            self.assertEqual(amount, D(0))
            self.assertEqual(str(amount), '0.00')

    def test_service(self):
        for service in ('pigeon', None, '', 'EXPRESS'):
            with self.subTest(service=service):
                self.assertError(
                    price(shipment(service=service), self.tariffs),
                    'service')

    def test_weight(self):
        for weight in (D(-1), D('-0.001'), D('10000.01'), D('NaN'),
                D('Infinity'), float('nan'), 'heavy', [1]):
            with self.subTest(weight=weight):
                self.assertError(price(shipment(service='express',
                            weight=weight), self.tariffs), 'weight')
        for weight in (D(0), D(10_000), 10_000, None):
            with self.subTest(weight=weight):
                self.assertIsNone(price(shipment(service='express',
                            weight=weight), self.tariffs).error)

    def test_volume(self):
        for volume in (D(-1), D('100.001'), D('sNaN'), float('inf')):
            with self.subTest(volume=volume):
                self.assertError(price(shipment(service='express',
                            volume=volume), self.tariffs), 'volume')
        self.assertIsNone(price(shipment(service='express', volume=D(100)),
                self.tariffs).error)

    def test_parcels(self):
        for parcels in (0, -1, 1001, 1.5, D('2.5'), None, True, 'two'):
            with self.subTest(parcels=parcels):
                self.assertError(price(shipment(service='express',
                            parcels=parcels), self.tariffs), 'parcels')
        for parcels in (1, 1000, 2.0, D(3)):
            with self.subTest(parcels=parcels):
                self.assertIsNone(price(shipment(service='express',
                            parcels=parcels), self.tariffs).error)

    def test_cod_amount(self):
        for cod in (D('-0.01'), D('NaN'), D('Infinity'), -5):
            with self.subTest(cod=cod):
                self.assertError(price(shipment(service='express',
                            cod_amount=cod), self.tariffs), 'cod_amount')

    def test_validation_order(self):
        quote = price(shipment(service='pigeon', weight=D(-1), volume=D(-1),
                parcels=0, cod_amount=D(-1)), self.tariffs)
        self.assertEqual(quote.error, 'service')
        quote = price(shipment(service='express', weight=D(-1),
                volume=D(-1), parcels=0, cod_amount=D(-1)), self.tariffs)
        self.assertEqual(quote.error, 'weight')
        quote = price(shipment(service='express', volume=D(-1), parcels=0,
                cod_amount=D(-1)), self.tariffs)
        self.assertEqual(quote.error, 'volume')
        quote = price(shipment(service='express', parcels=0,
                cod_amount=D(-1)), self.tariffs)
        self.assertEqual(quote.error, 'parcels')
        # Validation comes before the tariffs
        self.assertEqual(
            price(shipment(service='express', cod_amount=D(-1)), []).error,
            'cod_amount')

    def test_no_tariff(self):
        self.assertError(price(shipment(service='express'), []), 'no_tariff')
        # Only contracts of others
        tariffs = [Tariff(id=1, party=5, rules=(Rule(id=1),)),
            Tariff(id=2, categories=frozenset({3}), rules=(Rule(id=2),))]
        self.assertError(
            price(shipment(party=6, categories=frozenset({4})), tariffs),
            'no_tariff')

    def test_no_rule(self):
        self.assertError(price(shipment(service='same_day'), self.tariffs),
            'no_rule')
        self.assertError(price(shipment(service='express', distance=D(100)),
                self.tariffs), 'no_rule')
        self.assertError(price(shipment(service='express',
                    distance=D(-1)), self.tariffs), 'no_rule')
        self.assertError(price(shipment(service='express',
                    distance=D('NaN')), self.tariffs), 'no_rule')
        self.assertError(price(Shipment('express'),
                [Tariff(id=1, rules=())]), 'no_rule')

    def test_cod_not_allowed(self):
        quote = price(shipment(service='express', cod_amount=D(1)),
            self.tariffs)
        self.assertError(quote, 'cod_not_allowed', 1, 1)

    def test_codes(self):
        self.assertEqual(set(ERRORS), {
                'no_tariff', 'no_rule', 'cod_not_allowed', 'weight',
                'volume', 'parcels', 'service', 'cod_amount'})


class ContractTestCase(unittest.TestCase):
    "Contract tariffs: party > category > general, sequence inside"

    def tariffs(self):
        def tariff(id, sequence=10, party=None, categories=(), service=None):
            return Tariff(id=id, sequence=sequence, party=party,
                categories=frozenset(categories),
                rules=(Rule(id=id * 10, service=service,
                        base_price=D(id)),))
        return [
            tariff(1, sequence=20),
            tariff(2, sequence=10),
            tariff(3, categories={7}),
            tariff(4, categories={8, 9}, sequence=5),
            tariff(5, party=42, service='express'),
            tariff(6, party=42, sequence=1, service='express'),
            tariff(7, party=43),
            tariff(8, party=42, categories={99}),   # a party contract
            ]

    def test_select_tariffs(self):
        tariffs = self.tariffs()

        def ids(*args, **kwargs):
            return [t.id for t in select_tariffs(tariffs, *args, **kwargs)]
        self.assertEqual(ids(), [2, 1])
        self.assertEqual(ids(1), [2, 1])
        self.assertEqual(ids(42), [6, 5, 8, 2, 1])
        self.assertEqual(ids(42, frozenset({7, 9})), [6, 5, 8, 4, 3, 2, 1])
        self.assertEqual(ids(None, {9}), [4, 2, 1])
        self.assertEqual(ids(43, [7]), [7, 3, 2, 1])
        self.assertEqual(ids(44, {99}), [2, 1])
        self.assertEqual(select_tariffs([], 42, {7}), [])

    def test_priority(self):
        tariffs = self.tariffs()
        for party, categories, service, tariff in [
                (42, {7}, 'express', 6),        # party, lowest sequence
                (42, {7}, 'same_day', 8),       # party, other services
                (43, {7}, 'express', 7),
                (None, {7}, 'express', 3),      # category
                (1, {7, 8}, 'express', 4),      # category, sequence
                (1, {1}, 'express', 2),         # general, sequence
                (None, (), 'intercity', 2),
                ]:
            with self.subTest(party=party, categories=categories,
                    service=service):
                quote = price(shipment(service=service, party=party,
                        categories=frozenset(categories)), tariffs)
                self.assertEqual(quote.tariff, tariff)
                self.assertEqual(quote.rule, tariff * 10)
                self.assertEqual(quote.delivery, D(tariff))

    def test_fall_through(self):
        "A contract without matching rule leaves the order to the next"
        contract = Tariff(id=1, party=42, rules=(
                Rule(id=1, service='next_day', weight_max=D(20),
                    base_price=D(4)),))
        general = Tariff(id=2, rules=(Rule(id=2, base_price=D(9)),))
        quote = price(shipment(party=42, weight=D(19)), [general, contract])
        self.assertEqual((quote.tariff, quote.rule), (1, 1))
        quote = price(shipment(party=42, weight=D(20)), [general, contract])
        self.assertEqual((quote.tariff, quote.rule), (2, 2))
        quote = price(shipment(party=42, service='express'),
            [general, contract])
        self.assertEqual((quote.tariff, quote.rule), (2, 2))

    def test_cod_not_allowed_does_not_fall_through(self):
        "The first matching rule wins even when its tariff refuses COD"
        contract = Tariff(id=1, party=42, rules=(Rule(id=1),),
            cod_services=frozenset())
        general = Tariff(id=2, rules=(Rule(id=2),))
        quote = price(shipment(party=42, cod_amount=D(5)),
            [contract, general])
        self.assertEqual((quote.error, quote.tariff, quote.rule),
            ('cod_not_allowed', 1, 1))


def reference_price(s, tariffs):
    "A straightforward reading of the specification, to compare with"
    def quote(error=None, tariff=None, rule=None, chargeable=D(0),
            delivery=D(0), cod_fee=D(0), surcharge=D(0)):
        def r(x):
            return D(x).quantize(D('0.01'), ROUND_HALF_UP)
        return Quote(tariff, rule, chargeable, r(delivery), r(cod_fee),
            r(surcharge), r(delivery) + r(cod_fee) + r(surcharge), error)
    if s.service not in SERVICES:
        return quote('service')
    if not 0 <= s.weight <= 10_000:
        return quote('weight')
    if not 0 <= s.volume <= 100:
        return quote('volume')
    if not 1 <= s.parcels <= 1000:
        return quote('parcels')
    if s.cod_amount < 0:
        return quote('cod_amount')

    def group(t):
        if t.party is not None:
            return 0 if t.party == s.party else None
        if t.categories:
            return 1 if t.categories & s.categories else None
        return 2
    applicable = sorted((t for t in tariffs if group(t) is not None),
        key=lambda t: (group(t), t.sequence, t.id))
    if not applicable:
        return quote('no_tariff')
    for t in applicable:
        chargeable = max(s.weight, s.volume * t.volumetric_factor)
        for r in sorted(t.rules, key=lambda r: (r.sequence, r.id)):
            if (r.service in (None, s.service)
                    and r.origin_zone in (None, s.origin_zone)
                    and r.destination_zone in (None, s.destination_zone)
                    and r.distance_min <= s.distance
                    and (r.distance_max is None or s.distance < r.distance_max)
                    and r.weight_min <= chargeable
                    and (r.weight_max is None or chargeable < r.weight_max)):
                if s.cod_amount > 0 and s.service not in t.cod_services:
                    return quote('cod_not_allowed', t.id, r.id, chargeable)
                delivery = max(r.minimum_price, r.base_price
                    + r.price_per_km * s.distance
                    + r.price_per_kg * max(0, chargeable - r.included_weight)
                    + r.price_per_extra_parcel * (s.parcels - 1))
                delivery = delivery.quantize(D('0.01'), ROUND_HALF_UP)
                cod_fee = (max(t.cod_fee_minimum,
                        s.cod_amount * t.cod_fee_percent / 100)
                    if s.cod_amount > 0 else 0)
                surcharge = ((t.fragile_fee if s.fragile else 0)
                    + (delivery * t.out_of_hours_percent / 100
                        if s.out_of_hours else 0))
                return quote(None, t.id, r.id, chargeable, delivery,
                    cod_fee, surcharge)
    return quote('no_rule')


class BulkTestCase(unittest.TestCase):
    "price_many against price and the reference on random shipments"

    @staticmethod
    def random_tariffs(rng):
        tariffs = []
        for tariff_id, party, categories in [
                (1, None, ()), (2, None, (7,)), (3, 42, ()), (4, None, (8,)),
                (5, None, ())]:
            rules = []
            for rule_id in range(tariff_id * 100, tariff_id * 100
                    + rng.randint(0, 30)):
                low = D(rng.choice([0, 0, 10, 50]))
                rules.append(Rule(
                        id=rule_id, sequence=rng.choice([10, 20, 30]),
                        service=rng.choice((None,) + SERVICES),
                        origin_zone=rng.choice([None, None, 1, 2]),
                        destination_zone=rng.choice([None, None, 1, 2, 3]),
                        distance_min=low,
                        distance_max=rng.choice(
                            [None, None, low + 10, low + 100]),
                        weight_min=D(rng.choice([0, 0, 5])),
                        weight_max=rng.choice([None, None, D(5), D(30)]),
                        base_price=D(rng.randint(0, 2000)) / 100,
                        price_per_km=D(rng.randint(0, 50)) / 100,
                        included_weight=D(rng.randint(0, 10)),
                        price_per_kg=D(rng.randint(0, 150)) / 100,
                        price_per_extra_parcel=D(rng.randint(0, 500)) / 100,
                        minimum_price=D(rng.randint(0, 1500)) / 100))
            tariffs.append(Tariff(
                    id=tariff_id, rules=tuple(rules),
                    sequence=rng.choice([10, 20]), party=party,
                    categories=frozenset(categories),
                    volumetric_factor=D(rng.choice([167, 200, 250])),
                    cod_fee_percent=D(rng.randint(0, 300)) / 100,
                    cod_fee_minimum=D(rng.randint(0, 200)) / 100,
                    fragile_fee=D(rng.randint(0, 500)) / 100,
                    out_of_hours_percent=D(rng.choice([0, 10, 25, 33])),
                    cod_services=frozenset(rng.sample(
                            SERVICES, rng.randint(1, 4)))))
        return tariffs

    @staticmethod
    def random_shipments(rng, count):
        "Mostly valid shipments, each validation error in about 2%"
        def rare(value, usual):
            return value if rng.random() < 0.02 else usual
        shipments = []
        for _ in range(count):
            shipments.append(Shipment(
                    service=rare('pigeon', rng.choice(SERVICES)),
                    origin_zone=rng.choice([None, 1, 2, 3]),
                    destination_zone=rng.choice([None, 1, 2, 3]),
                    distance=D(rng.randint(0, rng.choice([6000, 20000])))
                    / 100,
                    weight=rare(D(-1), D(rng.randint(0, 5000)) / 100),
                    volume=rare(D(-1), D(rng.choice(
                                [0, 0, rng.randint(1, 300)])) / 1000),
                    parcels=rare(0, rng.choice([1, 1, 1, 2, 5])),
                    cod_amount=rare(D(-1), D(rng.choice(
                                [0, 0, rng.randint(1, 100_000)])) / 100),
                    fragile=rng.random() < 0.2,
                    out_of_hours=rng.random() < 0.2,
                    party=rng.choice([None, 1, 2, 42]),
                    categories=frozenset(
                        rng.sample([7, 8, 9], rng.randint(0, 2)))))
        return shipments

    def test_price_many(self):
        rng = random.Random(20240601)
        errors = set()
        for _ in range(5):
            tariffs = self.random_tariffs(rng)
            shipments = self.random_shipments(rng, 300)
            quotes = price_many(shipments, tariffs)
            self.assertEqual(quotes, [price(s, tariffs) for s in shipments])
            self.assertEqual(quotes,
                [reference_price(s, tariffs) for s in shipments])
            for quote in quotes:
                errors.add(quote.error)
                self.assertEqual(quote.total,
                    quote.delivery + quote.cod_fee + quote.surcharge)
        # The random data go through every path
        self.assertEqual(errors, set(ERRORS) - {'no_tariff'} | {None})

    def test_price_many_iterable(self):
        tariffs = [Tariff(id=1, rules=(Rule(id=1, base_price=D(3)),))]
        quotes = price_many((shipment() for _ in range(3)), iter(tariffs))
        self.assertEqual([q.total for q in quotes], [D('3.00')] * 3)
        self.assertEqual(price_many([], tariffs), [])
        self.assertEqual([q.error for q in price_many([shipment()], [])],
            ['no_tariff'])


class HubPathTestCase(unittest.TestCase):
    "Line-haul path between hubs"

    TBILISI, GORI, KUTAISI, BATUMI, POTI, TELAVI, ZUGDIDI = range(1, 8)
    links = [
        (TBILISI, GORI, 86),
        (GORI, KUTAISI, 150),
        (TBILISI, KUTAISI, 231),
        (KUTAISI, BATUMI, D('150.5')),
        (TBILISI, BATUMI, 400.0),       # longer than through Kutaisi
        (POTI, BATUMI, 75),
        (TBILISI, TELAVI, 95),
        ]

    def test_direct(self):
        self.assertEqual(hub_path(self.links, self.TBILISI, self.KUTAISI),
            [self.TBILISI, self.KUTAISI])
        # Links are usable both ways
        self.assertEqual(hub_path(self.links, self.TELAVI, self.TBILISI),
            [self.TELAVI, self.TBILISI])

    def test_through_hub(self):
        self.assertEqual(hub_path(self.links, self.TBILISI, self.BATUMI),
            [self.TBILISI, self.KUTAISI, self.BATUMI])
        self.assertEqual(hub_path(self.links, self.POTI, self.TELAVI),
            [self.POTI, self.BATUMI, self.KUTAISI, self.TBILISI,
                self.TELAVI])

    def test_shorter_with_more_hubs(self):
        links = self.links + [(self.TBILISI, self.KUTAISI, 300)]
        links[2] = (self.TBILISI, self.KUTAISI, 260)
        self.assertEqual(hub_path(links, self.TBILISI, self.KUTAISI),
            [self.TBILISI, self.GORI, self.KUTAISI])

    def test_same_hub(self):
        self.assertEqual(hub_path(self.links, self.GORI, self.GORI),
            [self.GORI])
        self.assertEqual(hub_path([], self.GORI, self.GORI), [self.GORI])

    def test_unreachable(self):
        self.assertIsNone(hub_path(self.links, self.TBILISI, self.ZUGDIDI))
        self.assertIsNone(hub_path(
                self.links + [(self.ZUGDIDI, 99, 10)],
                self.TBILISI, self.ZUGDIDI))
        self.assertIsNone(hub_path([], self.TBILISI, self.BATUMI))

    def test_bad_distance(self):
        with self.assertRaises(ValueError):
            hub_path([(1, 2, -1)], 1, 2)
        with self.assertRaises(ValueError):
            hub_path([(1, 2, float('nan'))], 1, 2)


if __name__ == '__main__':
    unittest.main()
