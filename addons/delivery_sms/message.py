# This file is part of the Delivery CRM for Tryton.
"""SMS gateways and the archive of every message in and out.

A message is *queued* once per suppression key (a campaign or an event and
a number): queueing it again returns the message already there. The
sender (cron, or ``Message.process`` called after a commit) claims queued
rows with row locks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so that
several workers never take the same row), marks them *sending* in a
transaction of its own, submits them outside of any transaction and
stores each answer in a transaction of its own:

- accepted: *submitted*; its delivery reports move it on (*accepted* by the
  operator, *buffered*, *delivered*, *failed*, *rejected*), only forward;
- temporary failure: *queued* again with a back-off, on the fallback
  gateway first when there is one;
- held (the gateway refuses our credentials): *queued* again, the error
  shown, nothing lost;
- permanent failure: *failed* with the gateway's answer;
- no answer after the request left: *uncertain*, never submitted again
  automatically: its delivery report (matched by the message's id in the
  report's URL) decides, and a person may resend it.

Replies arrive through the gateway's MO URL: a stop keyword blocks the
number for marketing (confirmed once), a start keyword opts it in again,
any other text is archived on the customer and becomes a contact task for
his account manager.
"""
import datetime as dt
import time
import urllib.parse

from sql import Null
from sql.conditionals import Coalesce

from trytond import backend, config
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.modules.delivery_crm.phone import parse as parse_phone
from trytond.modules.delivery_crm.secret import StoredSecretMixin
from trytond.modules.delivery_crm.security import InputGuardMixin
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, TransactionError

from . import gateways, keywords, optout
from .consent import PURPOSES
from .encoding import segment
from .exceptions import FallbackError, GatewayConfigurationError

STATES = [
    ('queued', "Queued"),
    ('sending', "Sending"),
    ('uncertain', "Uncertain"),
    ('submitted', "Submitted"),
    ('accepted', "Accepted by Operator"),
    ('buffered', "Buffered"),
    ('delivered', "Delivered"),
    ('failed', "Failed"),
    ('rejected', "Rejected"),
    ('blocked', "Blocked"),
    ('received', "Received"),
    ]
ENCODINGS = [
    ('gsm7', "GSM-7"),
    ('ucs2', "UCS-2 (Unicode)"),
    ]
# back-off of a temporary failure: attempt n waits BACKOFF[n - 1]
BACKOFF = [dt.timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600)]
MAX_ATTEMPTS = 8
# messages claimed at once by a sender
PROCESS_LIMIT = 200
# records created or read at once
CHUNK = 200


def callback_base():
    "The address the gateways call back (trytond's web listener)"
    return (config.get('delivery_sms', 'callback_url', default='')
        or config.get('delivery_crm', 'public_url',
            default='http://127.0.0.1:8000')).rstrip('/')


def in_own_transaction(func, *args):
    """func(*args) in a transaction of its own, committed, as trytond's
    dispatcher runs a request: a record lock that func asks for restarts
    it with the lock taken first, and a lock held by another transaction
    (a delivery report of the same message) is waited for with the
    configured retries"""
    transaction = Transaction()
    extras, count = {}, 0
    retry = config.getint('database', 'retry', default=5)
    while True:
        try:
            with transaction.new_transaction(**extras) as own, \
                    own.set_context(_check_access=False):
                result = func(*args)
                own.commit()
            return result
        except TransactionError as error:
            error.fix(extras)
        except backend.DatabaseOperationalError:
            if count >= retry:
                raise
            count += 1
            time.sleep(0.02 * count)


class CallbackKey(StoredSecretMixin, ModelSQL):
    """SMS Callback Key

    The secret that signs the delivery report and reply URLs given to the
    gateways, when the configuration has no [delivery_sms] callback_key."""
    __name__ = 'delivery.sms.key'
    _secret_config = ('delivery_sms', 'callback_key')


