# This file is part of the Delivery CRM for Tryton.
"""Invoicing delivered orders into account.invoice, set-based."""
import datetime as dt
from collections import defaultdict, namedtuple
from decimal import Decimal

from sql import Null

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .amount_words import amount_in_words
from .contact import local_day_start
from .exceptions import OrderError
from .sqlutil import insert

INVOICE_METHODS = [
    ('period', "Periodically"),
    ('order', "Per Order"),
    ]
AMOUNTS = [
    # order column, product of the configuration, description message
    ('delivery_amount', 'delivery_product', 'msg_invoice_line_delivery'),
    ('cod_fee', 'cod_fee_product', 'msg_invoice_line_cod_fee'),
    ('surcharge_amount', 'surcharge_product', 'msg_invoice_line_surcharge'),
    ]
INVOICE_BATCH = 2000    # orders per create_invoices call of invoice_period
_InvoiceRow = namedtuple('_InvoiceRow', [
        'id', 'company', 'customer', 'state', 'invoice', 'invoice_state',
        'delivery_amount', 'cod_fee', 'surcharge_amount', 'tariff',
        'number', 'pickup_city', 'delivery_city'])


in_ = fields.SQL_OPERATORS['in']


def _decimal(value):
    "A numeric column as Decimal (SQLite may return float or str)"
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


