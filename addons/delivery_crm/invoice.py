# This file is part of the Delivery CRM for Tryton.
"""Invoicing delivered orders into account.invoice, set-based."""
import datetime as dt
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .amount_words import amount_in_words
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


class Order(metaclass=PoolMeta):
    __name__ = 'delivery.order'

    @classmethod
    def create_invoices(cls, orders, date=None):
        """Invoice delivered orders: one invoice per customer with a line
        per charge of each order, inserted set-based.

        The orders are locked; an order invoiced already raises an error and
        nothing is written. Returns the invoices."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Configuration = pool.get('delivery.configuration')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        if not orders:
            return []
        ids = [o.id for o in orders]
        cls.lock(orders)
        # read again under the lock: a concurrent run may have invoiced them
        orders = cls.browse(ids)
        for order in orders:
            if order.invoice and order.invoice.state != 'cancelled':
                raise OrderError(gettext(
                        'delivery_crm.msg_order_invoiced',
                        order=order.rec_name,
                        invoice=order.invoice.rec_name))
            if order.state != 'delivered':
                raise OrderError(gettext(
                        'delivery_crm.msg_order_invoice_state',
                        order=order.rec_name, state=order.state_string))
        config = Configuration(1)
        products = {}
        for _, name, _ in AMOUNTS:
            products[name] = getattr(config, name)

        by_customer = defaultdict(list)
        for order in orders:
            by_customer[(order.company, order.customer)].append(order)

        invoices = []
        Lang = pool.get('ir.lang')
        if date is None:
            date = pool.get('ir.date').today()
        for (company, customer), _ in by_customer.items():
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
            lang = Lang.get(customer.lang.code if customer.lang else None)
            with Transaction().set_context(
                    language=customer.lang.code if customer.lang else None):
                invoice.description = gettext(
                    'delivery_crm.msg_invoice_description',
                    date=lang.strftime(date))
            invoices.append(invoice)
        Invoice.save(invoices)
        invoice_of = {key: inv for key, inv in zip(by_customer, invoices)}

        line = Line.__table__()
        tax_table = Pool().get('account.invoice.line-account.tax').__table__()
        now = dt.datetime.now()
        user = transaction.user
        # the service products: the tariff's for the delivery when it has one
        tariff_products = {}
        for order in orders:
            if order.tariff and order.tariff.product:
                tariff_products[order.tariff.id] = order.tariff.product
        for (company, customer), customer_orders in by_customer.items():
            invoice = invoice_of[company, customer]
            lang = customer.lang.code if customer.lang else None
            with transaction.set_context(language=lang):
                descriptions = {m: gettext('delivery_crm.' + m)
                    for _, _, m in AMOUNTS}
            groups = defaultdict(list)
            for order in customer_orders:
                for column, product_name, message in AMOUNTS:
                    amount = getattr(order, column)
                    if not amount:
                        continue
                    product = products[product_name]
                    if column == 'delivery_amount' and order.tariff:
                        product = tariff_products.get(
                            order.tariff.id, product)
                    if not product:
                        raise OrderError(gettext(
                                'delivery_crm.msg_invoice_no_product',
                                field=Configuration.fields_get(
                                    [product_name])[product_name]['string']))
                    groups[product, message].append(order)
            sequence = 0
            for (product, message), product_orders in groups.items():
                account = product.account_revenue_used
                if not account:
                    raise OrderError(gettext(
                            'delivery_crm.msg_invoice_no_revenue',
                            product=product.rec_name))
                taxes = []
                for tax in product.customer_taxes_used:
                    if customer.customer_tax_rule:
                        tax_ids = customer.customer_tax_rule.apply(tax, {})
                        if tax_ids:
                            taxes.extend(tax_ids)
                            continue
                    taxes.append(tax.id)
                column = {m: c for c, _, m in AMOUNTS}[message]
                values = []
                for order in product_orders:
                    sequence += 1
                    values.append([
                            invoice.id, 'line', sequence, 1.0,
                            product.default_uom.id,
                            getattr(order, column), product.id, account.id,
                            '%s %s: %s \u2192 %s' % (
                                descriptions[message], order.number,
                                order.pickup_city, order.delivery_city),
                            'delivery.order,%s' % order.id, company.id,
                            company.currency.id, 'out', customer.id,
                            user, now])
                columns = [line.invoice, line.type, line.sequence,
                    line.quantity, line.unit, line.unit_price,
                    line.product, line.account, line.description,
                    line.origin, line.company, line.currency,
                    line.invoice_type, line.party, line.create_uid,
                    line.create_date]
                line_ids = insert(line, columns, values)
                if taxes:
                    insert(tax_table, [tax_table.line, tax_table.tax,
                            tax_table.create_uid, tax_table.create_date],
                        [[l, t, user, now] for l in line_ids for t in taxes],
                        returning=False)
            for sub_ids in grouped_slice(
                    [o.id for o in customer_orders], 1000):
                cursor.execute(*table.update(
                        [table.invoice], [invoice.id],
                        where=table.id.in_(list(sub_ids))))
        Invoice.update_taxes(invoices)
        return invoices

    @classmethod
    def invoice_period(cls, date=None, customers=None):
        """Invoice the delivered orders not invoiced yet up to date (the last
        day of the previous month by default) of the customers invoiced
        periodically. Running it again invoices nothing twice."""
        if date is None:
            date = dt.date.today().replace(day=1) - dt.timedelta(days=1)
        end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time())
        domain = [
            ('state', '=', 'delivered'),
            ('invoice', '=', None),
            ('date', '<', end),
            ('customer.delivery_invoice_method', '=', 'period'),
            ]
        if customers:
            domain.append(('customer', 'in', [c.id for c in customers]))
        orders = cls.search(domain, order=[('customer', 'ASC'), ('id', 'ASC')])
        invoices = []
        # one customer's orders at a time keeps memory bounded
        by_customer = defaultdict(list)
        for order in orders:
            by_customer[order.customer.id].append(order)
        batch = []
        for customer_orders in by_customer.values():
            batch.extend(customer_orders)
            if len(batch) >= 10000:
                invoices.extend(cls.create_invoices(batch, date))
                batch = []
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
