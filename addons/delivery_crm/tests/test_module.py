# This file is part of the Delivery CRM for Tryton.
import unittest

import datetime as dt
from collections import Counter
from decimal import Decimal

from trytond.modules.account.tests import create_chart
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.delivery_crm.exceptions import OrderError
from trytond.modules.delivery_crm.geo import (
    coordinates_error, haversine_km)
from trytond.modules.delivery_crm.order import tracking_number
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction


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

    def test_tracking_number(self):
        "Tracking numbers carry a Luhn check digit"
        self.assertEqual(tracking_number(1), '0000000018')
        self.assertEqual(tracking_number(123456789), '1234567897')

    @with_transaction()
    def test_bulk_create(self):
        "Bulk creation: all rows or none, numbers, tokens, legs and history"
        pool = Pool()
        Party = pool.get('party.party')
        Hub = pool.get('delivery.hub')
        Order = pool.get('delivery.order')
        Tariff = pool.get('delivery.tariff')
        company = create_company()
        with set_company(company):
            Hub.create([{
                        'name': "Tbilisi", 'code': 'TBS', 'city': "Tbilisi",
                        'latitude': 41.7151, 'longitude': 44.8271,
                        }])
            customer, = Party.create([{'name': "Customer"}])
            tomorrow = dt.datetime.now() + dt.timedelta(days=1)
            row = {
                'customer': customer.id,
                'sender_name': "Sender",
                'recipient_name': "Recipient",
                'pickup_city': "Tbilisi",
                'delivery_city': "Tbilisi",
                'pickup_latitude': 41.70, 'pickup_longitude': 44.80,
                'delivery_latitude': 41.72, 'delivery_longitude': 44.78,
                'delivery_start': tomorrow,
                'delivery_end': tomorrow + dt.timedelta(hours=2),
                'weight': 2.5,
                }
            bad = dict(row, weight=-3.0)
            with self.assertRaisesRegex(OrderError, 'Row 3'):
                Order.bulk_create([row, row, bad])
            self.assertEqual(Order.search([], count=True), 0)
            missing = dict(row)
            del missing['recipient_name']
            with self.assertRaisesRegex(OrderError, 'Row 1'):
                Order.bulk_create([missing])
            past = dict(row,
                delivery_start=tomorrow - dt.timedelta(days=3),
                delivery_end=tomorrow - dt.timedelta(days=2))
            with self.assertRaises(OrderError):
                Order.bulk_create([past])
            no_coordinates = dict(row,
                delivery_latitude=None, delivery_longitude=None)
            # an address the database knows takes its coordinates
            Party.create([{'name': "Known", 'addresses': [('create', [{
                                'street': "Rustaveli Ave 7",
                                'city': "Tbilisi",
                                'latitude': 41.6990, 'longitude': 44.7990,
                                }])]}])
            known = dict(no_coordinates,
                delivery_street=" rustaveli  ave 7 ", delivery_city="TBILISI")
            unknown = dict(no_coordinates,
                delivery_street="Nowhere St 1", delivery_city="Tbilisi")
            known_id, unknown_id = Order.bulk_create(
                [known, unknown], confirm=False)
            known, unknown = Order.browse([known_id, unknown_id])
            self.assertEqual(
                (known.delivery_latitude, known.delivery_longitude),
                (41.699, 44.799))
            self.assertIsNone(known.routing_issue)
            self.assertIsNone(unknown.delivery_latitude)
            self.assertEqual(unknown.routing_issue, 'delivery_coordinates')
            Order.delete([known, unknown])

            ids = Order.bulk_create([row, no_coordinates], confirm=False)
            self.assertEqual(len(ids), 2)
            ids += Order.bulk_create([past], history=True)
            orders = Order.browse(ids)
            self.assertEqual([o.number for o in orders],
                [tracking_number(i) for i in ids])
            self.assertEqual(len({o.tracking_token for o in orders}), 3)
            self.assertEqual([o.routing_issue for o in orders],
                [None, 'delivery_coordinates', None])
            self.assertTrue(all(o.state == 'draft' for o in orders))
            self.assertEqual(orders[0].origin_hub.code, 'TBS')

            # no price without a tariff: nothing is confirmed
            with self.assertRaisesRegex(OrderError, 'Row 1'):
                Order.bulk_create([row], confirm=True)
            Tariff.create([{
                        'name': "Standard",
                        'rules': [('create', [{'base_price': 5}])],
                        }])
            confirmed = Order.browse(Order.bulk_create(
                    [row] * 3, confirm=True))
            for order in confirmed:
                self.assertEqual(order.state, 'confirmed')
                self.assertEqual([l.kind for l in order.legs], ['direct'])
                self.assertEqual([e.event for e in order.events],
                    ['confirmed'])
                self.assertEqual(order.amount, 5)

    @with_transaction()
    def test_invoice_taxes(self):
        "Taxes from the count of lines per price are Tryton's own"
        pool = Pool()
        Order = pool.get('delivery.order')
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Tax = pool.get('account.tax')
        Account = pool.get('account.account')
        company = create_company()
        with set_company(company):
            create_chart(company, tax=True)
            tax, = Tax.search([])
            revenue = Account.search([('type.revenue', '=', True)])[0]
            # prices whose taxes round differently per line and in total
            # (20 %: 0.07 gives 0.014, 1.23 gives 0.246)
            prices = [Decimal(p) for p in [
                    '0.07', '0.07', '0.07', '0.07', '0.07', '1.23', '1.23',
                    '1.23', '9.40', '31.00', '-0.33', '-0.33']]
            results = {}
            for rounding in ['document', 'line']:
                invoice = Invoice(company=company, type='out',
                    currency=company.currency, invoice_date=None,
                    taxes=[])
                invoice.lines = [Line(type='line', quantity=1,
                        unit_price=p, taxes=[tax], account=revenue,
                        invoice_type='out', currency=company.currency)
                    for p in prices]
                config = pool.get('account.configuration')(1)
                config.tax_rounding = rounding
                config.save()
                expected = sorted((t.tax.id, t.base, t.amount)
                    for t in invoice._get_taxes().values())
                counts = Counter(((tax.id,), p) for p in prices)
                ours = sorted((v['tax'], v['base'], v['amount'])
                    for v in Order._invoice_taxes(
                        invoice, counts, rounding))
                self.assertEqual(ours, expected, rounding)
                results[rounding] = expected
            self.assertNotEqual(results['document'], results['line'])


del ModuleTestCase
