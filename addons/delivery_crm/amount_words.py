# This file is part of the Delivery CRM for Tryton.
"""Numbers and money amounts written out in words (Georgian and English).

Pure Python, no Tryton dependency, so that it can be used from reports and
tested on its own::

    >>> amount_in_words(Decimal('1234.56'), 'GEL', 'en')
    'one thousand two hundred thirty-four lari and fifty-six tetri'
    >>> amount_in_words(Decimal('1234.56'), 'GEL', 'ka')
    'ათას ორას ოცდათოთხმეტი ლარი და ორმოცდათექვსმეტი თეთრი'

Georgian numerals
-----------------

* 0-10 and 20, 100, million, billion are primitive words: ნული, ერთი, ორი,
  სამი, ოთხი, ხუთი, ექვსი, შვიდი, რვა, ცხრა, ათი; ოცი; ასი; მილიონი;
  მილიარდი.  All except რვა (8) and ცხრა (9) end in a stem vowel ი that is
  dropped in some positions (see below).
* 11-19 are "ten-UNIT-more": თერთმეტი ... ცხრამეტი (irregular enough to be
  listed rather than computed).
* 20-99 are vigesimal (counted in scores): 20 ოცი, 40 ორ-მ-ოცი, 60 სამოცი,
  80 ოთხმოცი.  Any other number is SCORE + და ("and") + a number 1-19,
  written as one word, the score losing its final ი: 21 ოცდაერთი,
  30 ოცდაათი (20 + 10), 35 ოცდათხუთმეტი (20 + 15), 50 ორმოცდაათი,
  99 ოთხმოცდაცხრამეტი (80 + 19).
* Hundreds join the unit stem directly to ას(ი), without the "m" of the
  scores: ასი, ორასი, სამასი ... რვაასი, ცხრაასი.  One hundred is just ასი
  (never "ერთი ასი").
* Thousands are counted with the separate word ათასი: 1000 ათასი (no ერთი),
  2000 ორი ათასი, 21000 ოცდაერთი ათასი, 100000 ასი ათასი.
* Millions and billions are counted the same way but one million is written
  "ერთი მილიონი" (likewise "ერთი მილიარდი"); both bare and "ერთი" forms
  occur in real texts, we use the explicit one.

Truncation: a word that ends the whole number keeps its final ი; when more
words follow it inside the same number it drops the ი:

* hundreds followed by tens/units: 101 ას ერთი, 999 ცხრაას ოთხმოცდაცხრამეტი;
* ათასი, მილიონი, მილიარდი followed by a smaller group: 1001 ათას ერთი,
  2500 ორი ათას ხუთასი, 1000001 ერთი მილიონ ერთი,
  3500000000 სამი მილიარდ ხუთასი მილიონი.

The count in front of a scale word is a complete number of its own and keeps
its ი even though the scale word follows: ორი ათასი, ასი ათასი (100000),
ხუთასი მილიონი, but ას ერთი ათასი (101000) because there the hundred is
followed by ერთი inside the count.

Nouns after Georgian numerals stay in the singular: ორი ლარი, ათასი ლარი.

English
-------

American style: short scale, no "and" inside a number ("one hundred one"),
tens and units hyphenated ("twenty-one").  In amounts "and" only joins the
main and the minor unit.
"""
import operator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = ['number_in_words', 'amount_in_words', 'MAX_NUMBER']

MAX_NUMBER = 999_999_999_999

# --------------------------------------------------------------------------
# Georgian
# --------------------------------------------------------------------------

_KA_BELOW_20 = [
    'ნული', 'ერთი', 'ორი', 'სამი', 'ოთხი', 'ხუთი', 'ექვსი', 'შვიდი', 'რვა',
    'ცხრა', 'ათი', 'თერთმეტი', 'თორმეტი', 'ცამეტი', 'თოთხმეტი', 'თხუთმეტი',
    'თექვსმეტი', 'ჩვიდმეტი', 'თვრამეტი', 'ცხრამეტი',
    ]
