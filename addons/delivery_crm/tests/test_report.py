# This file is part of the Delivery CRM for Tryton.
import io
import os
import unittest
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import barcode
from genshi.core import Markup
from genshi.filters import Translator
from genshi.template import MarkupTemplate

import trytond.config as config
from trytond.modules.delivery_crm.report import (
    DEFAULT_PUBLIC_URL, absolute_url, barcode_svg, html_empty_elements,
    public_url, qr_svg, route_codes)

SVG = '{http://www.w3.org/2000/svg}'
XML_LANG = '{http://www.w3.org/XML/1998/namespace}lang'
MODULE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = ['waybill.html', 'manifest.html', 'invoice.html']
URL = 'http://localhost:8000/test/delivery/track/Qx7_kP2mZl0aB9cD3eF4gH5i'
# Code 128 patterns (1: bar module, 0: space module)
START_C = '11010011100'
STOP = '1100011101011'


def mm(value):
    assert value.endswith('mm'), value
    return float(value[:-2])


class SvgAssertions:

    def assertInlineSvg(self, svg):
        "svg is an <svg> element without prolog that genshi does not escape"
        self.assertIsInstance(svg, str)
        self.assertIsInstance(svg, Markup)
        self.assertTrue(svg.startswith('<svg'), svg[:40])
        self.assertIn('<svg', svg)
        self.assertNotIn('<?xml', svg)
        self.assertNotIn('<!DOCTYPE', svg)
        self.assertNotIn('<!--', svg)
        root = ET.fromstring(svg)  # well-formed
        self.assertEqual(root.tag, SVG + 'svg')
        return root


class QrSvgTestCase(SvgAssertions, unittest.TestCase):
    "QR code as inline SVG"

    def test_valid_svg(self):
        root = self.assertInlineSvg(qr_svg(URL))
        paths = root.findall(SVG + 'path')
        self.assertEqual(len(paths), 1)
        self.assertTrue(paths[0].get('d'))

    def test_size(self):
        for size in [20, 30, 45]:
            with self.subTest(size=size):
                root = ET.fromstring(qr_svg(URL, size=size))
                self.assertAlmostEqual(mm(root.get('width')), size, 2)
                self.assertAlmostEqual(mm(root.get('height')), size, 2)
                self.assertTrue(root.get('viewBox'))

    def test_content_depends_on_text(self):
        self.assertEqual(qr_svg(URL), qr_svg(URL))
        self.assertNotEqual(qr_svg(URL), qr_svg(URL + 'x'))

    def test_georgian_text(self):
        self.assertInlineSvg(qr_svg('თბილისი, რუსთაველის გამზ. 1'))


class BarcodeSvgTestCase(SvgAssertions, unittest.TestCase):
    "Code 128 as inline SVG"

    def modules(self, svg, module_width):
        "The bar (1) and space (0) modules drawn by the SVG"
        root = ET.fromstring(svg)
        bars = []
        for rect in root.iter(SVG + 'rect'):
            if 'fill:black' in (rect.get('style') or ''):
                bars.append((mm(rect.get('x')), mm(rect.get('width'))))
        bars.sort()
        start = bars[0][0]
        end = bars[-1][0] + bars[-1][1]
        modules = ['0'] * round((end - start) / module_width)
        for x, width in bars:
            first = round((x - start) / module_width)
            for i in range(first, first + round(width / module_width)):
                modules[i] = '1'
        return ''.join(modules)

    def test_valid_svg(self):
        root = self.assertInlineSvg(barcode_svg('0000000018'))
        self.assertGreater(len(list(root.iter(SVG + 'rect'))), 10)
        self.assertNotIn('id=', barcode_svg('0000000018'))

    def test_no_text(self):
        root = ET.fromstring(barcode_svg('0000000018'))
        self.assertEqual(list(root.iter(SVG + 'text')), [])

    def test_encodes_code128(self):
        for text in ['0000000018', '1234567897', 'TBS-BAT-12']:
            with self.subTest(text=text):
                drawn = self.modules(barcode_svg(text, module_width=0.3), 0.3)
                expected = barcode.get('code128', text).build()[0]
                self.assertEqual(drawn, expected)
                self.assertTrue(drawn.endswith(STOP))
        self.assertTrue(self.modules(
                barcode_svg('0000000018', module_width=0.3), 0.3
                ).startswith(START_C))

    def test_size(self):
        root = ET.fromstring(barcode_svg(
                '0000000018', module_width=0.3, height=12, quiet_zone=3))
        # start C, 5 digit pairs, check symbol: 7 x 11 modules, stop 13
        self.assertAlmostEqual(mm(root.get('width')), 3 + 90 * 0.3 + 3, 2)
        self.assertGreaterEqual(mm(root.get('height')), 12)


class TemplateTestCase(unittest.TestCase):
    "The SVG helpers inside a translated genshi report template"

    def render(self, body, **values):
        template = MarkupTemplate(
            '<html xmlns:py="http://genshi.edgewall.org/"><body>'
            + body + '</body></html>')
        # as trytond does for translatable reports
        template.filters.append(Translator(lambda text: text))
        return template.generate(
            qr_svg=qr_svg, barcode_svg=barcode_svg, url=URL, **values
            ).render(method='xml', encoding='utf-8').decode('utf-8')

    def test_user_text_is_escaped(self):
        "What users typed (names, notes, streets) is text, never markup"
        typed = '<script>alert(1)</script><b onclick="x()">Nino</b>'
        html = self.render('<div xml:lang="en">${name}</div>', name=typed)
        self.assertNotIn('<script', html)
        self.assertNotIn('<b ', html)
        self.assertIn('&lt;script&gt;', html)
        # the templates never mark a value as markup themselves
        for name in TEMPLATES:
            with open(os.path.join(MODULE, name), encoding='utf-8') as fp:
                self.assertNotIn('Markup', fp.read(), name)

    def test_xml_lang_keeps_svg(self):
        html = self.render(
            '<div xml:lang="en">${qr_svg(url)}${barcode_svg("12")}</div>')
        self.assertEqual(html.count('<svg'), 2)
        self.assertNotIn('&lt;svg', html)

    def test_translation_escapes_svg(self):
        "Why the templates wrap the SVG in an element with xml:lang"
        html = self.render('<div>${qr_svg(url)}</div>')
        self.assertIn('&lt;svg', html)