class Gateway(
        InputGuardMixin, DeactivableMixin, sequence_ordered(), ModelSQL,
        ModelView):
    "SMS Gateway"
    __name__ = 'delivery.sms.gateway'
    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    kind = fields.Selection([
            ('kannel', "Kannel (HTTP)"),
            ], "Kind", required=True)
    purpose = fields.Selection([
            (None, "Any"),
            ] + PURPOSES, "Purpose",
        help="The messages this gateway sends; empty for any.")
    fallback = fields.Many2One(
        'delivery.sms.gateway', "Fallback",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('id', '!=', Eval('id', -1)),
            ],
        help="The gateway tried when this one is down or busy.")
    section = fields.Char("Configuration Section", required=True,
        help="The section of trytond.conf with the url, username, password "
        "and sender of the gateway (or the environment variables "
        "TRYTOND_<SECTION>__URL, ...): no secret is stored in the database.")
    price_per_part = fields.Numeric("Price per Part", digits=(16, 4),
        domain=['OR',
            ('price_per_part', '=', None),
            ('price_per_part', '>=', 0),
            ],
        help="What the operator charges for a part of a message, in the "
        "company's currency: the cost shown before sending.")
    configured = fields.Function(
        fields.Boolean("Configured"), 'get_configured')
    mo_url = fields.Function(fields.Char("Reply URL",
            help="The get-url of Kannel's sms-service for replies "
            "(%p: sender, %a: text)."), 'get_mo_url')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(1, ('name', 'ASC'))

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_kind():
        return 'kannel'

    @classmethod
    def validate_fields(cls, gateways_, field_names):
        super().validate_fields(gateways_, field_names)
        if field_names is None or 'fallback' in field_names:
            for gateway in gateways_:
                seen, other = {gateway.id}, gateway.fallback
                while other:
                    if other.id in seen:
                        raise FallbackError(gettext(
                                'delivery_sms.msg_fallback_cycle',
                                gateway=gateway.rec_name))
                    seen.add(other.id)
                    other = other.fallback

    def option(self, name, default=''):
        return config.get(self.section or '', name, default=default) or ''

    def get_configured(self, name):
        return bool(self.section and self.option('url'))

    def get_mo_url(self, name):
        if self.id is None or self.id < 0:
            return None
        Key = Pool().get('delivery.sms.key')
        database = Transaction().database.name
        signature = gateways.sign(Key.get_secret(), 'mo', self.id)
        return (f'{callback_base()}/{urllib.parse.quote(database)}'
            f'/delivery/sms/mo/{self.id}?sig={signature}'
            '&from=%p&to=%P&text=%a')

    def dlr_url(self, message):
        Key = Pool().get('delivery.sms.key')
        database = Transaction().database.name
        signature = gateways.sign(Key.get_secret(), 'dlr', message.id)
        return (f'{callback_base()}/{urllib.parse.quote(database)}'
            f'/delivery/sms/dlr/{message.id}?sig={signature}'
            '&status=%d&answer=%A')

    def transport(self):
        if not self.configured:
            raise GatewayConfigurationError(gettext(
                    'delivery_sms.msg_gateway_not_configured',
                    gateway=self.rec_name, section=self.section or ''))
        timeout = float(self.option('timeout') or 10)
        return gateways.KannelHTTP(
            self.option('url'), self.option('username'),
            self.option('password'), self.option('sender'), timeout=timeout)

    def submit(self, message):
        "The gateways.Result of sending message through this gateway"
        try:
            transport = self.transport()
        except GatewayConfigurationError as error:
            return gateways.Result(gateways.HELD, str(error))
        return transport.submit(
            message.number, message.text, self.dlr_url(message))

    @classmethod
    def route(cls, company, purpose):
        """The gateways for purpose in company: the first of its own, then
        its fallbacks (each once)"""
        gateways_ = cls.search([
                ('company', '=', company),
                ('purpose', 'in', [purpose, None]),
                ])
        if not gateways_:
            return []
        primary = sorted(gateways_,
            key=lambda g: (g.purpose is None, g.sequence or 0, g.id))[0]
        chain, gateway = [], primary
        while gateway and gateway not in chain and gateway.active:
            chain.append(gateway)
            gateway = gateway.fallback
        return chain


