# This file is part of the Delivery CRM for Tryton.
"""Addresses to coordinates through an OpenStreetMap geocoder speaking the
Nominatim API (nominatim.openstreetmap.org, a Nominatim of your own, or any
service with the same /search), free of the ORM.

    [delivery_crm]
    geocoder_url = https://nominatim.example.org
    # who asks (Nominatim's usage policy wants a real contact)
    geocoder_user_agent = Delivery CRM (dispatch@example.ge)
    # ISO 3166 codes the search is limited to, comma separated
    geocoder_countries = ge
    geocoder_timeout = 5

The environment variable DELIVERY_GEOCODER_URL overrides geocoder_url.
Without a URL there is no geocoder (Geocoder.from_config() is None) and the
callers say so; nothing is ever sent elsewhere.
"""
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

DEFAULT_USER_AGENT = 'Delivery CRM for Tryton'
DEFAULT_TIMEOUT = 5.0


class GeocoderError(Exception):
    "The service did not answer or answered something that is no result"


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    label: str = ''


class Geocoder:
    "A Nominatim-compatible /search"

    def __init__(self, url, user_agent=DEFAULT_USER_AGENT, countries=None,
            timeout=DEFAULT_TIMEOUT, language=None):
        self.url = url.rstrip('/')
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        self.countries = [c.strip().lower() for c in (countries or [])
            if c and c.strip()]
        self.timeout = float(timeout or DEFAULT_TIMEOUT)
        self.language = language

    @classmethod
    def from_config(cls, config=None, environ=None):
        "The geocoder of trytond's configuration, or None"
        if config is None:
            from trytond import config
        environ = os.environ if environ is None else environ
        section = 'delivery_crm'
        url = (environ.get('DELIVERY_GEOCODER_URL')
            or config.get(section, 'geocoder_url', default=None))
        if not url:
            return None
        countries = config.get(section, 'geocoder_countries', default='')
        return cls(url,
            user_agent=config.get(section, 'geocoder_user_agent',
                default=DEFAULT_USER_AGENT),
            countries=countries.split(','),
            timeout=config.getfloat(section, 'geocoder_timeout',
                default=DEFAULT_TIMEOUT))

    def query(self, street, city, country=None):
        "The parameters of the structured search of an address"
        params = {'format': 'jsonv2', 'limit': '1', 'addressdetails': '0'}
        if street:
            params['street'] = ' '.join(street.split())
        if city:
            params['city'] = ' '.join(city.split())
        if country:
            params['country'] = country
        if self.countries:
            params['countrycodes'] = ','.join(self.countries)
        return params

    def geocode(self, street, city, country=None):
        """The Place of the address, or None when the service knows none;
        GeocoderError when it cannot be asked or answers garbage"""
        if not (street or '').strip() and not (city or '').strip():
            return None
        url = '%s/search?%s' % (self.url, urllib.parse.urlencode(
                self.query(street, city, country)))
        headers = {'User-Agent': self.user_agent, 'Accept': 'application/json'}
        if self.language:
            headers['Accept-Language'] = self.language
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(
                    request, timeout=self.timeout) as response:
                body = response.read(1 << 20)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise GeocoderError(str(getattr(error, 'reason', error)))
        try:
            results = json.loads(body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            raise GeocoderError("not JSON")
        if not isinstance(results, list):
            raise GeocoderError("not a list of places")
        for result in results:
            try:
                latitude = float(result['lat'])
                longitude = float(result['lon'])
            except (KeyError, TypeError, ValueError):
                raise GeocoderError("a place without coordinates")
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise GeocoderError("coordinates out of range")
            return Place(latitude, longitude,
                str(result.get('display_name') or ''))
        return None
