# This file is part of the Delivery CRM for Tryton.
"""Printed documents: the waybill of an order, the manifest of a departure
and the customer invoice.

The templates are HTML converted to PDF by WeasyPrint (``template_extension``
html, ``extension`` pdf). WeasyPrint is only allowed to fetch http(s) URLs
inside trytond, so the QR code and the barcode are inlined as ``<svg>``
elements; the templates wrap them in an element with ``xml:lang`` so that the
report translation leaves them alone."""
import io
import re

import barcode
import segno
from barcode.writer import SVGWriter
from genshi.core import Markup

import trytond.config as config
from trytond.pool import Pool
from trytond.report import Report
from trytond.transaction import Transaction

DEFAULT_PUBLIC_URL = 'http://localhost:8000'
_PROLOG = re.compile(r'<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->', re.DOTALL)
# genshi serializes the templates as XML: an empty element is written <td/>,
# which HTML parsers take for an opening tag
_VOID = ('area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link',
    'meta', 'source', 'track', 'wbr')
_EMPTY = re.compile(
    r'<(?!(?:%s)[\s/>])([A-Za-z][\w:.-]*)(\s[^<>]*?)?/>' % '|'.join(_VOID))


def qr_svg(text, size=30, error='m', border=2):
    """The QR code of text as an inline <svg> element (a genshi Markup string
    without XML declaration), size millimetres wide including a border of
    border modules"""
    qr = segno.make(text, error=error)
    width, _ = qr.symbol_size(scale=1, border=border)
    buffer = io.BytesIO()
    qr.save(buffer, kind='svg', xmldecl=False, svgns=True, nl=False,
        scale=round(size / width, 4), border=border, unit='mm',
        svgclass='qrcode', lineclass=None)
    return Markup(buffer.getvalue().decode('utf-8'))


def barcode_svg(text, module_width=0.3, height=12, quiet_zone=3):
    """The Code 128 barcode of text as an inline <svg> element (a genshi
    Markup string without XML declaration nor doctype), bars module_width
    millimetres wide and height millimetres high, without the human readable
    text (the templates print it themselves)"""
    writer = SVGWriter()
    writer.with_doctype = False
    writer.compress = True  # no pretty printing; render() does not compress
    code = barcode.get('code128', text, writer=writer)
    svg = code.render({
            'module_width': module_width,
            'module_height': height,
            'quiet_zone': quiet_zone,
            'write_text': False,
            'background': 'white',
            'foreground': 'black',
            })
    if isinstance(svg, bytes):
        svg = svg.decode('utf-8')
    svg = _PROLOG.sub('', svg).strip()
    # the id would be repeated by every barcode of a document
    svg = svg.replace(' id="barcode_group"', '')
    return Markup(svg.replace('<svg ', '<svg class="barcode" ', 1))


def html_empty_elements(html):
    "html with the empty non-void elements <x/> written <x></x>"
    is_bytes = isinstance(html, bytes)
    if is_bytes:
        html = html.decode('utf-8')
    html = _EMPTY.sub(r'<\1\2></\1>', html)
    return html.encode('utf-8') if is_bytes else html


def public_url():
    "The public base URL of the server, without a trailing slash"
    url = config.get(
        'delivery_crm', 'public_url', default=DEFAULT_PUBLIC_URL)
    return (url or DEFAULT_PUBLIC_URL).rstrip('/')


def absolute_url(path):
    "The absolute URL of a path of the server"
    if not path:
        return ''
    if '://' in path:
        return path
    return public_url() + '/' + path.lstrip('/')


def tracking_url(order):
    "The absolute URL of the public tracking page of the order"
    return absolute_url(order.tracking_url)


def selection_string(record, name):
    """The label of the value of the selection field name of record in the
    language of the transaction"""
    Model = record.__class__
    field = Model._fields[name]
    selection = field.get_selection(Model, name, record)
    return field.get_selection_string(selection, getattr(record, name))


def route_codes(order):
    """The codes of the hubs the order goes through, in order, or an empty
    list for an order delivered directly in its city"""
    legs = sorted(order.legs, key=lambda leg: (leg.sequence or 0, leg.id))
    if all(leg.kind == 'direct' for leg in legs):
        return []
    codes = []
    for leg in legs:
        for hub in [leg.from_hub, leg.to_hub]:
            if hub and (not codes or codes[-1] != hub.code):
                codes.append(hub.code)
    return codes


