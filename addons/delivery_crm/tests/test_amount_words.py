# This file is part of the Delivery CRM for Tryton.
import unittest
from decimal import Decimal

from trytond.modules.delivery_crm.amount_words import (
    MAX_NUMBER, amount_in_words, number_in_words)


def ka(number):
    return number_in_words(number, 'ka')


def en(number):
    return number_in_words(number, 'en')


class GeorgianNumberTestCase(unittest.TestCase):
    "Georgian numerals"

    def assertWords(self, cases):
        for number, words in cases:
            with self.subTest(number=number):
                self.assertEqual(ka(number), words)

    def test_0_to_20(self):
        self.assertWords([
                (0, 'ნული'),
                (1, 'ერთი'),
                (2, 'ორი'),
                (3, 'სამი'),
                (4, 'ოთხი'),
                (5, 'ხუთი'),
                (6, 'ექვსი'),
                (7, 'შვიდი'),
                (8, 'რვა'),
                (9, 'ცხრა'),
                (10, 'ათი'),
                (11, 'თერთმეტი'),
                (12, 'თორმეტი'),
                (13, 'ცამეტი'),
                (14, 'თოთხმეტი'),
                (15, 'თხუთმეტი'),
                (16, 'თექვსმეტი'),
                (17, 'ჩვიდმეტი'),
                (18, 'თვრამეტი'),
                (19, 'ცხრამეტი'),
                (20, 'ოცი'),
                ])

    def test_scores(self):
        self.assertWords([
                (20, 'ოცი'),
                (40, 'ორმოცი'),
                (60, 'სამოცი'),
                (80, 'ოთხმოცი'),
                ])

    def test_round_tens(self):
        "30, 50, 70, 90 are score + და + ათი"
        self.assertWords([
                (30, 'ოცდაათი'),
                (50, 'ორმოცდაათი'),
                (70, 'სამოცდაათი'),
                (90, 'ოთხმოცდაათი'),
                ])

    def test_score_and_units(self):
        self.assertWords([
                (21, 'ოცდაერთი'),
                (28, 'ოცდარვა'),
                (29, 'ოცდაცხრა'),
                (30, 'ოცდაათი'),
                (31, 'ოცდათერთმეტი'),
                (35, 'ოცდათხუთმეტი'),
                (39, 'ოცდაცხრამეტი'),
                (41, 'ორმოცდაერთი'),
                (50, 'ორმოცდაათი'),
                (55, 'ორმოცდათხუთმეტი'),
                (61, 'სამოცდაერთი'),
                (77, 'სამოცდაჩვიდმეტი'),
                (88, 'ოთხმოცდარვა'),
                (99, 'ოთხმოცდაცხრამეტი'),
                ])

    def test_below_100_is_one_word(self):
        for number in range(100):
            with self.subTest(number=number):
                self.assertNotIn(' ', ka(number))

    def test_hundreds(self):
        self.assertWords([
                (100, 'ასი'),
                (101, 'ას ერთი'),
                (110, 'ას ათი'),
                (120, 'ას ოცი'),
                (150, 'ას ორმოცდაათი'),
                (200, 'ორასი'),
                (300, 'სამასი'),
                (400, 'ოთხასი'),
                (500, 'ხუთასი'),
                (600, 'ექვსასი'),
                (700, 'შვიდასი'),
                (800, 'რვაასი'),
                (900, 'ცხრაასი'),
                (242, 'ორას ორმოცდაორი'),
                (808, 'რვაას რვა'),
                (999, 'ცხრაას ოთხმოცდაცხრამეტი'),
                ])

    def test_thousands(self):
        self.assertWords([
                (1000, 'ათასი'),
                (1001, 'ათას ერთი'),
                (1100, 'ათას ასი'),
                (1234, 'ათას ორას ოცდათოთხმეტი'),
                (2000, 'ორი ათასი'),
                (2026, 'ორი ათას ოცდაექვსი'),
                (2500, 'ორი ათას ხუთასი'),
                (8000, 'რვა ათასი'),
                (10000, 'ათი ათასი'),
                (21000, 'ოცდაერთი ათასი'),
                (100000, 'ასი ათასი'),
                (101000, 'ას ერთი ათასი'),
                (130000, 'ას ოცდაათი ათასი'),
                (200000, 'ორასი ათასი'),
                (700055, 'შვიდასი ათას ორმოცდათხუთმეტი'),
                (999999,
                    'ცხრაას ოთხმოცდაცხრამეტი ათას '
                    'ცხრაას ოთხმოცდაცხრამეტი'),
                ])

    def test_millions(self):
        self.assertWords([
                (1_000_000, 'ერთი მილიონი'),
                (1_000_001, 'ერთი მილიონ ერთი'),
                (1_001_000, 'ერთი მილიონ ათასი'),
                (1_001_001, 'ერთი მილიონ ათას ერთი'),
                (2_000_000, 'ორი მილიონი'),
                (1_500_000, 'ერთი მილიონ ხუთასი ათასი'),
                (100_000_000, 'ასი მილიონი'),
                (1_234_567,
                    'ერთი მილიონ ორას ოცდათოთხმეტი ათას ხუთას სამოცდაშვიდი'),
                ])

    def test_billions(self):
        self.assertWords([
                (1_000_000_000, 'ერთი მილიარდი'),
                (1_000_000_001, 'ერთი მილიარდ ერთი'),
                (1_000_001_000, 'ერთი მილიარდ ათასი'),
                (2_000_000_000, 'ორი მილიარდი'),
                (3_500_000_000, 'სამი მილიარდ ხუთასი მილიონი'),
                (1_234_567_890,
                    'ერთი მილიარდ ორას ოცდათოთხმეტი მილიონ '
                    'ხუთას სამოცდაშვიდი ათას რვაას ოთხმოცდაათი'),
                (999_999_999_999,
                    'ცხრაას ოთხმოცდაცხრამეტი მილიარდ '
                    'ცხრაას ოთხმოცდაცხრამეტი მილიონ '
                    'ცხრაას ოთხმოცდაცხრამეტი ათას '
                    'ცხრაას ოთხმოცდაცხრამეტი'),
                ])

    def test_truncation_only_before_more_words(self):
        "A hundred or scale word keeps its ი only at the end of its group"
        full_scales = {'ათასი', 'მილიონი', 'მილიარდი'}
        scales = full_scales | {'ათას', 'მილიონ', 'მილიარდ'}
        for number in [
                101, 999, 1001, 2500, 100000, 101000, 200200, 999999,
                1_000_001, 3_500_000_000, 999_999_999_999]:
            words = ka(number).split()
            for word, following in zip(words, words[1:]):
                with self.subTest(number=number, word=word):
                    # a scale word is never followed by another one
                    self.assertNotIn(word, full_scales)
                    if word.endswith('ასი') and word != 'ათასი':
                        # a full hundred is only the count of a scale word
                        self.assertIn(following, scales)

    def test_locale_code(self):
        self.assertEqual(number_in_words(21, 'ka_GE'), 'ოცდაერთი')
        self.assertEqual(number_in_words(21, 'ka-GE'), 'ოცდაერთი')
        self.assertEqual(number_in_words(21, 'KA'), 'ოცდაერთი')


