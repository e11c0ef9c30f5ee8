# This file is part of the Delivery CRM for Tryton.
"""SMS text encoding and segmentation (3GPP TS 23.038), free of the ORM.

A text that uses only the GSM 03.38 default alphabet is sent as GSM-7:
160 septets in a single message, 153 per part of a concatenated one; the
characters of the extension table cost two septets. Any other character,
Georgian letters included, makes the whole text UCS-2: 70 UTF-16 code units
single, 67 per part; characters outside the Basic Multilingual Plane
(emoji) take two units and are never split across parts.
"""
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class Segmentation:
    encoding: str  # 'gsm7' or 'ucs2'
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: tuple  # the text of each part

    @property
    def count(self):
        return len(self.parts)


def is_gsm7(text):
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _unit_cost(char, encoding):
    if encoding == 'gsm7':
        return 2 if char in GSM7_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def segment(text):
    "Return the encoding and the parts in which text will be sent"
    encoding = 'gsm7' if is_gsm7(text) else 'ucs2'
    single, per_part = {
        'gsm7': (GSM7_SINGLE, GSM7_PART),
        'ucs2': (UCS2_SINGLE, UCS2_PART),
        }[encoding]
    costs = [_unit_cost(c, encoding) for c in text]
    units = sum(costs)
    if units <= single:
        return Segmentation(encoding, units, (text,) if text else ())
    parts, start, used = [], 0, 0
    for i, cost in enumerate(costs):
        # an escape pair or a surrogate pair is never cut in two
        if used + cost > per_part:
            parts.append(text[start:i])
            start, used = i, 0
        used += cost
    parts.append(text[start:])
    return Segmentation(encoding, units, tuple(parts))
