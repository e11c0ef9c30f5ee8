# This file is part of the Delivery CRM for Tryton.
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pyson import Eval
from trytond.transaction import Transaction


class MarketingSource(DeactivableMixin, ModelSQL, ModelView):
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


class MarketingSourceCost(ModelSQL, ModelView):
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
