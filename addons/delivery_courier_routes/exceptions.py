# This file is part of the Delivery CRM for Tryton.
from trytond.model.exceptions import ValidationError


class CourierValidationError(ValidationError):
    pass


class TripError(ValidationError):
    pass


class StopActionError(ValidationError):
    pass


class PlanningError(ValidationError):
    pass
