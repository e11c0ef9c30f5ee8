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


def _key(street, city):
    "(street, city) with spaces and case aside: how addresses are matched"
    return (' '.join((street or '').split()).lower(),
        ' '.join((city or '').split()).lower())


def known_coordinates_many(keys, size=500):
    """{(street, city) as _key gives them: (latitude, longitude)} of the
    addresses of the database with coordinates for the keys: one query per
    slice of size streets (the newest address wins), for imports"""
    from sql import Null
    from sql.functions import Lower
    from trytond.pool import Pool
    from trytond.tools import grouped_slice
    from trytond.transaction import Transaction
    keys = {k for k in keys if k[0] and k[1]}
    if not keys:
        return {}
    table = Pool().get('party.address').__table__()
    cursor = Transaction().connection.cursor()
    result = {}
    # the street as typed (Tryton 8 keeps it in street_unstructured; a
    # street split into name and number is not matched)
    for streets in grouped_slice(sorted({s for s, _ in keys}), size):
        cursor.execute(*table.select(
                table.street_unstructured, table.city, table.latitude,
                table.longitude,
                where=Lower(table.street_unstructured).in_(list(streets))
                & (table.latitude != Null) & (table.longitude != Null),
                order_by=[table.id.desc]))
        for street, city, latitude, longitude in cursor:
            key = _key(street, city)
            if key in keys and key not in result:
                result[key] = (latitude, longitude)
    return result


def fill_known_coordinates(rows, places):
    """Give the rows (dicts of field values, as an import has them) the
    coordinates of the same address known in the database, for the places
    [(street, city, latitude, longitude) field names] that have none; no
    geocoder (an import of thousands of rows does not call a web service
    per row). Returns how many places got coordinates."""
    wanted = {}
    for row in rows:
        for street_name, city_name, lat_name, lon_name in places:
            if row.get(lat_name) is not None or row.get(lon_name) is not None:
                continue
            key = _key(row.get(street_name), row.get(city_name))
            if key[0] and key[1]:
                wanted.setdefault(key, []).append((row, lat_name, lon_name))
    found = known_coordinates_many(wanted)
    count = 0
    for key, (latitude, longitude) in found.items():
        for row, lat_name, lon_name in wanted[key]:
            row[lat_name] = round(latitude, 7)
            row[lon_name] = round(longitude, 7)
            count += 1
    return count


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
