# This file is part of the Delivery CRM for Tryton.
"""The geocoder adapter against a Nominatim of our own on 127.0.0.1"""
import socket
import unittest

from trytond.modules.delivery_crm.geocoder import (
    Geocoder, GeocoderError, Place)
from trytond.modules.delivery_crm.tests.nominatim import Nominatim


class FakeConfig:
    def __init__(self, **values):
        self.values = values

    def get(self, section, option, default=None):
        return self.values.get(option, default)

    def getfloat(self, section, option, default=None):
        value = self.values.get(option)
        return default if value is None else float(value)


class GeocoderTestCase(unittest.TestCase):
    "Geocoder (Nominatim API)"

    @classmethod
    def setUpClass(cls):
        cls.service = Nominatim().start()

    @classmethod
    def tearDownClass(cls):
        cls.service.stop()

    def setUp(self):
        self.service.set_mode('ok')
        del self.service.requests[:]
        self.geocoder = Geocoder(self.service.url, user_agent='CRM test',
            countries=['ge'], timeout=2)

    def test_found(self):
        "a known address: its coordinates and name"
        place = self.geocoder.geocode("Rustaveli  Avenue 12", " Tbilisi ")
        self.assertEqual(place, Place(41.6971, 44.7986,
                "12, Rustaveli Avenue, Tbilisi, Georgia"))
        request, = self.service.requests
        self.assertEqual(request['path'], '/search')
        self.assertEqual(request['query'], {
                'format': 'jsonv2', 'limit': '1', 'addressdetails': '0',
                'street': 'Rustaveli Avenue 12', 'city': 'Tbilisi',
                'countrycodes': 'ge'})
        self.assertEqual(request['user_agent'], 'CRM test')

    def test_not_found(self):
        "an address nobody knows: None, not an error"
        self.assertIsNone(self.geocoder.geocode("Nowhere 1", "Tbilisi"))

    def test_country_limit(self):
        "the search stays in the configured countries"
        geocoder = Geocoder(self.service.url, countries=['am'])
        self.assertIsNone(geocoder.geocode("Rustaveli Avenue 12", "Tbilisi"))

    def test_empty_address(self):
        "nothing to look for: no request"
        self.assertIsNone(self.geocoder.geocode('  ', None))
        self.assertEqual(self.service.requests, [])

    def test_server_error(self):
        self.service.set_mode('error')
        with self.assertRaises(GeocoderError):
            self.geocoder.geocode("Rustaveli Avenue 12", "Tbilisi")

    def test_garbage(self):
        self.service.set_mode('garbage')
        with self.assertRaises(GeocoderError):
            self.geocoder.geocode("Rustaveli Avenue 12", "Tbilisi")

    def test_down(self):
        "nobody listening: an error, at once"
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()
        geocoder = Geocoder(f'http://127.0.0.1:{port}', timeout=2)
        with self.assertRaises(GeocoderError):
            geocoder.geocode("Rustaveli Avenue 12", "Tbilisi")

    def test_from_config(self):
        "configured in trytond.conf, or by the environment, or not at all"
        self.assertIsNone(Geocoder.from_config(FakeConfig(), environ={}))
        geocoder = Geocoder.from_config(FakeConfig(
                geocoder_url='https://geo.example.org/',
                geocoder_countries='GE, am', geocoder_timeout='3',
                geocoder_user_agent='Dispatch (ops@example.ge)'),
            environ={})
        self.assertEqual(geocoder.url, 'https://geo.example.org')
        self.assertEqual(geocoder.countries, ['ge', 'am'])
        self.assertEqual(geocoder.timeout, 3.0)
        self.assertEqual(geocoder.user_agent, 'Dispatch (ops@example.ge)')
        geocoder = Geocoder.from_config(FakeConfig(),
            environ={'DELIVERY_GEOCODER_URL': self.service.url})
        self.assertEqual(geocoder.url, self.service.url)
