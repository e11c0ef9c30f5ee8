# This file is part of the Delivery CRM for Tryton.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class GatewayConfigurationError(UserError):
    "A gateway whose configuration section is missing or incomplete"
    pass


class FallbackError(ValidationError):
    "A gateway whose fallback chain leads back to it"
    pass


class TemplateTextError(ValidationError):
    "A template text with an unknown placeholder or a lone brace"
    pass


class SendError(UserError):
    "A message that cannot be sent as asked"
    pass