class EnglishNumberTestCase(unittest.TestCase):
    "English numerals"

    def test_numbers(self):
        for number, words in [
                (0, 'zero'),
                (1, 'one'),
                (8, 'eight'),
                (11, 'eleven'),
                (15, 'fifteen'),
                (19, 'nineteen'),
                (20, 'twenty'),
                (21, 'twenty-one'),
                (30, 'thirty'),
                (35, 'thirty-five'),
                (40, 'forty'),
                (50, 'fifty'),
                (77, 'seventy-seven'),
                (80, 'eighty'),
                (99, 'ninety-nine'),
                (100, 'one hundred'),
                (101, 'one hundred one'),
                (120, 'one hundred twenty'),
                (999, 'nine hundred ninety-nine'),
                (1000, 'one thousand'),
                (1001, 'one thousand one'),
                (1100, 'one thousand one hundred'),
                (2500, 'two thousand five hundred'),
                (21000, 'twenty-one thousand'),
                (100000, 'one hundred thousand'),
                (101000, 'one hundred one thousand'),
                (999999,
                    'nine hundred ninety-nine thousand '
                    'nine hundred ninety-nine'),
                (1_000_000, 'one million'),
                (1_000_001, 'one million one'),
                (2_000_000, 'two million'),
                (1_000_000_000, 'one billion'),
                (3_500_000_000, 'three billion five hundred million'),
                (999_999_999_999,
                    'nine hundred ninety-nine billion '
                    'nine hundred ninety-nine million '
                    'nine hundred ninety-nine thousand '
                    'nine hundred ninety-nine'),
                ]:
            with self.subTest(number=number):
                self.assertEqual(en(number), words)

    def test_default_and_fallback_language(self):
        self.assertEqual(number_in_words(42), 'forty-two')
        self.assertEqual(number_in_words(42, 'en_US'), 'forty-two')
        self.assertEqual(number_in_words(42, 'fr'), 'forty-two')
        self.assertEqual(number_in_words(42, 'fr_FR'), 'forty-two')
        self.assertEqual(number_in_words(42, ''), 'forty-two')
        self.assertEqual(number_in_words(42, None), 'forty-two')


