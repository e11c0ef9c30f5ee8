# This file is part of the Delivery CRM for Tryton.
from sql import Literal, Null
from sql.aggregate import Max

from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice, reduce_ids
from trytond.transaction import Transaction

from .coordinates import CoordinatesMixin

CHANNELS = [
    ('call', "Call"),
    ('sms', "SMS"),
    ('email', "E-mail"),
    ('visit', "Visit"),
    ]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    delivery_customer = fields.Boolean(
        "Delivery Customer",
        help="Check for the customers of the delivery company.")
    marketing_source = fields.Many2One(
        'delivery.marketing.source', "Marketing Source", ondelete='RESTRICT',
        help='Where the customer heard of the company.')
    branch = fields.Many2One(
        'delivery.hub', "Branch", ondelete='RESTRICT',
        domain=[('kind', '=', 'branch')],
        help="The branch that serves the customer and contacts it.")
    account_manager = fields.Many2One(
        'company.employee', "Account Manager", ondelete='SET NULL',
        help="The employee who contacts this customer first.")
    needs = fields.Text(
        "Needs", help="What the customer ships, how often, what matters.")
    preferred_channel = fields.Selection(
        [(None, "")] + CHANNELS, "Preferred Channel")
    preferred_time = fields.Selection([
            (None, ""),
            ('morning', "Morning"),
            ('afternoon', "Afternoon"),
            ('evening', "Evening"),
            ], "Preferred Time")
    last_contact = fields.DateTime(
        "Last Contact", readonly=True,
        help="When the customer was last contacted, from the contact log.")
    delivery_contacts = fields.One2Many(
        'delivery.contact', 'party', "Contacts", readonly=True)
    delivery_contact_tasks = fields.One2Many(
        'delivery.contact.task', 'party', "Contact Tasks", readonly=True)
    delivery_plans = fields.One2Many('delivery.plan', 'party', "Work Plans")
    plan_template = fields.Many2One(
        'delivery.plan.template', "Plan Template", ondelete='RESTRICT',
        help="The template of the customer's work plan.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.branch, Index.Range()),
                    (t.last_contact, Index.Range(order='ASC NULLS FIRST')),
                    where=t.delivery_customer == Literal(True)),
                Index(t, (t.marketing_source, Index.Range())),
                Index(t, (t.account_manager, Index.Range())),
                })

    @classmethod
    def default_delivery_customer(cls):
        return False

    @classmethod
    def update_last_contact(cls, parties):
        "Set last_contact of parties from their contacts, one query per slice"
        pool = Pool()
        Contact = pool.get('delivery.contact')
        party = cls.__table__()
        contact = Contact.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice([p.id for p in parties]):
            last = (contact.select(Max(contact.date),
                    where=(contact.party == party.id)))
            cursor.execute(*party.update(
                    [party.last_contact], [last],
                    where=reduce_ids(party.id, sub_ids)))
        cls._clear_cache = getattr(cls, '_clear_cache', None)


class Address(CoordinatesMixin, metaclass=PoolMeta):
    __name__ = 'party.address'


class ContactMechanism(metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    @fields.depends()
    def _phone_country_codes(self):
        # numbers written without the international prefix belong to the
        # country of the party, else to the country of the company
        yield from super()._phone_country_codes()
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        if company_id is not None and company_id >= 0:
            company = Company(company_id)
            if company.party.addresses:
                for address in company.party.addresses:
                    if address.country:
                        yield address.country.code


class PartyReplace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('delivery.contact', 'party'),
            ('delivery.contact.task', 'party'),
            ('delivery.plan', 'party'),
            ]


class PartyErase(metaclass=PoolMeta):
    __name__ = 'party.erase'

    def to_erase(self, party_id):
        pool = Pool()
        Party = pool.get('party.party')
        Contact = pool.get('delivery.contact')
        return super().to_erase(party_id) + [
            (Party, [('id', '=', party_id)], True,
                ['needs'], [None]),
            (Contact, [('party', '=', party_id)], True,
                ['note'], [None]),
            ]