class Order(metaclass=PoolMeta):
    __name__ = 'delivery.order'

    @classmethod
    def create_invoices(cls, orders, date=None):
        """Invoice delivered orders: one invoice per customer with a line
        per charge of each order, and its taxes, inserted set-based.

        The orders are locked; an order invoiced already raises an error and
        nothing is written. Returns the invoices."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceTax = pool.get('account.invoice.tax')
        Line = pool.get('account.invoice.line')
        LineTax = pool.get('account.invoice.line-account.tax')
        Configuration = pool.get('delivery.configuration')
        AccountConfiguration = pool.get('account.configuration')
        Tariff = pool.get('delivery.tariff')
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        Lang = pool.get('ir.lang')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        ids = sorted({int(o) for o in orders})
        if not ids:
            return []
        cls.lock(ids)
        # read under the lock: a concurrent run may have invoiced them
        rows = cls._invoice_rows(ids)
        for row in rows:
            if row.invoice is not None and row.invoice_state != 'cancelled':
                raise OrderError(gettext(
                        'delivery_crm.msg_order_invoiced',
                        order=cls(row.id).rec_name,
                        invoice=Invoice(row.invoice).rec_name))
            if row.state != 'delivered':
                raise OrderError(gettext(
                        'delivery_crm.msg_order_invoice_state',
                        order=cls(row.id).rec_name,
                        state=cls(row.id).state_string))
        config = Configuration(1)
        products = {name: getattr(config, name) for _, name, _ in AMOUNTS}
        tariff_products = {t.id: t.product for t in Tariff.browse(
                {r.tariff for r in rows if r.tariff is not None})
            if t.product}

        by_customer = defaultdict(list)
        for row in rows:
            by_customer[row.company, row.customer].append(row)
        companies = {c.id: c for c in Company.browse(
                {c for c, _ in by_customer})}
        customers = {p.id: p for p in Party.browse(
                {p for _, p in by_customer})}

        if date is None:
            date = pool.get('ir.date').today()
        invoices = []
        for company_id, customer_id in by_customer:
            company = companies[company_id]
            customer = customers[customer_id]
            invoice = Invoice(
                company=company, type='out', party=customer,
                currency=company.currency, invoice_date=None)
            invoice.on_change_type()
            if not invoice.invoice_address:
                raise OrderError(gettext(
                        'delivery_crm.msg_invoice_no_address',
                        customer=customer.rec_name))
            if not invoice.account:
                raise OrderError(gettext(
                        'delivery_crm.msg_invoice_no_account',
                        customer=customer.rec_name))
            language = customer.lang.code if customer.lang else None
            lang = Lang.get(language)
            with transaction.set_context(language=language):
                invoice.description = gettext(
                    'delivery_crm.msg_invoice_description',
                    date=lang.strftime(date))
            invoices.append(invoice)
        for sub_invoices in grouped_slice(invoices, 200):
            Invoice.save(list(sub_invoices))

        # what a product brings to a line of a customer: account and taxes
        accounts, taxes_of = {}, {}

        def product_account(product):
            if product.id not in accounts:
                accounts[product.id] = product.account_revenue_used
                if not accounts[product.id]:
                    raise OrderError(gettext(
                            'delivery_crm.msg_invoice_no_revenue',
                            product=product.rec_name))
            return accounts[product.id]

        def product_taxes(product, customer):
            rule = customer.customer_tax_rule
            key = product.id, rule.id if rule else None
            if key not in taxes_of:
                taxes = []
                for tax in product.customer_taxes_used:
                    if rule:
                        tax_ids = rule.apply(tax, {})
                        if tax_ids:
                            taxes.extend(tax_ids)
                            continue
                    taxes.append(tax.id)
                taxes_of[key] = tuple(taxes)
            return taxes_of[key]

        account_config = AccountConfiguration(1)
        roundings = {c: account_config.get_multivalue(
                'tax_rounding', company=c) for c in companies}
        line = Line.__table__()
        now = dt.datetime.now()
        user = transaction.user
        values, line_taxes, tax_values = [], [], []
        for ((company_id, customer_id), customer_rows), invoice in zip(
                by_customer.items(), invoices):
            company = companies[company_id]
            customer = customers[customer_id]
            with transaction.set_context(language=(
                        customer.lang.code if customer.lang else None)):
                descriptions = {m: gettext('delivery_crm.' + m)
                    for _, _, m in AMOUNTS}
            groups = defaultdict(list)
            for row in customer_rows:
                for column, product_name, message in AMOUNTS:
                    amount = getattr(row, column)
                    if not amount:
                        continue
                    product = products[product_name]
                    if column == 'delivery_amount' and row.tariff:
                        product = tariff_products.get(row.tariff, product)
                    if not product:
                        raise OrderError(gettext(
                                'delivery_crm.msg_invoice_no_product',
                                field=Configuration.fields_get(
                                    [product_name])[product_name]['string']))
                    groups[product, message].append((row, amount))
            counts = defaultdict(int)
            sequence = 0
            for (product, message), product_rows in groups.items():
                account = product_account(product)
                taxes = product_taxes(product, customer)
                for row, amount in product_rows:
                    sequence += 1
                    values.append([
                            invoice.id, 'line', sequence, 1.0,
                            product.default_uom.id, amount, product.id,
                            account.id,
                            '%s %s: %s \u2192 %s' % (
                                descriptions[message], row.number,
                                row.pickup_city, row.delivery_city),
                            'delivery.order,%s' % row.id, company.id,
                            company.currency.id, 'out', customer.id,
                            user, now])
                    line_taxes.append(taxes)
                    counts[taxes, amount] += 1
            tax_values.extend(cls._invoice_taxes(
                    invoice, counts, roundings[company.id]))
        columns = [line.invoice, line.type, line.sequence,
            line.quantity, line.unit, line.unit_price,
            line.product, line.account, line.description,
            line.origin, line.company, line.currency,
            line.invoice_type, line.party, line.create_uid,
            line.create_date]
        line_ids = insert(line, columns, values)
        line_tax = LineTax.__table__()
        insert(line_tax, [line_tax.line, line_tax.tax,
                line_tax.create_uid, line_tax.create_date],
            [[l, t, user, now]
                for l, taxes in zip(line_ids, line_taxes) for t in taxes],
            returning=False)
        if tax_values:
            InvoiceTax.create(tax_values)
        for ((_, _), customer_rows), invoice in zip(
                by_customer.items(), invoices):
            for sub_ids in grouped_slice(
                    [r.id for r in customer_rows], backend.MAX_QUERY_PARAMS):
                cursor.execute(*table.update(
                        [table.invoice], [invoice.id],
                        where=in_(table.id, list(sub_ids))))
        return invoices

    @classmethod
    def _invoice_rows(cls, ids):
        "The columns of the orders that invoicing reads, by SQL"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        cursor = Transaction().connection.cursor()
        order = cls.__table__()
        invoice = Invoice.__table__()
        rows = []
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*order.join(invoice, 'LEFT',
                    condition=order.invoice == invoice.id).select(
                    order.id, order.company, order.customer, order.state,
                    order.invoice, invoice.state.as_('invoice_state'),
                    order.delivery_amount, order.cod_fee,
                    order.surcharge_amount, order.tariff, order.number,
                    order.pickup_city, order.delivery_city,
                    where=in_(order.id, list(sub_ids)),
                    order_by=[order.customer, order.id]))
            for row in cursor:
                row = _InvoiceRow(*row)
                rows.append(row._replace(**{c: _decimal(getattr(row, c))
                            for c, _, _ in AMOUNTS}))
        return rows

    @classmethod
    def _invoice_taxes(cls, invoice, counts, rounding):
        """The values of the tax lines of invoice, computed as Tryton's
        Invoice._compute_taxes does from its lines but from the count of
        lines per taxes and unit price (the order lines are of quantity 1),
        for both tax rounding methods"""
        Tax = Pool().get('account.tax')
        by_taxes = defaultdict(list)
        for (tax_ids, unit_price), count in counts.items():
            if tax_ids:
                by_taxes[tax_ids, unit_price >= 0].append((unit_price, count))
        all_taxes = {}
        tax_date = invoice.tax_date
        with Transaction().set_context(invoice._get_tax_context()):
            for (tax_ids, _), prices in by_taxes.items():
                taxes = {}
                for unit_price, count in prices:
                    quantity = 1 if rounding == 'line' else count
                    current = {}
                    for tax in Tax.compute(Tax.browse(tax_ids), unit_price,
                            quantity, tax_date):
                        tax_line = invoice._compute_tax_line(**tax)
                        current[tax_line._key] = tax_line
                    if rounding == 'line':
                        invoice._round_taxes(current)
                        for tax_line in current.values():
                            tax_line.base *= count
                            tax_line.amount *= count
                    for key, tax_line in current.items():
                        if key in taxes:
                            taxes[key] += tax_line
                        else:
                            taxes[key] = tax_line
                if rounding == 'document':
                    invoice._round_taxes(taxes)
                for key, tax_line in taxes.items():
                    if key in all_taxes:
                        all_taxes[key] += tax_line
                    else:
                        all_taxes[key] = tax_line
        values = []
        for tax_line in all_taxes.values():
            value = dict(tax_line.values())
            value.update({
                    'invoice': invoice.id,
                    'manual': False,
                    'description': tax_line.tax.description,
                    'legal_notice': tax_line.tax.legal_notice,
                    'tax': tax_line.tax.id,
                    'account': tax_line.account.id,
                    })
            values.append(value)
        return values

    @classmethod
    def invoice_period(cls, date=None, customers=None):
        """Invoice the delivered orders not invoiced yet up to date (the last
        day of the previous month by default, in the company's time zone) of
        the customers invoiced periodically. Running it again invoices
        nothing twice.

        The orders are selected and locked at once, then invoiced by batches
        of whole customers."""
        pool = Pool()
        Party = pool.get('party.party')
        Company = pool.get('company.company')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        order = cls.__table__()
        party = Party.__table__()
        if date is None:
            date = (pool.get('ir.date').today().replace(day=1)
                - dt.timedelta(days=1))
        company_id = transaction.context.get('company')
        end = date + dt.timedelta(days=1)
        if company_id is not None:
            end = local_day_start(Company(company_id), end)
        else:
            end = dt.datetime.combine(end, dt.time())
        where = ((order.state == 'delivered') & (order.invoice == Null)
            & (order.date < end)
            & (party.delivery_invoice_method == 'period'))
        if company_id is not None:
            where &= order.company == company_id
        if customers:
            where &= in_(order.customer, [int(c) for c in customers])
        cursor.execute(*order.join(party,
                condition=order.customer == party.id).select(
                order.customer, order.id, where=where,
                order_by=[order.customer, order.id]))
        rows = cursor.fetchall()
        cls.lock([i for _, i in rows])
        invoices, batch, previous = [], [], None
        for customer, order_id in rows:
            # whole customers per batch: bounded memory and statements
            if len(batch) >= INVOICE_BATCH and customer != previous:
                invoices.extend(cls.create_invoices(batch, date))
                batch = []
            batch.append(order_id)
            previous = customer
        if batch:
            invoices.extend(cls.create_invoices(batch, date))
        return invoices

    @classmethod
    def invoice_period_cron(cls):
        cls.invoice_period()


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['delivery.order']


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    amount_in_words = fields.Function(
        fields.Char("Amount in Words"), 'get_amount_in_words')

    def get_amount_in_words(self, name):
        lang = (self.party.lang.code if self.party and self.party.lang
            else Transaction().language)
        if self.total_amount is None or not self.currency:
            return ''
        return amount_in_words(
            self.total_amount, self.currency.code, lang or 'en')

    @classmethod
    def cancel(cls, invoices):
        "Cancelled invoices free their orders to be invoiced again"
        pool = Pool()
        Order = pool.get('delivery.order')
        super().cancel(invoices)
        orders = Order.search([('invoice', 'in', [i.id for i in invoices])])
        if orders:
            Order.write(orders, {'invoice': None})


class InvoiceStart(ModelView):
    "Invoice Delivery Orders"
    __name__ = 'delivery.order.invoice.start'
    date = fields.Date(
        "Up To", required=True,
        help="The delivered orders dated up to this day are invoiced.")
    customers = fields.Many2Many(
        'party.party', None, None, "Customers",
        domain=[('delivery_customer', '=', True)],
        help="Leave empty for all the customers invoiced periodically.")

    @classmethod
    def default_date(cls):
        return dt.date.today().replace(day=1) - dt.timedelta(days=1)


class InvoiceOrders(Wizard):
    "Invoice Delivery Orders"
    __name__ = 'delivery.order.invoice'
    start = StateView('delivery.order.invoice.start',
        'delivery_crm.order_invoice_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Invoice", 'invoice', 'tryton-ok', default=True),
            ])
    invoice = StateAction('account_invoice.act_invoice_out_form')

    def do_invoice(self, action):
        Order = Pool().get('delivery.order')
        invoices = Order.invoice_period(
            self.start.date, list(self.start.customers) or None)
        action['domains'] = []
        return action, {'res_id': [i.id for i in invoices]}
