# This file is part of the Delivery CRM for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class DeliveryPayrollTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Delivery Payroll module"
    module = 'delivery_payroll'


del ModuleTestCase
