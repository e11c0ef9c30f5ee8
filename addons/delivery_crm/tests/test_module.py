# This file is part of the Delivery CRM for Tryton.
import unittest

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.delivery_crm.geo import (
    coordinates_error, haversine_km)
from trytond.tests.test_tryton import ModuleTestCase


class GeoTestCase(unittest.TestCase):
    "Pure coordinate helpers"

    def test_coordinates_error(self):
        self.assertIsNone(coordinates_error(None, None))
        self.assertIsNone(coordinates_error(41.7151, 44.8271))
        self.assertEqual(coordinates_error(41.7, None), 'incomplete')
        self.assertEqual(coordinates_error(None, 44.8), 'incomplete')
        self.assertEqual(coordinates_error(91, 44.8), 'latitude')
        self.assertEqual(coordinates_error(41.7, -180.5), 'longitude')

    def test_haversine_tbilisi_batumi(self):
        # Freedom Square, Tbilisi to Europe Square, Batumi: 263 km as the crow flies
        distance = haversine_km(41.6934, 44.8015, 41.6523, 41.6386)
        self.assertAlmostEqual(distance, 263, delta=5)


class DeliveryCrmTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Delivery CRM module"
    module = 'delivery_crm'


del ModuleTestCase
