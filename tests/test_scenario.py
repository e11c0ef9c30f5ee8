# This file is part of the Delivery CRM for Tryton.
"Cross-module scenarios: the four delivery modules together"
from trytond.tests.test_tryton import load_doc_tests


def load_tests(*args, **kwargs):
    return load_doc_tests(__name__, __file__, *args, **kwargs)
