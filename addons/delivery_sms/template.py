# This file is part of the Delivery CRM for Tryton.
"""SMS templates per language, and the wizard that texts a customer.

A template's text is translatable (one text per language, the customer's
language chosen when it is sent) and names its placeholders in braces
(templates.py). *Send SMS* on a customer shows the message before it goes:
its text with the placeholders filled, its encoding (GSM-7 or UCS-2 for
Georgian), its parts and its price through the gateway that would send it,
and whether the number's consent allows it. Sending queues the message
once per wizard (a second click on Send changes nothing) and the sender
submits it right after the commit.
"""
import datetime as dt
from zoneinfo import ZoneInfo

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields)
from trytond.modules.delivery_crm.security import InputGuardMixin
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import optout, templates
from .consent import PURPOSES, sms_number_of
from .encoding import segment
from .message import ENCODINGS
from .exceptions import SendError, TemplateTextError


class Template(InputGuardMixin, DeactivableMixin, ModelSQL, ModelView):
    "SMS Template"
    __name__ = 'delivery.sms.template'
    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One('company.company', "Company", required=True)
    purpose = fields.Selection(PURPOSES, "Purpose", required=True,
        help="Transactional: about the customer's own deliveries, sent "
        "unless the number opted out. Marketing: news and offers, sent only "
        "to numbers that opted in.")
    text = fields.Text("Text", required=True, translate=True,
        help="The message, one text per language. Placeholders in braces: "
        "{customer}, {order}, {tracking_link}, {window}, {courier}, "
        "{amount}, {company}, {optout_link}.")
    encoding = fields.Function(
        fields.Selection(ENCODINGS, "Encoding"), 'on_change_with_encoding')
    parts = fields.Function(fields.Integer("Parts"), 'on_change_with_parts')

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_purpose():
        return 'transactional'

    @fields.depends('text')
    def on_change_with_encoding(self, name=None):
        return segment(self.text or '').encoding

    @fields.depends('text')
    def on_change_with_parts(self, name=None):
        # placeholders as they are: the real length comes with the values
        return segment(self.text or '').count

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names is None or 'text' in field_names:
            for record in records:
                check_text(record.text, record.rec_name)

    def text_in(self, language=None, texts=None):
        """The text in language (None: the language of the context);
        texts: a dict that keeps the texts read, by (id, language)"""
        language = language or Transaction().context.get('language')
        texts = {} if texts is None else texts
        if (self.id, language) not in texts:
            with Transaction().set_context(language=language):
                texts[self.id, language] = self.__class__(self.id).text
        return texts[self.id, language]

    def render(self, values, language=None):
        """The text in language (None: the language of the context) with
        values"""
        return templates.render(self.text_in(language), values)


def check_text(text, name=''):
    try:
        templates.check(text)
    except templates.TemplateError as error:
        raise TemplateTextError(gettext(
                'delivery_sms.msg_template_placeholder',
                template=name, error=str(error),
                known=', '.join(f'{{{p}}}' for p in templates.PLACEHOLDERS)))


def values_for(party=None, order=None, company=None):
    "The placeholder values of a message to party about order"
    # kept for Message.queue, which puts the number's own link there
    values = {'optout_link': optout.PLACEHOLDER}
    if company:
        values['company'] = company.party.name
    if party:
        values['customer'] = party.name
    if order:
        values['order'] = order.number
        values['tracking_link'] = order.tracking_url
        timezone = ZoneInfo(order.company.timezone or 'UTC')

        def local(value):
            return value.replace(tzinfo=dt.timezone.utc).astimezone(timezone)
        if order.delivery_start and order.delivery_end:
            start, end = local(order.delivery_start), local(
                order.delivery_end)
            values['window'] = (f"{start:%d.%m %H:%M}–{end:%H:%M}"
                if start.date() == end.date()
                else f"{start:%d.%m %H:%M}–{end:%d.%m %H:%M}")
        courier = getattr(order, 'courier', None)
        if courier:
            values['courier'] = courier.party.name
        if order.amount is not None and order.currency:
            values['amount'] = f"{order.amount:.2f} {order.currency.code}"
    return values