class WeasyPrintTestCase(unittest.TestCase):
    "The inline SVG renders in a PDF"

    def test_pdf(self):
        import weasyprint
        from pypdf import PdfReader
        html = (
            '<html><body><p>Tracking 0000000018</p>'
            '<div>%s</div><div>%s</div></body></html>' % (
                qr_svg(URL), barcode_svg('0000000018')))
        pdf = weasyprint.HTML(string=html).write_pdf()
        reader = PdfReader(io.BytesIO(pdf))
        self.assertEqual(len(reader.pages), 1)
        self.assertIn('0000000018', reader.pages[0].extract_text())
        content = reader.pages[0].get_contents().get_data()
        # the bars are filled rectangles, the QR code a stroked path
        self.assertGreater(content.count(b' re'), 20)


class UrlTestCase(unittest.TestCase):
    "Absolute tracking URL"

    def setUp(self):
        self.addCleanup(self.restore, config.get(
                'delivery_crm', 'public_url'))

    def restore(self, value):
        if value is None:
            if config.has_section('delivery_crm'):
                config.remove_section('delivery_crm')
                config._cache_clear()
        else:
            config.set('delivery_crm', 'public_url', value)

    def set_url(self, value):
        if not config.has_section('delivery_crm'):
            config.add_section('delivery_crm')
        config.set('delivery_crm', 'public_url', value)

    def test_default(self):
        self.restore(None)
        self.assertEqual(public_url(), DEFAULT_PUBLIC_URL)
        self.assertEqual(
            absolute_url('/db/delivery/track/abc'),
            'http://localhost:8000/db/delivery/track/abc')

    def test_configured_trailing_slash(self):
        self.set_url('https://track.example.com/')
        self.assertEqual(public_url(), 'https://track.example.com')
        self.assertEqual(
            absolute_url('/db/delivery/track/abc'),
            'https://track.example.com/db/delivery/track/abc')

    def test_configured_with_path(self):
        self.set_url('https://example.com/crm//')
        self.assertEqual(
            absolute_url('/db/delivery/track/abc'),
            'https://example.com/crm/db/delivery/track/abc')

    def test_empty_and_absolute(self):
        self.assertEqual(absolute_url(None), '')
        self.assertEqual(absolute_url(''), '')
        self.assertEqual(
            absolute_url('https://x.example/t/1'), 'https://x.example/t/1')


class RouteTestCase(unittest.TestCase):
    "Hub codes of the legs"

    def leg(self, sequence, kind, from_hub=None, to_hub=None):
        hub = lambda c: SimpleNamespace(code=c) if c else None  # noqa: E731
        return SimpleNamespace(id=sequence, sequence=sequence, kind=kind,
            from_hub=hub(from_hub), to_hub=hub(to_hub))

    def test_direct(self):
        order = SimpleNamespace(legs=[self.leg(1, 'direct', 'TBS', 'TBS')])
        self.assertEqual(route_codes(order), [])

    def test_intercity(self):
        order = SimpleNamespace(legs=[
                self.leg(4, 'last_mile', 'BAT', None),
                self.leg(1, 'pickup', None, 'TBS'),
                self.leg(3, 'linehaul', 'KUT', 'BAT'),
                self.leg(2, 'linehaul', 'TBS', 'KUT'),
                ])
        self.assertEqual(route_codes(order), ['TBS', 'KUT', 'BAT'])


class HtmlEmptyElementsTestCase(unittest.TestCase):
    "genshi's <td/> written for HTML parsers"

    def test_empty_elements(self):
        self.assertEqual(
            html_empty_elements(
                '<div><td/><p class="a"/><br/><meta charset="utf-8"/>'
                '<svg><rect x="1"/></svg><brx/></div>'),
            '<div><td></td><p class="a"></p><br/><meta charset="utf-8"/>'
            '<svg><rect x="1"></rect></svg><brx></brx></div>')

    def test_bytes(self):
        self.assertEqual(
            html_empty_elements('<b/>ქ'.encode('utf-8')),
            '<b></b>ქ'.encode('utf-8'))


class TemplateFilesTestCase(unittest.TestCase):
    "The report templates"

    def test_templates(self):
        for name in TEMPLATES:
            with self.subTest(template=name):
                with open(os.path.join(MODULE, name), 'rb') as fp:
                    content = fp.read()
                self.assertIn(
                    b'<!-- This file is part of the Delivery CRM for Tryton. '
                    b'-->', content)
                # genshi compiles it
                MarkupTemplate(io.BytesIO(content))
                root = ET.fromstring(content)
                parents = {c: p for p in root.iter() for c in p}
                helpers = 0
                for element in root.iter():
                    if 'svg(' not in (element.text or ''):
                        continue
                    helpers += 1
                    # the report translation would escape the SVG
                    node = element
                    while node is not None and XML_LANG not in node.attrib:
                        node = parents.get(node)
                    self.assertIsNotNone(node, element.text)
                self.assertGreaterEqual(
                    helpers, {'invoice.html': 0}.get(name, 1))