# Index = number of scores (20, 40, 60, 80)
_KA_SCORES = [None, 'ოცი', 'ორმოცი', 'სამოცი', 'ოთხმოცი']
_KA_HUNDRED = 'ასი'
# 800 and 900 are written here რვაასი and ცხრაასი (stem + ასი with both
# vowels), the form used by num2words' Georgian tests and by Georgian
# learning material.  Contracted რვასი / ცხრასი also appear in some
# sources (e.g. the Portuguese Wikibooks "Georgiano/Numerais" table).
# (value, word) from the largest scale down.  Truncating მილიონი/მილიარდი
# before a smaller group ("ერთი მილიონ ერთი") follows current num2words'
# Georgian tests and the npm package number-to-georgian-text; an older
# num2words version kept the full form ("ერთი მილიარდი ორას ... მილიონი"),
# which is also seen in print.
_KA_SCALES = [
    (1_000_000_000, 'მილიარდი'),
    (1_000_000, 'მილიონი'),
    (1_000, 'ათასი'),
    ]
_KA_AND = 'და'
_KA_MINUS = 'მინუს'


def _ka_truncate(word):
    "Drop the final stem vowel ი (რვა and ცხრა have none and stay as is)"
    return word[:-1] if word.endswith('ი') else word


def _ka_below_100(number):
    assert 0 <= number < 100
    if number < 20:
        return _KA_BELOW_20[number]
    scores, rest = divmod(number, 20)
    if not rest:
        return _KA_SCORES[scores]
    # ოცი + და + ერთი -> ოცდაერთი, written as one word
    return _ka_truncate(_KA_SCORES[scores]) + _KA_AND + _KA_BELOW_20[rest]


def _ka_below_1000(number):
    "Words for 1..999 (a group never says ნული)"
    assert 0 < number < 1000
    hundreds, rest = divmod(number, 100)
    words = []
    if hundreds:
        # ორ + ასი -> ორასი, რვა + ასი -> რვაასი; one hundred is just ასი
        stem = '' if hundreds == 1 else _ka_truncate(_KA_BELOW_20[hundreds])
        word = stem + _KA_HUNDRED
        words.append(_ka_truncate(word) if rest else word)
    if rest:
        words.append(_ka_below_100(rest))
    return words


def _ka_number(number):
    if number == 0:
        return _KA_BELOW_20[0]
    words = []
    for value, scale_word in _KA_SCALES:
        count, number = divmod(number, value)
        if not count:
            continue
        if count > 1 or value > 1000:
            # "ათასი" alone is 1000, but "ერთი მილიონი", "ერთი მილიარდი"
            words.extend(_ka_below_1000(count))
        # The scale word keeps its ი only when it ends the number
        words.append(_ka_truncate(scale_word) if number else scale_word)
    if number:
        words.extend(_ka_below_1000(number))
    return ' '.join(words)


# --------------------------------------------------------------------------
# English
# --------------------------------------------------------------------------

_EN_BELOW_20 = [
    'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight',
    'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen',
    'sixteen', 'seventeen', 'eighteen', 'nineteen',
    ]
_EN_TENS = [
    None, None, 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy',
    'eighty', 'ninety',
    ]
_EN_SCALES = [
    (1_000_000_000, 'billion'),
    (1_000_000, 'million'),
    (1_000, 'thousand'),
    ]
_EN_MINUS = 'minus'


def _en_below_1000(number):
    assert 0 < number < 1000
    hundreds, rest = divmod(number, 100)
    words = []
    if hundreds:
        words.extend([_EN_BELOW_20[hundreds], 'hundred'])
    if rest:
        if rest < 20:
            words.append(_EN_BELOW_20[rest])
        else:
            tens, units = divmod(rest, 10)
            if units:
                words.append(f'{_EN_TENS[tens]}-{_EN_BELOW_20[units]}')
            else:
                words.append(_EN_TENS[tens])
    return words


def _en_number(number):
    if number == 0:
        return _EN_BELOW_20[0]
    words = []
    for value, scale_word in _EN_SCALES:
        count, number = divmod(number, value)
        if count:
            words.extend(_en_below_1000(count))
            words.append(scale_word)
    if number:
        words.extend(_en_below_1000(number))
    return ' '.join(words)


# --------------------------------------------------------------------------
# Currencies
# --------------------------------------------------------------------------

# code: (main singular, main plural, minor singular, minor plural)
_EN_CURRENCIES = {
    # lari and tetri are invariable in English usage
    'GEL': ('lari', 'lari', 'tetri', 'tetri'),
    'USD': ('dollar', 'dollars', 'cent', 'cents'),
    'EUR': ('euro', 'euros', 'cent', 'cents'),
    }
# code: (main, minor); Georgian nouns stay singular after numerals
_KA_CURRENCIES = {
    'GEL': ('ლარი', 'თეთრი'),
    'USD': ('დოლარი', 'ცენტი'),
    'EUR': ('ევრო', 'ცენტი'),
    }
