# This file is part of the Delivery CRM for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.delivery_crm.tests.tools import prepare_module
from trytond.tests.test_tryton import ModuleTestCase


class DeliveryPayrollTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Delivery Payroll module"
    module = 'delivery_payroll'

    @classmethod
    def setUpClass(cls):
        # its database built on the cached one of delivery_crm
        prepare_module(cls.module)
        super().setUpClass()


del ModuleTestCase
