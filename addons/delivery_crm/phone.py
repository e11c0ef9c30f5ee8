# This file is part of the Delivery CRM for Tryton.
"""Phone numbers as people write them, normalised to E.164; free of the ORM.

"555 12 34 56", "0555123456", "+995 555-12-34-56", "00995 555 12 34 56" all
give +995555123456 when the region is GE.
"""
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True)
class Phone:
    e164: str
    international: str
    mobile: bool


def parse(value, region='GE'):
    """Return the Phone of value or None when it is not a valid number.

    The region applies to numbers written without the international prefix
    (with or without the national 0)."""
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return Phone(
        e164=phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.E164),
        international=phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        mobile=phonenumbers.number_type(number) in MOBILE_TYPES)