class SendStart(ModelView):
    "Send SMS"
    __name__ = 'delivery.sms.send.start'
    company = fields.Many2One('company.company', "Company", readonly=True)
    party = fields.Many2One('party.party', "Customer", readonly=True)
    number = fields.Char("Number", readonly=True)
    template = fields.Many2One('delivery.sms.template', "Template",
        domain=[('company', '=', Eval('company', -1))],
        help="Fills the text in the customer's language; the text can "
        "still be changed before sending.")
    purpose = fields.Selection(PURPOSES, "Purpose", required=True)
    text = fields.Text("Text", required=True)
    encoding = fields.Selection(ENCODINGS, "Encoding", readonly=True)
    parts = fields.Integer("Parts", readonly=True)
    cost = fields.Numeric("Cost", digits=(16, 4), readonly=True,
        help="The parts times the price per part of the gateway that "
        "would send it.")
    gateway = fields.Char("Gateway", readonly=True)
    warning = fields.Text("Warning", readonly=True)

    @fields.depends('template', 'party', 'company', methods=['_preview'])
    def on_change_template(self):
        if self.template:
            # in the customer's language, whatever the user's
            party = self.party
            language = party.lang.code if party and party.lang else None
            self.purpose = self.template.purpose
            self.text = self.template.render(
                values_for(party, company=self.company), language=language)
        self._preview()

    @fields.depends(methods=['_preview'])
    def on_change_text(self):
        self._preview()

    @fields.depends(methods=['_preview'])
    def on_change_purpose(self):
        self._preview()

    @fields.depends('text', 'purpose', 'company', 'number')
    def _preview(self):
        pool = Pool()
        Gateway = pool.get('delivery.sms.gateway')
        Consent = pool.get('delivery.sms.consent')
        # the opt-out link counted as long as it will be
        seg = segment((self.text or '').replace(
                optout.PLACEHOLDER, optout.sample()))
        self.encoding = seg.encoding
        self.parts = seg.count
        self.cost = self.gateway = None
        warnings = []
        if self.company and self.purpose:
            # the office sees which gateway sends, not its configuration
            with Transaction().set_context(_check_access=False):
                route = Gateway.route(self.company.id, self.purpose)
            if route:
                self.gateway = route[0].rec_name
                if route[0].price_per_part is not None:
                    self.cost = route[0].price_per_part * seg.count
            else:
                warnings.append(gettext('delivery_sms.msg_no_gateway'))
            if self.number and not Consent.status(
                    self.company.id, [self.number], self.purpose)[
                    self.number]:
                warnings.append(gettext(
                        'delivery_sms.msg_no_consent_%s' % self.purpose,
                        number=self.number))
        self.warning = '\n'.join(warnings) or None


class Send(Wizard):
    "Send SMS"
    __name__ = 'delivery.sms.send'
    start = StateView('delivery.sms.send.start',
        'delivery_sms.send_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Send", 'send', 'tryton-ok', default=True),
            ])
    send = StateTransition()

    def _number(self):
        """The mobile number of the customer the wizard runs on, taken on
        the server (the form's read-only fields come from the client)"""
        party = self.record
        number = sms_number_of(party)
        if not number or not Transaction().context.get('company'):
            raise SendError(gettext(
                    'delivery_sms.msg_send_no_mobile', party=party.rec_name))
        return number

    def default_start(self, fields):
        party = self.record
        company = Transaction().context.get('company')
        number = self._number()
        return {
            'company': company,
            'party': party.id,
            'number': number,
            'purpose': 'transactional',
            'encoding': 'gsm7',
            'parts': 0,
            }

    def transition_send(self):
        pool = Pool()
        Message = pool.get('delivery.sms.message')
        start = self.start
        if not (start.text or '').strip():
            raise SendError(gettext('delivery_sms.msg_send_empty'))
        party = self.record
        number = self._number()
        company = Transaction().context.get('company')
        message, = Message.queue([{
                    'company': company,
                    'party': party.id,
                    'number': number,
                    'text': start.text,
                    'purpose': start.purpose,
                    # once per wizard: a second Send finds it queued
                    'key': f'manual:{self._session_id}',
                    }])
        if message.state == 'blocked':
            raise SendError(message.error)
        return 'end'
