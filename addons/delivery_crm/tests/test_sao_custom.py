# This file is part of the Delivery CRM for Tryton.
"""custom.js and custom.css of the web client, served without a database"""
import unittest

from werkzeug.test import Client

from trytond.modules.delivery_crm import sao_custom
from trytond.wsgi import app


class SaoCustomTestCase(unittest.TestCase):
    "sao's custom.js and custom.css"

    def setUp(self):
        self.client = Client(app)

    def test_custom_js(self):
        "custom.js holds the live progress of the plannings"
        response = self.client.get('/custom.js')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.headers['Content-Type'],
            'text/javascript; charset=utf-8')
        body = response.get_data(as_text=True)
        self.assertIn('/* delivery_courier_routes */', body)
        self.assertIn("'delivery.trip.plan': ['queued', 'running']", body)

    def test_not_modified(self):
        "a browser that has the file gets 304"
        etag = self.client.get('/custom.js').headers['ETag']
        response = self.client.get(
            '/custom.js', headers={'If-None-Match': etag})
        self.assertEqual(response.status_code, 304)

    def test_custom_css(self):
        "custom.css answers (empty until a module ships one), not 405"
        response = self.client.get('/custom.css')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.headers['Content-Type'], 'text/css; charset=utf-8')

    def test_modules_not_installed(self):
        "a module that is not installed adds nothing"
        self.assertIsNone(sao_custom.module_dir('delivery_nothing'))
        self.assertTrue(sao_custom.bundle('js'))

    def test_post_refused(self):
        "the files are read, not posted to"
        self.assertEqual(self.client.post('/custom.js').status_code, 405)
