# This file is part of the Delivery CRM for Tryton.
import datetime as dt
from decimal import Decimal
import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.delivery_crm.tests.tools import prepare_module
from trytond.modules.delivery_sms import gateways, keywords, templates
from trytond.modules.delivery_sms.encoding import is_gsm7, segment
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

MOBILE = '+995555123456'


class EncodingTestCase(unittest.TestCase):
    "SMS encoding and segmentation"

    def test_empty(self):
        seg = segment('')
        self.assertEqual((seg.encoding, seg.units, seg.count), ('gsm7', 0, 0))

    def test_gsm7_single_and_multi(self):
        self.assertEqual(segment('a' * 160).count, 1)
        seg = segment('a' * 161)
        self.assertEqual(seg.count, 2)
        self.assertEqual([len(p) for p in seg.parts], [153, 8])

    def test_gsm7_extension_costs_two(self):
        self.assertTrue(is_gsm7('Price: 10€ [COD]'))
        self.assertEqual(segment('€').units, 2)
        self.assertEqual(segment('€' * 80).count, 1)
        seg = segment('a' * 152 + '€' + 'b' * 10)
        # the escape pair does not fit in the 153rd septet: it moves on
        self.assertEqual([len(p) for p in seg.parts], [152, 11])

    def test_georgian_is_ucs2(self):
        text = 'ა' * 100
        seg = segment(text)
        self.assertEqual(seg.encoding, 'ucs2')
        self.assertEqual([len(p) for p in seg.parts], [67, 33])
        self.assertEqual(segment('ამანათი მზადაა').count, 1)
        self.assertEqual(segment('ა' * 70).count, 1)

    def test_surrogate_pair_not_split(self):
        text = 'ა' * 66 + '📦' + 'ბ' * 10
        seg = segment(text)
        self.assertEqual(seg.units, 66 + 2 + 10)
        self.assertEqual(seg.parts[0], 'ა' * 66)
        self.assertEqual(''.join(seg.parts), text)


class KeywordsTestCase(unittest.TestCase):
    "Stop and start keywords"

    def test_classify(self):
        for text in ['STOP', ' stop ', 'Stop.', 'UNSUBSCRIBE', 'სტოპ',
                'შეწყვეტა']:
            self.assertEqual(keywords.classify(text), keywords.STOP, text)
        for text in ['START', 'start', 'დაწყება']:
            self.assertEqual(keywords.classify(text), keywords.START, text)
        # a keyword inside a sentence is a reply for a person to read
        for text in ['please stop calling at 9', 'კურიერი არ მოვიდა', '',
                None]:
            self.assertIsNone(keywords.classify(text), text)


class TemplatesTestCase(unittest.TestCase):
    "Placeholders of SMS templates"

    def test_render(self):
        self.assertEqual(templates.render(
                "{customer}, order {order} arrives {window}. {{ok}}",
                {'customer': "Nino", 'order': '0042', 'window': None}),
            "Nino, order 0042 arrives . {ok}")
        self.assertEqual(templates.placeholders("{a} {b} {a}"), ['a', 'b'])

    def test_refused(self):
        for text in ["Hi {custmer}", "Hi {customer", "Hi customer}",
                "{customer:>9}", "{customer!r}", "{0}", "{}"]:
            with self.assertRaises(templates.TemplateError, msg=text):
                templates.check(text)


