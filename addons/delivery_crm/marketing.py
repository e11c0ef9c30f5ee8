# This file is part of the Delivery CRM for Tryton.
import datetime as dt

from sql import Literal, Null
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case, Coalesce

from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .security import InputGuardMixin


class MarketingSource(InputGuardMixin, DeactivableMixin, ModelSQL, ModelView):
    "Marketing Source"
    __name__ = 'delivery.marketing.source'
    name = fields.Char(
        "Name", required=True, translate=True,
        help='The answer to "where did you hear of us?".')
    code = fields.Char("Code", strip=True)
    costs = fields.One2Many(
        'delivery.marketing.source.cost', 'source', "Costs")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('name', 'ASC'), ('id', 'ASC')]


class MarketingSourceCost(InputGuardMixin, ModelSQL, ModelView):
    "Marketing Source Cost"
    __name__ = 'delivery.marketing.source.cost'
    source = fields.Many2One(
        'delivery.marketing.source', "Source", required=True,
        ondelete='CASCADE')
    company = fields.Many2One('company.company', "Company", required=True)
    date = fields.Date("Date", required=True,
        help="When the money was spent.")
    amount = Monetary(
        "Amount", currency='currency', digits='currency', required=True,
        domain=[('amount', '>=', 0)])
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'on_change_with_currency')
    description = fields.Char("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None


class ChannelReportContext(ModelView):
    "Channel Effectiveness Context"
    __name__ = 'delivery.marketing.channel.context'
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date", required=True,
        domain=[('from_date', '<=', Eval('to_date'))])
    to_date = fields.Date("To Date", required=True,
        domain=[('to_date', '>=', Eval('from_date'))])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        return Transaction().context.get('from_date') or (
            Pool().get('ir.date').today().replace(month=1, day=1))

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date') or (
            Pool().get('ir.date').today())


class ChannelReport(ModelSQL, ModelView):
    "Channel Effectiveness"
    __name__ = 'delivery.marketing.channel'
    source = fields.Many2One('delivery.marketing.source', "Source")
    new_customers = fields.Integer("New Customers")
    ordering_customers = fields.Integer("Customers Who Ordered")
    orders = fields.Integer("Orders")
    revenue = Monetary("Revenue", currency='currency', digits='currency')
    cost = Monetary("Cost", currency='currency', digits='currency')
    cost_per_customer = fields.Function(Monetary(
            "Cost per Customer", currency='currency', digits='currency'),
        'get_cost_per_customer')
    currency = fields.Function(fields.Many2One(
            'currency.currency', "Currency"), 'get_currency')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('new_customers', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _period(cls):
        context = Transaction().context
        from_date = context.get('from_date') or dt.date.min
        to_date = context.get('to_date') or dt.date.max
        return (context.get('company'), from_date, to_date,
            dt.datetime.combine(from_date, dt.time.min),
            dt.datetime.combine(to_date, dt.time.max))

    @classmethod
    def _order_statistics(cls, customers):
        """Return a query of (party, orders, revenue) over the orders of the
        period, whatever the date the customer came: orders not cancelled,
        revenue of the delivered ones."""
        pool = Pool()
        Order = pool.get('delivery.order')
        order = Order.__table__()
        company, _, _, start, end = cls._period()
        return order.select(
            order.customer.as_('party'),
            Count(order.id).as_('orders'),
            Sum(Case((order.state == 'delivered', order.amount),
                    else_=0)).as_('revenue'),
            where=(order.company == company)
            & (order.state != 'cancelled')
            & (order.date >= start) & (order.date <= end),
            group_by=[order.customer])

    @classmethod
    def table_query(cls):
        pool = Pool()
        Party = pool.get('party.party')
        Source = pool.get('delivery.marketing.source')
        Cost = pool.get('delivery.marketing.source.cost')
        party = Party.__table__()
        source = Source.__table__()
        cost = Cost.__table__()
        company, from_date, to_date, start, end = cls._period()

        customers = party.select(
            party.id.as_('party'), party.marketing_source.as_('source'),
            Case((party.create_date >= start, 1), else_=0).as_('new'),
            where=(party.marketing_source != Null)
            & (party.create_date <= end))
        costs = cost.select(cost.source.as_('source'),
            Sum(cost.amount).as_('amount'),
            where=(cost.company == company)
            & (cost.date >= from_date) & (cost.date <= to_date),
            group_by=[cost.source])

        statistics = cls._order_statistics(customers)
        query = source.join(customers, 'LEFT',
            condition=customers.source == source.id)
        if statistics is not None:
            query = query.join(statistics, 'LEFT',
                condition=statistics.party == customers.party)
            ordering = Sum(Case((statistics.orders > 0, 1), else_=0))
            orders = Coalesce(Sum(statistics.orders), 0)
            revenue = Coalesce(Sum(statistics.revenue), 0)
        else:
            ordering = orders = revenue = Literal(0)
        query = query.join(costs, 'LEFT', condition=costs.source == source.id)
        return query.select(
            source.id.as_('id'),
            source.id.as_('source'),
            Coalesce(Sum(customers.new), 0).as_('new_customers'),
            # sums of counts are numeric on PostgreSQL
            cls.ordering_customers.sql_cast(ordering).as_(
                'ordering_customers'),
            cls.orders.sql_cast(orders).as_('orders'),
            revenue.as_('revenue'),
            Coalesce(Max(costs.amount), 0).as_('cost'),
            group_by=[source.id])

    def get_cost_per_customer(self, name):
        if self.cost and self.new_customers:
            return self.currency.round(self.cost / self.new_customers)

    @classmethod
    def get_currency(cls, records, name):
        pool = Pool()
        Company = pool.get('company.company')
        company = Transaction().context.get('company')
        currency = Company(company).currency.id if company else None
        return {r.id: currency for r in records}