class Message(InputGuardMixin, ModelSQL, ModelView):
    "SMS Message"
    __name__ = 'delivery.sms.message'
    # messages are written by the server only, and never deleted
    _client_modes = frozenset()

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", readonly=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    order = fields.Many2One(
        'delivery.order', "Order", readonly=True, ondelete='RESTRICT')
    direction = fields.Selection([
            ('out', "Outgoing"),
            ('in', "Incoming"),
            ], "Direction", required=True, readonly=True)
    purpose = fields.Selection(
        [(None, "")] + PURPOSES, "Purpose", readonly=True)
    number = fields.Char("Number", required=True, readonly=True)
    text = fields.Text("Text", required=True, readonly=True)
    encoding = fields.Selection(ENCODINGS, "Encoding", readonly=True)
    parts = fields.Integer("Parts", readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    suppression_key = fields.Char("Suppression Key", readonly=True,
        strip=False,
        help="The campaign or event and the number: a message is queued "
        "once per key.")
    gateway = fields.Many2One(
        'delivery.sms.gateway', "Gateway", readonly=True,
        ondelete='RESTRICT')
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.DateTime("Next Attempt", readonly=True)
    claimed = fields.DateTime("Claimed", readonly=True)
    sent = fields.DateTime("Sent", readonly=True)
    error = fields.Char("Error", readonly=True)
    events = fields.One2Many(
        'delivery.sms.message.event', 'message', "Status History",
        readonly=True)
    date = fields.Function(fields.DateTime("Date",
            help="When the message was queued or received."), 'get_date')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('suppression_key_unique', Unique(t, t.company, t.suppression_key),
                'delivery_sms.msg_message_key_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    (t.next_attempt, Index.Range()),
                    where=t.state.in_(['queued', 'sending'])),
                Index(t, (t.party, Index.Range())),
                Index(t, (t.order, Index.Range())),
                Index(t, (t.number, Index.Equality())),
                })
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_state(cls):
        return 'queued'

    def get_date(self, name):
        return self.create_date.replace(microsecond=0)

    @staticmethod
    def order_date(tables):
        table, _ = tables[None]
        return [table.create_date]

    @classmethod
    def default_direction(cls):
        return 'out'

    @classmethod
    def default_attempts(cls):
        return 0

    # ------------------------------------------------------------- queue

    @classmethod
    def queue(cls, requests):
        """Queue a message per request, a dict of company, number (as
        people write it), text, purpose, key (the suppression key) and
        optionally party and order; return the messages in the order of
        requests: a key already queued gives the message queued then.

        A message to an invalid or fixed-line number, or to a number whose
        consent does not allow its purpose, is stored *blocked* with the
        reason, so that it is reported on the customer instead of being
        skipped silently."""
        pool = Pool()
        Consent = pool.get('delivery.sms.consent')
        OptOut = pool.get('delivery.sms.optout')
        existing = {}
        by_company = {}
        for request in requests:
            by_company.setdefault(request['company'], set()).add(
                request['key'])
        # the messages queued before under these keys: their ids only (a
        # search would read every column of every row), in chunks (trytond
        # checks each record of a list against the whole list)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for company, keys in by_company.items():
            for chunk in grouped_slice(sorted(keys), count=CHUNK):
                cursor.execute(*table.select(table.id, table.suppression_key,
                        where=(table.company == company)
                        & table.suppression_key.in_(list(chunk))))
                rows = cursor.fetchall()
                for message, (_, key) in zip(
                        cls.browse([r[0] for r in rows]), rows):
                    existing[(company, key)] = message

        values, numbers = [], {}
        for request in requests:
            key = (request['company'], request['key'])
            if key in existing or key in numbers:
                continue
            phone = parse_phone(request.get('number') or '')
            numbers[key] = phone
        # {optout_link}: the number's own link
        wanted = {}
        for request in requests:
            phone = numbers.get((request['company'], request['key']))
            if phone and optout.PLACEHOLDER in request['text']:
                wanted.setdefault(request['company'], set()).add(phone.e164)
        links = {company: OptOut.urls(company, company_numbers)
            for company, company_numbers in wanted.items()}
        status = {}
        for company in by_company:
            for purpose in {r['purpose'] for r in requests}:
                status[company, purpose] = Consent.status(company, [
                        p.e164 for (c, _), p in numbers.items()
                        if c == company and p], purpose)
        queued = set()
        for request in requests:
            key = (request['company'], request['key'])
            if key in existing or key in queued:
                continue
            queued.add(key)
            phone = numbers[key]
            text = request['text']
            if optout.PLACEHOLDER in text and phone:
                text = text.replace(optout.PLACEHOLDER,
                    links[request['company']][phone.e164])
            seg = segment(text)
            state, error = 'queued', None
            if not phone:
                state, error = 'blocked', gettext(
                    'delivery_sms.msg_number_invalid',
                    number=request.get('number') or '')
            elif not phone.mobile:
                state, error = 'blocked', gettext(
                    'delivery_sms.msg_number_not_mobile',
                    number=phone.international)
            elif not status[request['company'], request['purpose']].get(
                    phone.e164):
                state, error = 'blocked', gettext(
                    'delivery_sms.msg_no_consent_%s' % request['purpose'],
                    number=phone.international)
            values.append({
                    'company': request['company'],
                    'party': request.get('party'),
                    'order': request.get('order'),
                    'direction': 'out',
                    'purpose': request['purpose'],
                    'number': phone.e164 if phone else (
                        request.get('number') or '?')[:40],
                    'text': text,
                    'encoding': seg.encoding,
                    'parts': seg.count,
                    'state': state,
                    'error': error,
                    'suppression_key': request['key'],
                    })
        created = []
        with Transaction().set_context(_check_access=False):
            for chunk in grouped_slice(values, count=CHUNK):
                created.extend(cls.create(list(chunk)))
        for message in created:
            existing[(message.company.id, message.suppression_key)] = message
        to_send = [m for m in created if m.state == 'queued']
        if to_send:
            # submitted right after the commit (by a worker when there is
            # one), not at the cron's next run; one task sends all that is
            # due, so it names one message only
            with Transaction().set_context(queue_name='sms'):
                cls.__queue__.send_now(to_send[:1])
        return [existing[(r['company'], r['key'])] for r in requests]

    @classmethod
    def send_now(cls, messages):
        """The queue task run after messages were queued: send all that is
        due"""
        while cls.process() == PROCESS_LIMIT:
            pass

    # ------------------------------------------------------------- send

    @classmethod
    def process_queue(cls):
        "The cron's task: recover what a dead sender left, send what is due"
        cls.recover()
        while cls.process() == PROCESS_LIMIT:
            pass

    @classmethod
    def process(cls, limit=None):
        """Send the queued messages that are due (the cron's task): claim,
        submit, record. Return the number of messages submitted."""
        ids = cls._claim(limit or PROCESS_LIMIT)
        if not ids:
            return 0
        for message_id in ids:
            cls._send(message_id)
        return len(ids)

    @classmethod
    def _claim(cls, limit):
        "Mark up to limit due messages sending, committed; their ids"
        transaction = Transaction()
        with transaction.new_transaction() as claim:
            database = claim.database
            table = cls.__table__()
            cursor = claim.connection.cursor()
            now = dt.datetime.now()
            select = table.select(table.id,
                where=(table.state == 'queued')
                & (table.direction == 'out')
                & ((table.next_attempt == Null)
                    | (table.next_attempt <= now)),
                order_by=[table.id.asc],
                limit=limit)
            if database.has_select_for():
                For = database.get_select_for_skip_locked()
                select.for_ = For('UPDATE')
            cursor.execute(*select)
            ids = [r[0] for r in cursor]
            if ids:
                cursor.execute(*table.update(
                        [table.state, table.claimed, table.attempts],
                        ['sending', now, Coalesce(table.attempts, 0) + 1],
                        where=table.id.in_(ids)
                        & (table.state == 'queued')))
            claim.commit()
        return ids

    @classmethod
    def _send(cls, message_id):
        """Submit one claimed message through its route and store the
        answer in a transaction of its own"""
        pool = Pool()
        Gateway = pool.get('delivery.sms.gateway')
        transaction = Transaction()
        with transaction.new_transaction(readonly=True) as reading, \
                reading.set_context(_check_access=False):
            message = cls(message_id)
            route = Gateway.route(message.company.id, message.purpose)
            attempts = message.attempts or 1
            results = []
            for gateway in route:
                result = gateway.submit(message)
                results.append((gateway.id, result))
                if result.outcome not in {gateways.TEMPORARY, gateways.HELD}:
                    break
        in_own_transaction(cls._store_result, message_id, attempts, results)

    @classmethod
    def _store_result(cls, message_id, attempts, results):
        Event = Pool().get('delivery.sms.message.event')
        message, = cls.browse([message_id])
        cls.lock([message])
        now = dt.datetime.now()
        values = {}
        if not results:
            gateway, outcome = None, gateways.Result(
                gateways.HELD, gettext('delivery_sms.msg_no_gateway'))
        else:
            gateway, outcome = results[-1]
        if outcome.outcome == gateways.ACCEPTED:
            values.update(state='submitted', sent=now, error=None,
                next_attempt=None)
        elif outcome.outcome == gateways.AMBIGUOUS:
            values.update(state='uncertain', sent=now, error=outcome.detail)
        elif outcome.outcome == gateways.PERMANENT:
            values.update(state='failed', error=outcome.detail)
        elif attempts >= MAX_ATTEMPTS:
            values.update(state='failed', error=outcome.detail)
        else:
            wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
            values.update(state='queued', error=outcome.detail,
                next_attempt=now + wait)
        values['gateway'] = gateway
        state = values.pop('state')
        # a delivery report may have come before this answer: never back
        new_state = state if state == 'queued' else gateways.advance(
            message.state, state)
        if message.state != 'sending' and state == 'queued':
            new_state = message.state
        cls.write([message], dict(values, state=new_state))
        Event.create([{
                    'message': message_id,
                    'date': now,
                    'status': new_state,
                    'source': 'submit',
                    'detail': '; '.join(f"{Event.gateway_name(g)}: "
                        f"{r.outcome} {r.detail}".strip()
                        for g, r in results)[:500] or None,
                    }])

    @classmethod
    def report(cls, message_id, state, detail=None):
        """A delivery report of message_id: its state moves forward only;
        repeated and late reports are recorded and change nothing.
        Return the message or None when there is none."""
        Event = Pool().get('delivery.sms.message.event')
        messages = cls.search([('id', '=', message_id)])
        if not messages:
            return None
        message, = messages
        cls.lock([message])
        # a report may come before the submit's answer is stored (the
        # message is still sending): it moves it on all the same
        new_state = gateways.advance(message.state, state)
        if new_state != message.state:
            cls.write([message], {'state': new_state})
        Event.create([{
                    'message': message.id,
                    'date': dt.datetime.now(),
                    'status': state,
                    'source': 'report',
                    'detail': (detail or '')[:500] or None,
                    }])
        return message

    # ------------------------------------------------------------- replies

    @classmethod
    def receive(cls, gateway, sender, text):
        """A reply from sender through gateway: archived; a stop or start
        keyword changes the number's marketing consent (a stop is confirmed
        once); any other text becomes a contact task. Return the message."""
        pool = Pool()
        Consent = pool.get('delivery.sms.consent')
        phone = parse_phone(sender or '')
        number = phone.e164 if phone else (sender or '?')[:40]
        company = gateway.company.id
        party = cls.party_of(number)
        seg = segment(text or '')
        message, = cls.create([{
                    'company': company,
                    'party': party.id if party else None,
                    'direction': 'in',
                    'number': number,
                    'text': text or '',
                    'encoding': seg.encoding,
                    'parts': seg.count or 1,
                    'state': 'received',
                    'gateway': gateway.id,
                    }])
        kind = keywords.classify(text)
        if kind and phone:
            action = 'opt_out' if kind == keywords.STOP else 'opt_in'
            consent = Consent.record(company, number, 'marketing', action,
                'sms_keyword', party=party.id if party else None,
                source=text)
            if consent:
                lang = (party.lang.code if party and party.lang else None)
                with Transaction().set_context(language=lang):
                    confirmation = gettext(
                        'delivery_sms.msg_opt_out_confirmation'
                        if action == 'opt_out'
                        else 'delivery_sms.msg_opt_in_confirmation')
                cls.queue([{
                            'company': company,
                            'party': party.id if party else None,
                            'number': number,
                            'text': confirmation,
                            'purpose': 'transactional',
                            'key': f'consent:{consent.id}',
                            }])
        elif party:
            cls.reply_task(message, party)
        return message

    @classmethod
    def party_of(cls, number):
        """The customer whose mobile or phone is number (E.164, as the
        contact mechanisms keep it compact), or None"""
        Mechanism = Pool().get('party.contact_mechanism')
        mechanisms = Mechanism.search([
                ('type', 'in', ['mobile', 'phone']),
                ('value_compact', '=', number),
                ], order=[('id', 'ASC')], limit=1)
        return mechanisms[0].party if mechanisms else None

    @classmethod
    def reply_task(cls, message, party):
        """A contact task today for the account manager of party about a
        reply (the open task of today when there is one)"""
        pool = Pool()
        Task = pool.get('delivery.contact.task')
        today = pool.get('ir.date').today()
        if Task.search([('party', '=', party.id), ('date', '=', today)],
                limit=1):
            return None
        employee = getattr(party, 'account_manager', None)
        task, = Task.create([{
                    'company': message.company.id,
                    'date': today,
                    'party': party.id,
                    'employee': employee.id if employee else None,
                    'reason': 'sms_reply',
                    'priority': 1000,
                    'state': 'open',
                    }])
        return task

    @classmethod
    def recover(cls, older_than=dt.timedelta(minutes=15)):
        """Messages left *sending* by a process that died: nothing says
        whether they left, so they become *uncertain* (their delivery report
        decides) and are never submitted twice"""
        transaction = Transaction()
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.update([table.state], ['uncertain'],
                where=(table.state == 'sending')
                & (table.claimed < dt.datetime.now() - older_than)))
        # the records read before see the change (as ModelSQL.write does)
        transaction.counter += 1
        for cache in transaction.cache.values():
            cache.pop(cls.__name__, None)


class MessageEvent(ModelSQL, ModelView):
    "SMS Message Event"
    __name__ = 'delivery.sms.message.event'
    message = fields.Many2One(
        'delivery.sms.message', "Message", required=True, readonly=True,
        ondelete='CASCADE')
    date = fields.DateTime("Date", required=True, readonly=True)
    status = fields.Selection(STATES, "Status", readonly=True)
    source = fields.Selection([
            ('submit', "Submit"),
            ('report', "Delivery Report"),
            ], "Source", readonly=True)
    detail = fields.Char("Detail", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.message, Index.Range())))
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def gateway_name(gateway_id):
        if gateway_id is None:
            return '-'
        Gateway = Pool().get('delivery.sms.gateway')
        return Gateway(gateway_id).rec_name

