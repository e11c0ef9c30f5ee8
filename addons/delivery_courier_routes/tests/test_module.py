# This file is part of the Delivery CRM for Tryton.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class DeliveryCourierRoutesTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Delivery Courier Routes module"
    module = 'delivery_courier_routes'


del ModuleTestCase
