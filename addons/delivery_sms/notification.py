# This file is part of the Delivery CRM for Tryton.
"""Order notifications: an SMS when an order reaches an event.

A company switches each notification on with a row (event, template,
who receives it): confirmed, out for delivery (the courier carries the
parcel on its last leg: a local order picked up, an intercity one leaving
the destination hub) with the window and the tracking link, delivered,
failed with what happens next. The hook is ``Order.log_events``, through
which every change of an order's state passes; the message is queued once
per order and event (a second failed attempt is a new event), in the
customer's language, as a transactional message: a number that opted out
gets nothing, an invalid or fixed-line number is stored blocked on the
customer."""
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields)
from trytond.modules.delivery_crm.security import InputGuardMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import templates
from .template import values_for

EVENTS = [
    ('confirmed', "Order Confirmed"),
    ('out_for_delivery', "Out for Delivery"),
    ('delivered', "Delivered"),
    ('failed', "Delivery Failed"),
    ]


class Notification(
        InputGuardMixin, DeactivableMixin, ModelSQL, ModelView):
    "SMS Order Notification"
    __name__ = 'delivery.sms.notification'
    company = fields.Many2One('company.company', "Company", required=True)
    event = fields.Selection(EVENTS, "Event", required=True)
    recipient = fields.Selection([
            ('recipient', "Recipient of the Parcel"),
            ('customer', "Customer"),
            ], "Sent To", required=True)
    template = fields.Many2One(
        'delivery.sms.template', "Template", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('purpose', '=', 'transactional'),
            ],
        help="A transactional template: {order}, {window}, "
        "{tracking_link}, {courier} and {amount} are filled from the order.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('event_unique', Unique(t, t.company, t.event, t.recipient),
                'delivery_sms.msg_notification_unique'),
            ]

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_recipient():
        return 'recipient'

    @classmethod
    def notify(cls, orders, event):
        """Queue the notifications of event for orders (one search for the
        list, one queue call)"""
        pool = Pool()
        Message = pool.get('delivery.sms.message')
        if event not in dict(EVENTS) or not orders:
            return []
        companies = {o.company.id for o in orders}
        with Transaction().set_context(_check_access=False):
            notifications = cls.search([
                    ('company', 'in', list(companies)),
                    ('event', '=', event),
                    ])
            if not notifications:
                return []
            requests = []
            # the text of each template read once per language
            texts = {}
            for notification in notifications:
                for order in orders:
                    if order.company != notification.company:
                        continue
                    request = notification.request(order, event, texts)
                    if request:
                        requests.append(request)
            return Message.queue(requests) if requests else []

    def request(self, order, event, texts):
        """The Message.queue request of this notification for order;
        texts: {(template id, language): text} read so far"""
        customer = order.customer
        if self.recipient == 'recipient':
            number, name = order.recipient_phone, order.recipient_name
        else:
            number = order.sender_phone or (
                customer.sms_number if customer else None)
            name = customer.name if customer else order.sender_name
        if not number:
            return None
        values = values_for(customer, order, company=order.company)
        values['customer'] = name
        language = customer.lang.code if customer and customer.lang else None
        key = f'order:{order.id}:{event}:{self.recipient}'
        if event == 'failed':
            key += f':{order.failed_attempts or 0}'
        return {
            'company': order.company.id,
            'party': customer.id if customer else None,
            'order': order.id,
            'number': number,
            'text': templates.render(
                self.template.text_in(language, texts), values),
            'purpose': 'transactional',
            'key': key,
            }


class Order(metaclass=PoolMeta):
    __name__ = 'delivery.order'
    sms_messages = fields.One2Many(
        'delivery.sms.message', 'order', "SMS Messages", readonly=True)

    @classmethod
    def log_events(cls, orders, event, note=None, hubs=None, legs=None):
        super().log_events(orders, event, note=note, hubs=hubs, legs=legs)
        Notification = Pool().get('delivery.sms.notification')
        if event in {'picked_up', 'in_transit'}:
            event, orders = 'out_for_delivery', [
                o for o in orders if o.out_for_delivery]
        Notification.notify(orders, event)

    @property
    def out_for_delivery(self):
        "Whether the parcels travel their last leg, to the recipient"
        leg = self.current_leg
        return bool(leg and leg.state == 'in_progress'
            and leg.kind in {'direct', 'last_mile'})
