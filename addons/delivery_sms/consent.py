# This file is part of the Delivery CRM for Tryton.
"""Consent to SMS per number and purpose, as an append-only log.

Transactional messages (about a customer's own deliveries) rely on the
contract: they go unless the number opted out of them. Marketing needs a
prior opt-in: it goes only when the number's latest marketing entry is an
opt-in. Nothing is ever changed or deleted: a change of mind is a new
entry, so the log shows when, how, from where, with which wording and by
whom each consent was given or withdrawn.
"""
import datetime as dt

from sql.aggregate import Max

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.delivery_crm.exceptions import InputError
from trytond.modules.delivery_crm.phone import parse as parse_phone
from trytond.modules.delivery_crm.security import InputGuardMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

PURPOSES = [
    ('transactional', "Transactional"),
    ('marketing', "Marketing"),
    ]
CHANNELS = [
    ('form', "Form"),
    ('registration', "Registration"),
    ('sms_keyword', "SMS Keyword"),
    ('link', "Opt-out Link"),
    ('import', "Import"),
    ('api', "API"),
    ]
# what a number may receive when its log says nothing
DEFAULT = {'transactional': True, 'marketing': False}


class Consent(InputGuardMixin, ModelSQL, ModelView):
    "SMS Consent"
    __name__ = 'delivery.sms.consent'
    # an entry is added, never changed or deleted
    _client_modes = frozenset({'create'})
    _phone_fields = frozenset({'number'})

    company = fields.Many2One('company.company', "Company", required=True)
    party = fields.Many2One(
        'party.party', "Customer", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    number = fields.Char("Number", required=True,
        help="The mobile number, stored in international format.")
    purpose = fields.Selection(PURPOSES, "Purpose", required=True)
    action = fields.Selection([
            ('opt_in', "Opt-in"),
            ('opt_out', "Opt-out"),
            ], "Action", required=True)
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    wording = fields.Char("Wording Version",
        help="The version of the text the customer agreed to or was shown.")
    source = fields.Char("Source",
        help="Where the consent came from: a form, the text of a reply, "
        "an import file.")
    user = fields.Function(
        fields.Many2One('res.user', "User"), 'get_user')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t,
                (t.company, Index.Equality()),
                (t.number, Index.Equality()),
                (t.purpose, Index.Equality())))
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_date():
        return dt.datetime.now()

    @staticmethod
    def default_purpose():
        return 'marketing'

    @staticmethod
    def default_channel():
        return 'form'

    def get_user(self, name):
        return self.create_uid.id if self.create_uid else None

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('number'):
            values['number'] = normalise_number(values['number'])
        return values

    @classmethod
    def status(cls, company, numbers, purpose):
        """{number: allowed} of the E.164 numbers for purpose, from the
        latest entry of each (one query per chunk of numbers)"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        numbers = sorted(set(n for n in numbers if n))
        result = {n: DEFAULT[purpose] for n in numbers}
        for chunk in map(list, grouped_slice(
                numbers, count=backend.MAX_QUERY_PARAMS)):
            latest = table.select(Max(table.id),
                where=(table.company == company)
                & (table.purpose == purpose)
                & table.number.in_(chunk),
                group_by=[table.number])
            cursor.execute(*table.select(table.number, table.action,
                    where=table.id.in_(latest)))
            for number, action in cursor:
                result[number] = action == 'opt_in'
        return result

    @classmethod
    def record(cls, company, number, purpose, action, channel, party=None,
            source=None, wording=None):
        """Add an entry unless the number's latest entry for purpose is
        already action; return the entry added or None"""
        if cls.status(company, [number], purpose)[number] == (
                action == 'opt_in') and cls.search([
                    ('company', '=', company),
                    ('number', '=', number),
                    ('purpose', '=', purpose),
                    ], limit=1):
            return None
        consent, = cls.create([{
                    'company': company,
                    'number': number,
                    'purpose': purpose,
                    'action': action,
                    'channel': channel,
                    'party': party,
                    'source': (source or '')[:200] or None,
                    'wording': wording,
                    }])
        return consent


def normalise_number(value, region='GE'):
    "The E.164 form of a mobile number, or InputError"
    phone = parse_phone(value, region)
    if not phone:
        raise InputError(gettext(
                'delivery_sms.msg_number_invalid', number=value))
    if not phone.mobile:
        raise InputError(gettext(
                'delivery_sms.msg_number_not_mobile',
                number=phone.international))
    return phone.e164


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    sms_messages = fields.One2Many(
        'delivery.sms.message', 'party', "SMS Messages", readonly=True)
    sms_consents = fields.One2Many(
        'delivery.sms.consent', 'party', "SMS Consents", readonly=True)
    sms_number = fields.Function(fields.Char("SMS Number",
            help="The mobile number messages go to: the first mobile phone "
            "of the customer."), 'get_sms_number')
    sms_marketing = fields.Function(fields.Boolean("Marketing SMS",
            help="Whether the customer's mobile number agreed to marketing "
            "messages (the latest entry of the consent log)."),
        'get_sms_marketing')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'send_sms': {
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                })

    def get_sms_number(self, name):
        return sms_number_of(self)

    @classmethod
    @ModelView.button_action('delivery_sms.wizard_send')
    def send_sms(cls, parties):
        pass

    @classmethod
    def get_sms_marketing(cls, parties, name):
        Consent = Pool().get('delivery.sms.consent')
        company = Transaction().context.get('company')
        numbers = {p.id: sms_number_of(p) for p in parties}
        if not company:
            return {p.id: False for p in parties}
        status = Consent.status(
            company, [n for n in numbers.values() if n], 'marketing')
        return {pid: bool(n and status.get(n)) for pid, n in numbers.items()}


def sms_number_of(party):
    "The E.164 number of the first mobile contact of party, or None"
    for mechanism in party.contact_mechanisms:
        if mechanism.type not in {'mobile', 'phone'} or not mechanism.value:
            continue
        phone = parse_phone(mechanism.value)
        if phone and phone.mobile:
            return phone.e164
    return None

