# This file is part of the Delivery CRM for Tryton.
from trytond.model.exceptions import ValidationError


class CoordinatesError(ValidationError):
    pass
