# This file is part of the Delivery CRM for Tryton.
import unittest

from trytond.modules.delivery_crm.tests.tools import prepare_module
from trytond.modules.delivery_sms.encoding import is_gsm7, segment
from trytond.tests.test_tryton import ModuleTestCase


class EncodingTestCase(unittest.TestCase):
    "SMS encoding and segmentation"

    def test_empty(self):
        seg = segment('')
        self.assertEqual((seg.encoding, seg.units, seg.count), ('gsm7', 0, 0))

    def test_gsm7_single_and_multi(self):
        self.assertEqual(segment('a' * 160).count, 1)
        seg = segment('a' * 161)
        self.assertEqual(seg.count, 2)
        self.assertEqual([len(p) for p in seg.parts], [153, 8])

    def test_gsm7_extension_costs_two(self):
        self.assertTrue(is_gsm7('Price: 10€ [COD]'))
        self.assertEqual(segment('€').units, 2)
        self.assertEqual(segment('€' * 80).count, 1)
        seg = segment('a' * 152 + '€' + 'b' * 10)
        # the escape pair does not fit in the 153rd septet: it moves on
        self.assertEqual([len(p) for p in seg.parts], [152, 11])

    def test_georgian_is_ucs2(self):
        text = 'ა' * 100
        seg = segment(text)
        self.assertEqual(seg.encoding, 'ucs2')
        self.assertEqual([len(p) for p in seg.parts], [67, 33])
        self.assertEqual(segment('ამანათი მზადაა').count, 1)
        self.assertEqual(segment('ა' * 70).count, 1)

    def test_surrogate_pair_not_split(self):
        text = 'ა' * 66 + '📦' + 'ბ' * 10
        seg = segment(text)
        self.assertEqual(seg.units, 66 + 2 + 10)
        self.assertEqual(seg.parts[0], 'ა' * 66)
        self.assertEqual(''.join(seg.parts), text)


class DeliverySmsTestCase(ModuleTestCase):
    "Test Delivery SMS module"
    module = 'delivery_sms'

    @classmethod
    def setUpClass(cls):
        # its database built on the cached one of delivery_crm
        prepare_module(cls.module)
        super().setUpClass()


del ModuleTestCase