_EN_UNKNOWN_MINOR = ('hundredth', 'hundredths')
_KA_UNKNOWN_MINOR = 'მეასედი'

_LANGUAGES = {
    'en': _en_number,
    'ka': _ka_number,
    }
_CENT = Decimal('0.01')


def _language(lang):
    """Reduce a language or locale code ('ka_GE', 'en-US', 'KA') to a
    supported two-letter code, English when unknown"""
    code = str(lang or '')[:2].lower()
    return code if code in _LANGUAGES else 'en'


def _check_number(number):
    # ValueError rather than TypeError so that callers have a single
    # exception to handle for any input that cannot be written in words
    if isinstance(number, bool):
        raise ValueError(f"Expected an integer, got a boolean: {number!r}")
    try:
        number = operator.index(number)
    except TypeError:
        raise ValueError(
            f"Expected an integer, got {type(number).__name__}: {number!r}")
    if number < 0:
        raise ValueError(
            f"Cannot write a negative number in words: {number}")
    if number > MAX_NUMBER:
        raise ValueError(
            f"Cannot write a number larger than {MAX_NUMBER:,} in words: "
            f"{number:,}")
    return number


def number_in_words(number, lang='en'):
    """Return the integer 0 <= number <= 999,999,999,999 written in words.

    lang is 'ka' (Georgian) or 'en' (English); a locale such as 'ka_GE' is
    reduced to its language and any unknown language falls back to English.

    Raise ValueError for a negative or too large number and for anything
    that is not an integer (floats and Decimals included).
    """
    number = _check_number(number)
    return _LANGUAGES[_language(lang)](number)


def _to_decimal(amount):
    if isinstance(amount, bool):
        raise ValueError(f"Not a numeric amount: {amount!r}")
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, int):
        value = Decimal(amount)
    elif isinstance(amount, float):
        # Through str() so that 2.675 is taken as written, not as its binary
        # approximation 2.67499999...
        value = Decimal(str(amount))
    elif isinstance(amount, str):
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise ValueError(f"Not a numeric amount: {amount!r}")
    else:
        raise ValueError(
            f"Not a numeric amount ({type(amount).__name__}): {amount!r}")
    if not value.is_finite():
        raise ValueError(f"Not a finite amount: {amount!r}")
    return value


def amount_in_words(amount, currency='GEL', lang='en'):
    """Return a money amount in words, the minor unit written out too.

    The amount (Decimal, int, float or numeric string) is rounded to 2
    decimals (ROUND_HALF_UP, i.e. half away from zero) and always written
    with its minor part, even when zero, so that a printed document is
    unambiguous:

    * en: "two dollars and one cent", "one lari and zero tetri"
    * ka: "ორი ლარი და ნული თეთრი"

    A negative amount is prefixed with "minus" / "მინუს".  An unknown currency
    code is used as the unit itself with hundredths ("მეასედი") as minor
    unit.  Raise ValueError for a non-numeric or non-finite amount and for an
    absolute amount of 10**12 or more.
    """
    lang = _language(lang)
    code = str(currency or '').strip().upper()
    if not code:
        raise ValueError("A currency code is required")
    value = _to_decimal(amount)
    try:
        value = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        # quantize fails when the result has too many digits for the context
        raise ValueError(f"Amount too large to write in words: {amount!r}")
    negative = value < 0
    main, minor = divmod(int(abs(value) * 100), 100)
    if main > MAX_NUMBER:
        raise ValueError(
            f"Cannot write an amount larger than {MAX_NUMBER:,} in words: "
            f"{amount!r}")
    to_words = _LANGUAGES[lang]

    if lang == 'ka':
        main_unit, minor_unit = _KA_CURRENCIES.get(
            code, (code, _KA_UNKNOWN_MINOR))
        words = [
            to_words(main), main_unit, _KA_AND, to_words(minor), minor_unit]
        minus = _KA_MINUS
    else:
        if code in _EN_CURRENCIES:
            main_one, main_many, minor_one, minor_many = _EN_CURRENCIES[code]
        else:
            main_one = main_many = code
            minor_one, minor_many = _EN_UNKNOWN_MINOR
        words = [
            to_words(main), main_one if main == 1 else main_many,
            'and',
            to_words(minor), minor_one if minor == 1 else minor_many]
        minus = _EN_MINUS
    # An amount that rounds to zero (e.g. -0.001) gets no sign
    if negative and (main or minor):
        words.insert(0, minus)
    return ' '.join(words)