class NumberInputTestCase(unittest.TestCase):
    "number_in_words input checks"

    def test_limits(self):
        self.assertEqual(MAX_NUMBER, 999_999_999_999)
        for lang in ['en', 'ka']:
            with self.subTest(lang=lang):
                self.assertTrue(number_in_words(MAX_NUMBER, lang))
                with self.assertRaises(ValueError):
                    number_in_words(MAX_NUMBER + 1, lang)
                with self.assertRaises(ValueError):
                    number_in_words(10 ** 12, lang)
                with self.assertRaises(ValueError):
                    number_in_words(-1, lang)

    def test_not_integer(self):
        for value in [1.5, 1e12, 3.0, Decimal('3'), '3', None, True]:
            with self.subTest(value=value):
                with self.assertRaises(ValueError):
                    number_in_words(value)

    def test_error_message(self):
        with self.assertRaisesRegex(ValueError, 'negative'):
            number_in_words(-1)
        with self.assertRaisesRegex(ValueError, 'larger than'):
            number_in_words(10 ** 12)


class AmountInWordsTestCase(unittest.TestCase):
    "amount_in_words"

    def assertAmounts(self, cases):
        for amount, currency, lang, words in cases:
            with self.subTest(amount=amount, currency=currency, lang=lang):
                self.assertEqual(
                    amount_in_words(amount, currency, lang), words)

    def test_gel_en(self):
        self.assertAmounts([
                (Decimal('1234.56'), 'GEL', 'en',
                    'one thousand two hundred thirty-four lari '
                    'and fifty-six tetri'),
                (Decimal('0.01'), 'GEL', 'en', 'zero lari and one tetri'),
                (Decimal('1.00'), 'GEL', 'en', 'one lari and zero tetri'),
                (Decimal('2.02'), 'GEL', 'en', 'two lari and two tetri'),
                (0, 'GEL', 'en', 'zero lari and zero tetri'),
                ])

    def test_gel_ka(self):
        self.assertAmounts([
                (Decimal('1234.56'), 'GEL', 'ka',
                    'ათას ორას ოცდათოთხმეტი ლარი და ორმოცდათექვსმეტი თეთრი'),
                (Decimal('0.01'), 'GEL', 'ka', 'ნული ლარი და ერთი თეთრი'),
                (Decimal('1.00'), 'GEL', 'ka', 'ერთი ლარი და ნული თეთრი'),
                (Decimal('2.00'), 'GEL', 'ka', 'ორი ლარი და ნული თეთრი'),
                (Decimal('1000'), 'GEL', 'ka', 'ათასი ლარი და ნული თეთრი'),
                (Decimal('1500000.50'), 'GEL', 'ka',
                    'ერთი მილიონ ხუთასი ათასი ლარი და ორმოცდაათი თეთრი'),
                ])

    def test_usd(self):
        self.assertAmounts([
                (Decimal('1.00'), 'USD', 'en', 'one dollar and zero cents'),
                (Decimal('2.01'), 'USD', 'en', 'two dollars and one cent'),
                (Decimal('0.01'), 'USD', 'en', 'zero dollars and one cent'),
                (Decimal('1234.56'), 'USD', 'en',
                    'one thousand two hundred thirty-four dollars '
                    'and fifty-six cents'),
                (Decimal('1.00'), 'USD', 'ka', 'ერთი დოლარი და ნული ცენტი'),
                (Decimal('2.01'), 'USD', 'ka', 'ორი დოლარი და ერთი ცენტი'),
                (Decimal('1234.56'), 'USD', 'ka',
                    'ათას ორას ოცდათოთხმეტი დოლარი და '
                    'ორმოცდათექვსმეტი ცენტი'),
                ])

    def test_eur(self):
        self.assertAmounts([
                (Decimal('1.00'), 'EUR', 'en', 'one euro and zero cents'),
                (Decimal('2.01'), 'EUR', 'en', 'two euros and one cent'),
                (Decimal('0.01'), 'EUR', 'en', 'zero euros and one cent'),
                (Decimal('1234.56'), 'EUR', 'en',
                    'one thousand two hundred thirty-four euros '
                    'and fifty-six cents'),
                (Decimal('1.00'), 'EUR', 'ka', 'ერთი ევრო და ნული ცენტი'),
                (Decimal('0.01'), 'EUR', 'ka', 'ნული ევრო და ერთი ცენტი'),
                (Decimal('1234.56'), 'EUR', 'ka',
                    'ათას ორას ოცდათოთხმეტი ევრო და ორმოცდათექვსმეტი ცენტი'),
                ])

    def test_defaults(self):
        self.assertEqual(amount_in_words(1), 'one lari and zero tetri')
        self.assertEqual(
            amount_in_words(1, lang='ka'), 'ერთი ლარი და ნული თეთრი')

    def test_currency_code_case(self):
        self.assertEqual(
            amount_in_words(2, 'usd'), 'two dollars and zero cents')

    def test_unknown_currency(self):
        self.assertAmounts([
                (1, 'XYZ', 'en', 'one XYZ and zero hundredths'),
                (Decimal('2.01'), 'XYZ', 'en', 'two XYZ and one hundredth'),
                (1, 'XYZ', 'ka', 'ერთი XYZ და ნული მეასედი'),
                ])

    def test_unknown_language(self):
        self.assertAmounts([
                (Decimal('2.01'), 'USD', 'de', 'two dollars and one cent'),
                (Decimal('2.01'), 'USD', 'en_US', 'two dollars and one cent'),
                (Decimal('2.01'), 'USD', 'ka_GE', 'ორი დოლარი და ერთი ცენტი'),
                ])

    def test_rounding(self):
        self.assertAmounts([
                (Decimal('2.675'), 'GEL', 'en',
                    'two lari and sixty-eight tetri'),
                (Decimal('2.674'), 'GEL', 'en',
                    'two lari and sixty-seven tetri'),
                (Decimal('0.005'), 'GEL', 'en', 'zero lari and one tetri'),
                (Decimal('0.999'), 'USD', 'en', 'one dollar and zero cents'),
                (Decimal('-2.675'), 'GEL', 'en',
                    'minus two lari and sixty-eight tetri'),
                ])

    def test_input_types(self):
        expected = 'two lari and sixty-eight tetri'
        self.assertAmounts([
                (Decimal('2.675'), 'GEL', 'en', expected),
                (2.675, 'GEL', 'en', expected),  # binary 2.67499...
                ('2.675', 'GEL', 'en', expected),
                (' 2.68 ', 'GEL', 'en', expected),
                (2, 'GEL', 'en', 'two lari and zero tetri'),
                ('1e3', 'GEL', 'en', 'one thousand lari and zero tetri'),
                ])

    def test_negative(self):
        self.assertAmounts([
                (Decimal('-1234.56'), 'GEL', 'en',
                    'minus one thousand two hundred thirty-four lari '
                    'and fifty-six tetri'),
                (Decimal('-1234.56'), 'GEL', 'ka',
                    'მინუს ათას ორას ოცდათოთხმეტი ლარი და '
                    'ორმოცდათექვსმეტი თეთრი'),
                (Decimal('-0.01'), 'USD', 'en',
                    'minus zero dollars and one cent'),
                (-1, 'EUR', 'ka', 'მინუს ერთი ევრო და ნული ცენტი'),
                # Rounds to zero: no sign
                (Decimal('-0.004'), 'GEL', 'en', 'zero lari and zero tetri'),
                (Decimal('-0'), 'GEL', 'ka', 'ნული ლარი და ნული თეთრი'),
                ])

    def test_limits(self):
        self.assertEqual(
            amount_in_words(Decimal('999999999999.99'), 'USD', 'en'),
            'nine hundred ninety-nine billion nine hundred ninety-nine '
            'million nine hundred ninety-nine thousand nine hundred '
            'ninety-nine dollars and ninety-nine cents')
        for amount in [
                Decimal('1e12'), 1e12, -1e12, '1000000000000',
                Decimal('999999999999.995'), Decimal('1e40')]:
            with self.subTest(amount=amount):
                with self.assertRaises(ValueError):
                    amount_in_words(amount)

    def test_bad_input(self):
        for amount in [
                'abc', '', '1,234.56', '12 GEL', 'nan', 'NaN', 'inf',
                float('inf'), float('nan'), Decimal('Infinity'), None,
                True, [1]]:
            with self.subTest(amount=amount):
                with self.assertRaises(ValueError):
                    amount_in_words(amount)

    def test_missing_currency(self):
        for currency in ['', None, '  ']:
            with self.subTest(currency=currency):
                with self.assertRaises(ValueError):
                    amount_in_words(1, currency)