class GatewayResultTestCase(unittest.TestCase):
    "What Kannel's answers mean and how states move"

    def test_results(self):
        result = gateways.KannelHTTP.result
        self.assertEqual(
            result(202, '0: Accepted for delivery').outcome,
            gateways.ACCEPTED)
        self.assertEqual(
            result(202, '3: Queued for later delivery').outcome,
            gateways.ACCEPTED)
        self.assertEqual(result(403, 'Authorization failed').outcome,
            gateways.HELD)
        self.assertEqual(result(503, 'Sending failed.').outcome,
            gateways.TEMPORARY)
        self.assertEqual(result(400, 'Empty receiver').outcome,
            gateways.PERMANENT)

    def test_advance_forward_only(self):
        advance = gateways.advance
        self.assertEqual(advance('sending', 'delivered'), 'delivered')
        # the submit's answer after the report: stays delivered
        self.assertEqual(advance('delivered', 'submitted'), 'delivered')
        # accepted (8) after delivered (1): stays delivered
        self.assertEqual(advance('delivered', 'accepted'), 'delivered')
        self.assertEqual(advance('submitted', 'accepted'), 'accepted')
        self.assertEqual(advance('failed', 'delivered'), 'failed')
        self.assertEqual(advance('accepted', 'nonsense'), 'accepted')

    def test_signature(self):
        signature = gateways.sign('secret', 'dlr', 42)
        self.assertTrue(gateways.check('secret', signature, 'dlr', 42))
        self.assertFalse(gateways.check('secret', signature, 'dlr', 43))
        self.assertFalse(gateways.check('other', signature, 'dlr', 42))
        self.assertFalse(gateways.check('secret', '', 'dlr', 42))
        self.assertFalse(gateways.check('secret', None, 'dlr', 42))

    def test_unreachable_is_temporary(self):
        "Nothing listens: nothing left, so it is tried again later"
        import socket
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        kannel = gateways.KannelHTTP(
            f'http://127.0.0.1:{port}', 'user', 'pass', timeout=2)
        self.assertEqual(kannel.submit(MOBILE, 'hello').outcome,
            gateways.TEMPORARY)

    def test_query_coding(self):
        kannel = gateways.KannelHTTP(
            'http://127.0.0.1:13013/cgi-bin/sendsms', 'u', 'p', '91234')
        self.assertEqual(kannel.prefix, '')
        query = kannel.query(MOBILE, 'გამარჯობა', 'http://x/dlr?a=1&b=%d')
        self.assertIn('coding=2', query)
        self.assertIn('dlr-mask=31', query)
        self.assertIn('dlr-url=http%3A%2F%2Fx%2Fdlr%3Fa%3D1%26b%3D%25d', query)
        self.assertIn('coding=0', kannel.query(MOBILE, 'hello'))


