# This file is part of the Delivery CRM for Tryton.
import datetime as dt
from decimal import Decimal

from sql import Literal
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case
from sql.operators import ILike, Like

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelView, fields
from trytond.model.modelstorage import is_leaf
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .coordinates import CoordinatesMixin, fill_coordinates
from .phone import parse
from .exceptions import InputError
from .security import EMAIL, WEBSITE, InputGuardMixin

CHANNELS = [
    ('call', "Call"),
    ('sms', "SMS"),
    ('email', "E-mail"),
    ('visit', "Visit"),
    ]
TIMES = [
    (None, ""),
    ('morning', "Morning"),
    ('afternoon', "Afternoon"),
    ('evening', "Evening"),
    ]


class Party(InputGuardMixin, metaclass=PoolMeta):
    __name__ = 'party.party'
    SEARCH_LIMIT = 1000

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
    wants_sms = fields.Boolean(
        "Wants SMS", help="The customer agreed to receive SMS.")
    needs = fields.Text(
        "Needs", help="What the customer ships, how often, what matters.")
    preferred_channel = fields.Selection(
        [(None, "")] + CHANNELS, "Preferred Channel")
    preferred_time = fields.Selection(TIMES, "Preferred Time")
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
    delivery_invoice_method = fields.Selection([
            ('period', "Periodically"),
            ('order', "Per Order"),
            ], "Invoicing",
        help="Invoice each delivered order at once, or all the delivered "
        "orders of a period together (monthly run).")
    delivery_orders = fields.Function(fields.Many2Many(
            'delivery.order', None, None, "Orders", readonly=True),
        'get_delivery_orders')
    order_count = fields.Function(
        fields.Integer("Orders"), 'get_order_statistics')
    order_revenue = fields.Function(
        Monetary("Revenue", currency='order_currency',
            digits='order_currency'),
        'get_order_statistics')
    last_order_date = fields.Function(
        fields.DateTime("Last Order"), 'get_order_statistics')
    order_currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'get_order_statistics')

    # the records of these fields that a user may see are those his record
    # rules let through: searching customers by them must not tell more
    _searched_by_rules = frozenset({
            'delivery_contacts', 'delivery_contact_tasks', 'delivery_plans'})

    @classmethod
    def search_domain(cls, domain, active_test=None, tables=None):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            domain = cls._domain_under_rules(domain)
        return super().search_domain(
            domain, active_test=active_test, tables=tables)

    @classmethod
    def _domain_under_rules(cls, domain):
        """The domain with its clauses through _searched_by_rules made
        subqueries of the target that apply the user's record rules
        (trytond checks the access rights of the target of a dotted clause,
        not its record rules)"""
        if is_leaf(domain):
            name, _, nested = domain[0].partition('.')
            operator = domain[1]
            if name not in cls._searched_by_rules or not (
                    nested or operator in {'where', 'not where'}):
                return domain
            field = cls._fields[name]
            Target = field.get_target()
            if nested:
                target_domain = [(nested, *domain[1:])]
                operator = 'in'
            else:
                target_domain = domain[2]
                operator = 'in' if operator == 'where' else 'not in'
            target = Target.__table__()
            found = Target.search(target_domain, order=[], query=True)
            return ('id', operator, target.select(
                    getattr(target, field.field),
                    where=target.id.in_(found)))
        elif not domain or list(domain) in (['OR'], ['AND']):
            return domain
        elif isinstance(domain[0], str) and domain[0] in {'OR', 'AND'}:
            return [domain[0]] + [
                cls._domain_under_rules(d) for d in domain[1:]]
        return [cls._domain_under_rules(d) for d in domain]

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.branch, Index.Range()),
                    (t.last_contact, Index.Range(order='ASC NULLS FIRST')),
                    where=t.delivery_customer == Literal(True)),
                Index(t, (t.name, Index.Similarity())),
                Index(t, (t.marketing_source, Index.Range())),
                Index(t, (t.account_manager, Index.Range())),
                })

    @classmethod
    def default_delivery_customer(cls):
        return False

    @classmethod
    def default_delivery_invoice_method(cls):
        return 'period'

    @classmethod
    def get_delivery_orders(cls, parties, name):
        """The ids of the customers' orders, latest first, by one query per
        slice of parties: a One2Many would load every order of the customer
        to group them (seconds for a customer with 10,000 orders)"""
        pool = Pool()
        Order = pool.get('delivery.order')
        order = Order.__table__()
        cursor = Transaction().connection.cursor()
        result = {p.id: [] for p in parties}
        for sub_ids in grouped_slice(
                [p.id for p in parties], backend.MAX_QUERY_PARAMS):
            # the record and company rules of the orders apply
            allowed = Order.search(
                [('customer', 'in', list(sub_ids))], order=[], query=True)
            cursor.execute(*order.select(order.id, order.customer,
                    where=order.id.in_(allowed),
                    order_by=[order.date.desc, order.id.desc]))
            for order_id, customer in cursor:
                result[customer].append(order_id)
        return result

    @classmethod
    def delivery_order_query(cls, party_ids=None, start=None, end=None):
        """The query of the order statistics per customer: customer,
        count, revenue (delivered orders) and last order date, over the
        orders of the company in the context.

        Reports join it (the channel report, the contact list)."""
        pool = Pool()
        Order = pool.get('delivery.order')
        order = Order.__table__()
        where = order.state != 'cancelled'
        company_id = Transaction().context.get('company')
        if company_id is not None:
            where &= order.company == company_id
        if party_ids is not None:
            where &= fields.SQL_OPERATORS['in'](order.customer, party_ids)
        if start is not None:
            where &= order.date >= start
        if end is not None:
            where &= order.date < end
        return order.select(
            order.customer.as_('customer'),
            Count(order.id).as_('count'),
            Sum(Case((order.state == 'delivered', order.amount),
                    else_=0)).as_('revenue'),
            Max(order.date).as_('last_date'),
            where=where,
            group_by=order.customer)

    @classmethod
    def get_order_statistics(cls, parties, names):
        pool = Pool()
        Company = pool.get('company.company')
        cursor = Transaction().connection.cursor()
        company_id = Transaction().context.get('company')
        currency = (Company(company_id).currency.id
            if company_id is not None and company_id >= 0 else None)
        result = {
            'order_count': {p.id: 0 for p in parties},
            'order_revenue': {p.id: Decimal(0) for p in parties},
            'last_order_date': {p.id: None for p in parties},
            'order_currency': {p.id: currency for p in parties},
            }
        for sub_ids in grouped_slice(
                [p.id for p in parties], backend.MAX_QUERY_PARAMS):
            query = cls.delivery_order_query(list(sub_ids))
            cursor.execute(*query)
            for party_id, count, revenue, last in cursor:
                result['order_count'][party_id] = count
                if not isinstance(revenue, Decimal):
                    revenue = Decimal(str(revenue or 0))
                result['order_revenue'][party_id] = revenue.quantize(
                    Decimal('0.01'))
                if isinstance(last, str):
                    last = dt.datetime.fromisoformat(last)
                result['last_order_date'][party_id] = last
        return {n: result[n] for n in names}

    @classmethod
    def update_last_contact(cls, parties):
        "Set last_contact of parties from their contacts, one query per slice"
        pool = Pool()
        Contact = pool.get('delivery.contact')
        party = cls.__table__()
        contact = Contact.__table__()
        cursor = Transaction().connection.cursor()
        in_ = fields.SQL_OPERATORS['in']
        for sub_ids in grouped_slice(
                [p.id for p in parties], backend.MAX_QUERY_PARAMS):
            last = (contact.select(Max(contact.date),
                    where=(contact.party == party.id)))
            cursor.execute(*party.update(
                    [party.last_contact], [last],
                    where=in_(party.id, list(sub_ids))))

    @classmethod
    def search_rec_name(cls, name, clause):
        """Find customers by part of their name, code or a phone written
        any way ("555 12 34 56" finds +995555123456).

        Each kind of match is looked up on its own with the index that
        serves it (trigram indexes on PostgreSQL), keeping at most
        SEARCH_LIMIT candidates of each, which the search then filters with
        its other criteria and the access rules: one OR over joined tables
        would scan every party."""
        pool = Pool()
        Mechanism = pool.get('party.contact_mechanism')
        Identifier = pool.get('party.identifier')
        _, operator, operand, *extra = clause
        if (operator not in {'like', 'ilike'} or not isinstance(operand, str)
                or extra):
            return super().search_rec_name(name, clause)
        value = operand.strip('%')
        if not value:
            return super().search_rec_name(name, clause)
        limit = cls.SEARCH_LIMIT
        like = ILike if operator == 'ilike' else Like
        party = cls.__table__()
        mechanism = Mechanism.__table__()
        cursor = Transaction().connection.cursor()
        ids = set()
        for where in [
                like(party.name, operand),
                like(party.code, value + '%'),
                ]:
            cursor.execute(*party.select(party.id, where=where, limit=limit))
            ids.update(r for r, in cursor)
        ids.update(i.party.id for i in Identifier.search(
                [('code', operator, value + '%')], limit=limit, order=[]))
        wheres = [
            like(mechanism.value, operand),
            like(mechanism.value_compact, operand),
            ]
        digits = ''.join(c for c in value if c.isdigit())
        if len(digits) >= 5 and len(digits) >= len(value.replace(' ', '')) / 2:
            phone = parse(value, _company_region())
            wheres.append(mechanism.value_compact == phone.e164 if phone
                else Like(mechanism.value_compact, f'%{digits}%'))
        for where in wheres:
            cursor.execute(*mechanism.select(
                    mechanism.party, where=where, limit=limit))
            ids.update(r for r, in cursor)
        return [('id', 'in', list(ids))]


