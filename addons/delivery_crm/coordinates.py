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
