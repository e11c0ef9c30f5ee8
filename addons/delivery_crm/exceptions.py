# This file is part of the Delivery CRM for Tryton.
from trytond.model.exceptions import ValidationError


class CoordinatesError(ValidationError):
    pass


class ContactError(ValidationError):
    pass


class RegistrationError(ValidationError):
    pass


class PhoneError(ValidationError):
    pass


class PlanError(ValidationError):
    pass


class TariffError(ValidationError):
    pass


class OrderError(ValidationError):
    pass


class InputError(ValidationError):
    "A value a client sent that the server does not store"
    pass
