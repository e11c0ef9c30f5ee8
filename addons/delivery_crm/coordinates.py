# This file is part of the Delivery CRM for Tryton.
from trytond.i18n import gettext
from trytond.model import fields

from .exceptions import CoordinatesError
from .geo import coordinates_error


class CoordinatesMixin:
    "Latitude and longitude in decimal degrees (WGS 84)"
    __slots__ = ()
    latitude = fields.Float(
        "Latitude", digits=(10, 7),
        help="Decimal degrees, north positive (WGS 84).")
    longitude = fields.Float(
        "Longitude", digits=(10, 7),
        help="Decimal degrees, east positive (WGS 84).")

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names & {'latitude', 'longitude'}:
            cls.check_coordinates(records)

    @classmethod
    def check_coordinates(cls, records):
        for record in records:
            error = coordinates_error(record.latitude, record.longitude)
            if error:
                raise CoordinatesError(gettext(
                        'delivery_crm.msg_coordinates_%s' % error,
                        record=record.rec_name,
                        latitude=record.latitude,
                        longitude=record.longitude))

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None


def known_coordinates(street, city, exclude=None):
    """(latitude, longitude) of an address of the database with the same
    street and city (spaces and case aside) that has them, or None"""
    from trytond.pool import Pool
    street = ' '.join((street or '').split())
    city = ' '.join((city or '').split())
    if not street or not city:
        return None
    Address = Pool().get('party.address')
    domain = [
        ('street', 'ilike', street),
        ('city', 'ilike', city),
        ('latitude', '!=', None),
        ('longitude', '!=', None),
        ]
    if exclude:
        domain.append(('id', 'not in', list(exclude)))
    for address in Address.search(domain, limit=1, order=[('id', 'DESC')]):
        return address.latitude, address.longitude
    return None


def fill_coordinates(records, places):
    """Give coordinates to the places of records that have none: the
    coordinates of the same address known in the database, else the
    geocoder's. places: [(street, city, latitude, longitude) field names].
    All or nothing: a place that no service knows raises a UserError
    naming it, and nothing is written. Returns the records changed."""
    from trytond.exceptions import UserError
    from .geocoder import Geocoder, GeocoderError
    geocoder = None
    changed = []
    for record in records:
        for street_name, city_name, lat_name, lon_name in places:
            if (getattr(record, lat_name) is not None
                    and getattr(record, lon_name) is not None):
                continue
            street = getattr(record, street_name)
            city = getattr(record, city_name)
            if not (street or '').strip():
                # a city alone is no place to stop at
                continue
            exclude = ([record.id] if record.__name__ == 'party.address'
                else None)
            found = known_coordinates(street, city, exclude=exclude)
            if found is None:
                if geocoder is None:
                    geocoder = Geocoder.from_config()
                    if geocoder is None:
                        raise UserError(gettext(
                                'delivery_crm.msg_geocoder_none'))
                try:
                    place = geocoder.geocode(street, city)
                except GeocoderError as error:
                    raise UserError(gettext(
                            'delivery_crm.msg_geocoder_failed',
                            url=geocoder.url, error=str(error)[:200]))
                if place is None:
                    raise UserError(gettext(
                            'delivery_crm.msg_geocoder_not_found',
                            address=', '.join(filter(None, [
                                        ' '.join((street or '').split()),
                                        (city or '').strip()]))[:300]))
                found = place.latitude, place.longitude
            setattr(record, lat_name, round(found[0], 7))
            setattr(record, lon_name, round(found[1], 7))
            if record not in changed:
                changed.append(record)
    return changed