class DeliveryReportMixin:
    "Helpers for the report templates"
    __slots__ = ()

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Lang = pool.get('ir.lang')
        context = super().get_context(records, header, data)
        context['qr_svg'] = qr_svg
        context['barcode_svg'] = barcode_svg
        context['tracking_url'] = tracking_url
        context['absolute_url'] = absolute_url
        context['route_codes'] = route_codes
        context['selection_string'] = selection_string
        context['format_window'] = cls.format_window
        context['format_datetime_short'] = cls.format_datetime_short
        # the language the report is rendered in
        context['lang'] = Lang.get()
        return context

    @classmethod
    def render(cls, report, report_context):
        data = super().render(report, report_context)
        if report.template_extension in {'html', 'xhtml'}:
            data = html_empty_elements(data)
        return data

    @classmethod
    def format_datetime_short(cls, value, lang=None, timezone=None):
        "The date and time (hours and minutes) of value in lang"
        pool = Pool()
        Lang = pool.get('ir.lang')
        if value is None:
            return ''
        if lang is None:
            lang = Lang.get()
        return cls.format_datetime(
            value, lang, format=lang.date + ' %H:%M', timezone=timezone)

    @classmethod
    def format_window(cls, start, end, lang=None, timezone=None):
        """A time window as text: "date hh:mm – hh:mm" on the same day,
        else "date hh:mm – date hh:mm"; an open end leaves its side empty"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        if lang is None:
            lang = Lang.get()
        if not start and not end:
            return ''
        start_text = cls.format_datetime_short(start, lang, timezone)
        end_text = cls.format_datetime_short(end, lang, timezone)
        if start and end:
            start_date = cls.format_datetime(
                start, lang, format=lang.date, timezone=timezone)
            end_date = cls.format_datetime(
                end, lang, format=lang.date, timezone=timezone)
            if start_date == end_date:
                end_text = cls.format_datetime(
                    end, lang, format='%H:%M', timezone=timezone)
        return ('%s \u2013 %s' % (start_text, end_text)).strip()


class Waybill(DeliveryReportMixin, Report):
    "Waybill: the label of an order, one page per order"
    __name__ = 'delivery.order.waybill'


class Manifest(DeliveryReportMixin, Report):
    "Manifest: the list of the parcels of a departure"
    __name__ = 'delivery.departure.manifest'

    @classmethod
    def get_context(cls, records, header, data):
        context = super().get_context(records, header, data)
        context['manifest_legs'] = cls.legs
        context['manifest_totals'] = cls.totals
        return context

    @classmethod
    def legs(cls, departure):
        "The legs of the departure by tracking number"
        return sorted(departure.legs,
            key=lambda leg: (leg.order.number or '', leg.id))

    @classmethod
    def totals(cls, departure):
        "The number of orders, parcels, weight and COD amount of a departure"
        orders = {leg.order for leg in departure.legs}
        return {
            'orders': len(orders),
            'parcels': sum(o.parcel_count or 0 for o in orders),
            'weight': sum(o.weight or 0 for o in orders),
            'cod_amount': sum(o.cod_amount or 0 for o in orders),
            }


class InvoiceReport(DeliveryReportMixin, Report):
    """Customer invoice of delivery orders, printed in the language of the
    customer (like account_invoice's report)"""
    __name__ = 'delivery.invoice'

    @classmethod
    def _language(cls, invoice):
        "The code of the language the invoice is printed in"
        pool = Pool()
        Config = pool.get('ir.configuration')
        if invoice.party and invoice.party.lang:
            return invoice.party.lang.code
        return Config.get_language()

    @classmethod
    def header_key(cls, record, data):
        # documents of several invoices group them by language
        return super().header_key(record, data) + (
            ('language', cls._language(record)),)

    @classmethod
    def _execute(cls, records, header, data, action):
        language = header.get('language')
        if language is None and records:
            language = cls._language(records[0])
        for record in records:
            # the field values (translated names) in the language too
            set_lang = getattr(record, 'set_lang', None)
            if set_lang:
                set_lang(language)
        # the static texts of the template are translated in the
        # transaction's language
        with Transaction().set_context(language=language):
            return super()._execute(records, header, data, action)

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Date = pool.get('ir.date')
        context = super().get_context(records, header, data)
        context['invoice'] = context['record']
        if context['invoice']:
            with Transaction().set_context(
                    company=context['invoice'].company.id):
                context['today'] = Date.today()
        return context