class DeliverySmsTestCase(ModuleTestCase):
    "Test Delivery SMS module"
    module = 'delivery_sms'

    @classmethod
    def setUpClass(cls):
        # its database built on the cached one of delivery_crm
        prepare_module(cls.module)
        super().setUpClass()

    def customer(self, number=MOBILE, lang=None):
        pool = Pool()
        Party = pool.get('party.party')
        Lang = pool.get('ir.lang')
        values = {
            'name': "Customer",
            'contact_mechanisms': [('create', [{
                            'type': 'mobile', 'value': number}])],
            }
        if lang:
            values['lang'], = [l.id for l in Lang.search(
                    [('code', '=', lang)])]
        party, = Party.create([values])
        return party

    def request(self, company, key, number=MOBILE, purpose='transactional',
            text="Your parcel is on its way"):
        return {'company': company.id, 'number': number, 'text': text,
            'purpose': purpose, 'key': key}

    @with_transaction()
    def test_queue_once_per_key(self):
        "A suppression key queues one message, however often it is asked"
        Message = Pool().get('delivery.sms.message')
        company = create_company()
        with set_company(company):
            first, again = Message.queue([
                    self.request(company, 'order:1:confirmed'),
                    self.request(company, 'order:1:confirmed',
                        text="Other text"),
                    ])
            self.assertEqual(first, again)
            self.assertEqual(first.state, 'queued')
            self.assertEqual(first.number, MOBILE)
            self.assertEqual(first.text, "Your parcel is on its way")
            later, = Message.queue([
                    self.request(company, 'order:1:confirmed',
                        number='555 12 34 56')])
            self.assertEqual(later, first)
            self.assertEqual(Message.search_count([]), 1)
            # written as people write it, stored as E.164
            other, = Message.queue([
                    self.request(company, 'order:2:confirmed',
                        number='555 12-34-57')])
            self.assertEqual(other.number, '+995555123457')
            self.assertEqual(Message.search_count([]), 2)

    @with_transaction()
    def test_queue_reports_what_cannot_go(self):
        "Invalid, fixed-line and unconsented numbers are blocked, with why"
        Message = Pool().get('delivery.sms.message')
        company = create_company()
        with set_company(company):
            invalid, landline, marketing, unicode_ = Message.queue([
                    self.request(company, 'a', number='12'),
                    self.request(company, 'b', number='+995322123456'),
                    self.request(company, 'c', purpose='marketing'),
                    self.request(company, 'd', text='ამანათი გზაშია'),
                    ])
            self.assertEqual(
                [m.state for m in [invalid, landline, marketing, unicode_]],
                ['blocked', 'blocked', 'blocked', 'queued'])
            for message in [invalid, landline, marketing]:
                self.assertTrue(message.error)
            self.assertEqual(
                (unicode_.encoding, unicode_.parts), ('ucs2', 1))

    @with_transaction()
    def test_consent_log(self):
        "Marketing needs an opt-in; the log only grows; repeats add nothing"
        Consent = Pool().get('delivery.sms.consent')
        company = create_company()
        with set_company(company):
            status = Consent.status
            self.assertEqual(
                status(company.id, [MOBILE], 'marketing'), {MOBILE: False})
            self.assertEqual(status(company.id, [MOBILE], 'transactional'),
                {MOBILE: True})
            entry = Consent.record(
                company.id, MOBILE, 'marketing', 'opt_in', 'form')
            self.assertTrue(entry)
            self.assertIsNone(Consent.record(
                    company.id, MOBILE, 'marketing', 'opt_in', 'form'))
            self.assertEqual(
                status(company.id, [MOBILE], 'marketing'), {MOBILE: True})
            Consent.record(
                company.id, MOBILE, 'marketing', 'opt_out', 'sms_keyword')
            self.assertEqual(
                status(company.id, [MOBILE], 'marketing'), {MOBILE: False})
            self.assertEqual(Consent.search_count([]), 2)
            # the number as people write it
            written, = Consent.create([{
                        'company': company.id, 'number': '555 12 34 58',
                        'purpose': 'marketing', 'action': 'opt_in',
                        'channel': 'form'}])
            self.assertEqual(written.number, '+995555123458')

    @with_transaction()
    def test_reports_only_move_forward(self):
        """Reports out of order, repeated or before the submit's answer
        leave the most advanced state, each recorded"""
        Message = Pool().get('delivery.sms.message')
        company = create_company()
        with set_company(company):
            message, = Message.queue([self.request(company, 'k')])
            Message.write([message], {'state': 'sending', 'attempts': 1})
            # the delivery report comes before the gateway's answer
            Message.report(message.id, 'delivered', 'id:1 stat:DELIVRD')
            Message._store_result(message.id, 1, [
                    (None, gateways.Result(gateways.ACCEPTED, '0: Accepted'))])
            self.assertEqual(message.state, 'delivered')
            # the operator's acknowledgement (8) after delivery (1), twice
            Message.report(message.id, 'accepted')
            Message.report(message.id, 'accepted')
            self.assertEqual(message.state, 'delivered')
            self.assertEqual(
                [(e.source, e.status) for e in message.events],
                [('report', 'delivered'), ('submit', 'delivered'),
                    ('report', 'accepted'), ('report', 'accepted')])
            self.assertIsNone(Message.report(message.id + 1000, 'delivered'))

    @with_transaction()
    def test_optout_link(self):
        "{optout_link} becomes the number's own link, the same each time"
        pool = Pool()
        Message = pool.get('delivery.sms.message')
        Consent = pool.get('delivery.sms.consent')
        company = create_company()
        with set_company(company):
            Consent.record(company.id, MOBILE, 'marketing', 'opt_in', 'form')
            first, second, other = Message.queue([
                    self.request(company, 'a', purpose='marketing',
                        text="Offer! Stop: {optout_link}"),
                    self.request(company, 'b', purpose='marketing',
                        text="Again. Stop: {optout_link}"),
                    self.request(company, 'c', number='555 12 34 57',
                        text="Yours: {optout_link}"),
                    ])
            link = first.text.split()[-1]
            self.assertIn('/delivery/sms/stop/', link)
            self.assertNotIn('{', first.text)
            self.assertEqual(second.text.split()[-1], link)
            self.assertNotEqual(other.text.split()[-1], link)
            self.assertNotIn('555123456', link)

    @with_transaction()
    def test_record_outcomes(self):
        """Temporary failures wait and go again, permanent ones fail,
        ambiguous ones are never sent again by themselves"""
        Message = Pool().get('delivery.sms.message')
        company = create_company()
        with set_company(company):
            temporary, permanent, ambiguous, held = Message.queue([
                    self.request(company, k) for k in 'abcd'])
            outcomes = [
                (temporary, gateways.TEMPORARY),
                (permanent, gateways.PERMANENT),
                (ambiguous, gateways.AMBIGUOUS),
                (held, gateways.HELD),
                ]
            for message, outcome in outcomes:
                Message.write([message], {'state': 'sending', 'attempts': 1})
                Message._store_result(message.id, 1,
                    [(None, gateways.Result(outcome, 'answer'))])
            self.assertEqual(
                [m.state for m, _ in outcomes],
                ['queued', 'failed', 'uncertain', 'queued'])
            self.assertGreater(temporary.next_attempt, dt.datetime.now())
            self.assertEqual(temporary.error, 'answer')
            self.assertEqual(held.error, 'answer')

    @with_transaction()
    def test_recover_makes_uncertain(self):
        "A message a dead sender left sending is never sent twice"
        Message = Pool().get('delivery.sms.message')
        company = create_company()
        with set_company(company):
            message, = Message.queue([self.request(company, 'k')])
            Message.write([message], {'state': 'sending',
                    'claimed': dt.datetime.now() - dt.timedelta(hours=1)})
            Message.recover()
            message = Message(message.id)
            self.assertEqual(message.state, 'uncertain')

    @with_transaction()
    def test_stop_and_start_replies(self):
        """STOP blocks marketing and is confirmed once, in the customer's
        language; START opts in again; another reply is a contact task"""
        pool = Pool()
        Message = pool.get('delivery.sms.message')
        Gateway = pool.get('delivery.sms.gateway')
        Consent = pool.get('delivery.sms.consent')
        Task = pool.get('delivery.contact.task')
        company = create_company()
        with set_company(company):
            party = self.customer()
            gateway, = Gateway.create([{
                        'name': "Kannel", 'section': 'sms_test'}])
            Consent.record(company.id, MOBILE, 'marketing', 'opt_in', 'form')
            Message.receive(gateway, '+995 555 12 34 56', 'სტოპ')
            Message.receive(gateway, MOBILE, 'STOP')
            self.assertEqual(
                Consent.status(company.id, [MOBILE], 'marketing'),
                {MOBILE: False})
            replies = Message.search([('direction', '=', 'in')])
            self.assertEqual(len(replies), 2)
            self.assertEqual({m.party for m in replies}, {party})
            confirmations = Message.search([('direction', '=', 'out')])
            self.assertEqual(len(confirmations), 1)
            self.assertEqual(confirmations[0].purpose, 'transactional')
            self.assertEqual(confirmations[0].state, 'queued')

            Message.receive(gateway, MOBILE, 'START')
            self.assertEqual(
                Consent.status(company.id, [MOBILE], 'marketing'),
                {MOBILE: True})
            self.assertEqual(Message.search_count([('direction', '=', 'out')]),
                2)
            self.assertEqual(Task.search_count([]), 0)

            Message.receive(gateway, MOBILE, "Please call me after 6")
            Message.receive(gateway, MOBILE, "And bring change")
            task, = Task.search([])
            self.assertEqual(
                (task.party, task.reason, task.state),
                (party, 'sms_reply', 'open'))

            # from an unknown number: archived, no task, no consent change
            unknown = Message.receive(gateway, '+995555999999', "Who is it?")
            self.assertIsNone(unknown.party)
            self.assertEqual(Task.search_count([]), 1)

    @with_transaction()
    def test_template_languages_and_placeholders(self):
        """A template has a text per language, filled for the customer; a
        typo in a placeholder is refused when saved"""
        pool = Pool()
        Template = pool.get('delivery.sms.template')
        Lang = pool.get('ir.lang')
        company = create_company()
        georgian, = Lang.search([('code', '=', 'ka')])
        Lang.write([georgian], {'translatable': True})
        with set_company(company):
            template, = Template.create([{
                        'name': "Greeting",
                        'text': "Hello {customer}, from {company}",
                        }])
            with Transaction().set_context(language='ka'):
                Template.write([Template(template.id)], {
                        'text': "გამარჯობა {customer}, {company}"})
            values = {'customer': "ნინო", 'company': "Courier"}
            self.assertEqual(template.render(values),
                "Hello ნინო, from Courier")
            self.assertEqual(template.render(values, 'ka'),
                "გამარჯობა ნინო, Courier")
            self.assertEqual(template.encoding, 'gsm7')
            with self.assertRaises(Exception) as raised:
                Template.create([{'name': "Typo", 'text': "Hi {custmer}"}])
            self.assertIn('{custmer}', str(raised.exception))

    @with_transaction()
    def test_send_wizard(self):
        """Send SMS fills the text from a template, shows encoding, parts and
        cost, and queues one message per wizard to the customer's number,
        whatever number the client sends back"""
        pool = Pool()
        Template = pool.get('delivery.sms.template')
        Gateway = pool.get('delivery.sms.gateway')
        Message = pool.get('delivery.sms.message')
        Send = pool.get('delivery.sms.send', type='wizard')
        company = create_company()
        with set_company(company):
            party = self.customer()
            Gateway.create([{'name': "Kannel", 'section': 'sms_test',
                        'price_per_part': Decimal('0.05')}])
            template, = Template.create([{
                        'name': "Call back", 'purpose': 'transactional',
                        'text': "{customer}: ამანათი მზადაა, {company}"}])
            with Transaction().set_context(
                    active_model='party.party', active_id=party.id,
                    active_ids=[party.id]):
                session_id, start, _ = Send.create()
                send = Send(session_id)
                defaults = send.default_start(None)
                self.assertEqual(defaults['number'], MOBILE)
                send.start.company = company
                send.start.party = party
                send.start.number = defaults['number']
                send.start.purpose = 'transactional'
                send.start.template = template
                send.start.on_change_template()
                self.assertEqual(send.start.text,
                    "Customer: ამანათი მზადაა, " + company.party.name)
                self.assertEqual(
                    (send.start.encoding, send.start.parts), ('ucs2', 1))
                self.assertEqual(send.start.cost, Decimal('0.05'))
                self.assertEqual(send.start.gateway, "Kannel")
                self.assertIsNone(send.start.warning)
                send.start.purpose = 'marketing'
                send.start.on_change_purpose()
                self.assertTrue(send.start.warning)
                send.start.purpose = 'transactional'
                # a forged number is not used
                send.start.number = '+995555000000'
                send.transition_send()
                send.transition_send()
            message, = Message.search([])
            self.assertEqual(
                (message.number, message.party, message.state),
                (MOBILE, party, 'queued'))

    @with_transaction()
    def test_order_notifications(self):
        """An order event queues the company's notification once, filled
        from the order, in the customer's language; a second failed
        attempt is a new message; events without a notification send
        nothing"""
        pool = Pool()
        Template = pool.get('delivery.sms.template')
        Notification = pool.get('delivery.sms.notification')
        Message = pool.get('delivery.sms.message')
        Order = pool.get('delivery.order')
        Leg = pool.get('delivery.order.leg')
        company = create_company()
        with set_company(company):
            customer = self.customer()
            order, = Order.create([{
                        'customer': customer.id,
                        'sender_name': "Sender", 'recipient_name': "Nino",
                        'recipient_phone': '+995 555 12 34 99',
                        'pickup_city': "Tbilisi", 'delivery_city': "Tbilisi",
                        'delivery_start': dt.datetime(2026, 12, 7, 8),
                        'delivery_end': dt.datetime(2026, 12, 7, 11),
                        }])
            out, failed = Template.create([{
                        'name': "Out", 'text': "{customer}, {order}: {window}"
                        }, {
                        'name': "Failed", 'text': "{order} failed"}])
            Notification.create([
                    {'event': 'out_for_delivery', 'template': out.id},
                    {'event': 'failed', 'template': failed.id},
                    ])
            Order.log_events([order], 'confirmed')
            self.assertEqual(Message.search_count([]), 0)
            # an intercity parcel leaving for the hub is not out for
            # delivery; on its last leg it is, once
            first, last = Leg.create([
                    {'order': order.id, 'kind': 'pickup', 'sequence': 1,
                        'state': 'in_progress'},
                    {'order': order.id, 'kind': 'last_mile', 'sequence': 2,
                        'state': 'waiting'},
                    ])
            Order.log_events([order], 'picked_up')
            self.assertEqual(Message.search_count([]), 0)
            Leg.write([first], {'state': 'done'})
            Leg.write([last], {'state': 'in_progress'})
            order = Order(order.id)
            Order.log_events([order], 'in_transit')
            Order.log_events([order], 'in_transit')
            message, = Message.search([])
            self.assertEqual(message.number, '+995555123499')
            self.assertEqual(message.order, order)
            self.assertEqual(message.party, customer)
            self.assertEqual(message.text,
                f"Nino, {order.number or ''}: 07.12 08:00–11:00")
            Order.log_events([order], 'failed')
            Order.write([order], {'failed_attempts': 1})
            Order.log_events([order], 'failed')
            self.assertEqual(Message.search_count([]), 3)

    @with_transaction()
    def test_georgian_is_complete(self):
        "Every text of the module that a user sees has its Georgian"
        import os

        import polib
        Translation = Pool().get('ir.translation')
        english = polib.pofile(
            Translation.translation_export('en', 'delivery_sms').decode())
        georgian = polib.pofile(os.path.join(
                os.path.dirname(__file__), '..', 'locale', 'ka.po'))
        translated = {(e.msgctxt, e.msgid) for e in georgian
            if e.msgstr and 'fuzzy' not in e.flags}
        missing = sorted({(e.msgctxt, e.msgid) for e in english}
            - translated)
        self.assertFalse(missing, "add them to locale/ka.po")

    @with_transaction()
    def test_route_and_fallback(self):
        "Gateways by purpose, then their fallbacks; a cycle is refused"
        pool = Pool()
        Gateway = pool.get('delivery.sms.gateway')
        company = create_company()
        with set_company(company):
            backup, = Gateway.create([{'name': "Backup", 'section': 'b'}])
            main, = Gateway.create([{'name': "Main", 'section': 'a',
                        'purpose': 'transactional', 'fallback': backup.id}])
            bulk, = Gateway.create([{'name': "Bulk", 'section': 'c',
                        'purpose': 'marketing'}])
            self.assertEqual(
                Gateway.route(company.id, 'transactional'), [main, backup])
            self.assertEqual(Gateway.route(company.id, 'marketing'), [bulk])
            with self.assertRaises(Exception):
                Gateway.write([backup], {'fallback': main.id})
            self.assertFalse(main.configured)
            # not configured: held, nothing lost
            message = Pool().get('delivery.sms.message').queue([
                    self.request(company, 'k')])[0]
            self.assertEqual(main.submit(message).outcome, gateways.HELD)


del ModuleTestCase
