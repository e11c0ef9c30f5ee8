# This file is part of the Delivery CRM for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.delivery_crm.tests.tools import prepare_module
from trytond.tests.test_tryton import ModuleTestCase


class DeliveryCourierRoutesTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Delivery Courier Routes module"
    module = 'delivery_courier_routes'

    @classmethod
    def setUpClass(cls):
        # its database built on the cached one of delivery_crm
        prepare_module(cls.module)
        super().setUpClass()


del ModuleTestCase
