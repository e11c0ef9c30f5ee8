# This file is part of the Delivery CRM for Tryton.
"""The keywords of an SMS reply, free of the ORM.

A reply that is a stop keyword (English or Georgian, any case, with or
without punctuation around it) blocks the number for marketing; a start
keyword records a new opt-in. Anything else is a customer writing to us.
"""
import re
import unicodedata

STOP = 'stop'
START = 'start'

KEYWORDS = {
    STOP: {
        'stop', 'stopall', 'unsubscribe', 'end', 'cancel', 'quit',
        'optout', 'opt out', 'opt-out',
        # Georgian: "stop" written in Georgian letters, "stop it", "cancel",
        # "unsubscribe"
        'სტოპ', 'შეწყვეტა', 'შეწყვიტეთ', 'გაუქმება', 'გამოწერის გაუქმება',
        'გამოწერა გაუქმება',
        },
    START: {
        'start', 'unstop', 'subscribe',
        'სტარტ', 'დაწყება', 'გამოწერა',
        },
    }
_EDGES = re.compile(r'^[\W_]+|[\W_]+$')
_SPACES = re.compile(r'\s+')


def normalise(text):
    "text folded for comparison: NFC, case folded, spaces collapsed"
    text = unicodedata.normalize('NFC', text or '').casefold()
    text = _EDGES.sub('', text.strip())
    return _SPACES.sub(' ', text)


def classify(text):
    """STOP, START or None for the text of a reply: the whole text must be
    the keyword ("STOP", "Stop.", " სტოპ! ") so that "don't stop my
    parcel" is read by a person"""
    word = normalise(text)
    for kind, words in KEYWORDS.items():
        if word in words:
            return kind
    return None