def _company_region():
    "The country code of the company in the context, GE by default"
    pool = Pool()
    Company = pool.get('company.company')
    company_id = Transaction().context.get('company')
    if company_id is not None and company_id >= 0:
        for address in Company(company_id).party.addresses:
            if address.country:
                return address.country.code
    return 'GE'


class Address(InputGuardMixin, CoordinatesMixin, metaclass=PoolMeta):
    __name__ = 'party.address'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'find_coordinates': {
                    'icon': 'tryton-search',
                    'invisible': (Bool(Eval('latitude'))
                        & Bool(Eval('longitude'))),
                    'depends': ['latitude', 'longitude'],
                    },
                })

    @classmethod
    @ModelView.button
    def find_coordinates(cls, addresses):
        "The coordinates of the addresses that have none"
        cls.save(fill_coordinates(
                addresses, [('street', 'city', 'latitude', 'longitude')]))


class ContactMechanism(InputGuardMixin, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # phones are searched as people typed them too
        cls._sql_indexes.add(Index(t, (t.value, Index.Similarity())))

    @classmethod
    def validate_fields(cls, mechanisms, field_names):
        super().validate_fields(mechanisms, field_names)
        if field_names is None or field_names & {'type', 'value'}:
            for mechanism in mechanisms:
                mechanism.check_value_format()

    def check_value_format(self):
        "An e-mail looks like one; a website is an http(s) address"
        value = (self.value or '').strip()
        if not value:
            return
        if self.type == 'email' and not EMAIL.fullmatch(value):
            raise InputError(gettext(
                    'delivery_crm.msg_input_email', value=value[:100]))
        if self.type == 'website' and not WEBSITE.match(value):
            raise InputError(gettext(
                    'delivery_crm.msg_input_website', value=value[:100]))

    @fields.depends()
    def _phone_country_codes(self):
        # numbers written without the international prefix belong to the
        # country of the party, else to the country of the company
        yield from super()._phone_country_codes()
        yield _company_region()


class PartyReplace(metaclass=PoolMeta):
    __name__ = 'party.replace'

    @classmethod
    def fields_to_replace(cls):
        return super().fields_to_replace() + [
            ('delivery.contact', 'party'),
            ('delivery.contact.task', 'party'),
            ('delivery.plan', 'party'),
            ('delivery.order', 'customer'),
            ('delivery.order', 'sender'),
            ('delivery.order', 'recipient'),
            ('delivery.tariff', 'party'),
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
