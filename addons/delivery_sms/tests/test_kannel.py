# This file is part of the Delivery CRM for Tryton.
"""The Kannel harness (tests/kannel.py) speaking Kannel's real protocol:
sendsms, delivery reports to the dlr-url and replies (MO) to the get-url,
received by an HTTP server of the test on 127.0.0.1"""
import http.server
import socket
import threading
import unittest
import urllib.error
import urllib.parse
import urllib.request

from trytond.modules.delivery_sms.tests.kannel import (
    Kannel, available, join_parts, parse_line)

GEORGIAN = 'გამარჯობა, თქვენი ამანათი გზაშია'
CUSTOMER = '995555123456'
SHORT_CODE = '91234'
TIMEOUT = 10


class Callbacks:
    "What Kannel calls: delivery reports (/dlr) and replies (/mo)"

    def __init__(self):
        self.condition = threading.Condition()
        self.requests = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(url.query))
                with recorder.condition:
                    recorder.requests.append((url.path, params))
                    recorder.condition.notify_all()
                # an empty answer: no automatic reply from Kannel
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%s' % self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def matching(self, path, **params):
        return [p for r, p in self.requests if r == path
            and all(p.get(k) == v for k, v in params.items())]

    def wait(self, predicate, what):
        "Wait (on the condition, no sleep) until predicate() is true"
        with self.condition:
            if not self.condition.wait_for(predicate, TIMEOUT):
                raise AssertionError(
                    f"no {what} in {TIMEOUT} s; received {self.requests}")


@unittest.skipUnless(*available())
class KannelTestCase(unittest.TestCase):
    "Kannel (bearerbox, smsbox, fakesmsc) on 127.0.0.1"

    @classmethod
    def setUpClass(cls):
        cls.callbacks = Callbacks()
        cls.addClassCleanup(cls.callbacks.stop)
        cls.kannel = Kannel(
            mo_url=cls.callbacks.url + '/mo?from=%p&to=%P&text=%a')
        cls.kannel.__enter__()
        cls.addClassCleanup(cls.kannel.stop)

    def sendsms(self, text, message_id, ucs2=False):
        params = [
            ('username', self.kannel.username),
            ('password', self.kannel.password),
            ('from', SHORT_CODE),
            ('to', CUSTOMER),
            ('text', text),
            ]
        if ucs2:
            params += [('coding', '2'), ('charset', 'UTF-8')]
        params += [
            ('dlr-mask', '31'),
            ('dlr-url', f'{self.callbacks.url}/dlr'
                f'?msg={message_id}&status=%d'),
            ]
        url = self.kannel.sendsms_url + '?' + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status, response.read().decode()

    def dlr_statuses(self, message_id):
        return [p['status']
            for p in self.callbacks.matching('/dlr', msg=str(message_id))]

    def test_mt_and_delivery_reports(self):
        "A GSM-7 and a Georgian (UCS-2) message reach the operator"
        gsm7 = 'Your parcel #42 is on its way @ 14:00'
        self.assertEqual(self.sendsms(gsm7, 101),
            (202, '0: Accepted for delivery'))
        self.assertEqual(self.sendsms(GEORGIAN, 102, ucs2=True),
            (202, '0: Accepted for delivery'))

        message, = self.kannel.wait_mt(text=gsm7, timeout=TIMEOUT)
        self.assertEqual(message['type'], 'text')
        georgian, = self.kannel.wait_mt(text=GEORGIAN, timeout=TIMEOUT)
        self.assertEqual(georgian['type'], 'ucs-2')
        for message in (message, georgian):
            self.assertEqual(message['sender'], SHORT_CODE)
            self.assertEqual(message['receiver'], CUSTOMER)
            self.assertEqual(message['parts'], 1)

        # the fake link acknowledges (8) then delivers (1) each message
        for message_id in (101, 102):
            self.callbacks.wait(
                lambda: {'8', '1'} <= set(self.dlr_statuses(message_id)),
                f"delivery reports 8 and 1 for {message_id}")
            self.assertEqual(sorted(self.dlr_statuses(message_id)),
                ['1', '8'])

    def test_long_georgian(self):
        "A long UCS-2 message goes in parts that mt_messages joins"
        text = (GEORGIAN + ' ') * 3
        self.assertEqual(self.sendsms(text, 103, ucs2=True)[0], 202)
        message, = self.kannel.wait_mt(text=text, timeout=TIMEOUT)
        self.assertEqual(message['parts'], 2)
        self.assertEqual(message['type'], 'udh')

    def test_reply_stop(self):
        "A reply STOP reaches the get-url with its sender"
        self.kannel.inject_mo('995555000111', SHORT_CODE, 'STOP')
        self.callbacks.wait(
            lambda: self.callbacks.matching('/mo', **{'from': '995555000111'}),
            "reply from 995555000111")
        reply, = self.callbacks.matching('/mo', **{'from': '995555000111'})
        self.assertEqual(reply['text'], 'STOP')
        self.assertEqual(reply['to'], SHORT_CODE)

    def test_reply_georgian(self):
        "A reply in UCS-2 reaches the get-url as UTF-8 (mo-recode)"
        self.kannel.inject_mo('995555000222', SHORT_CODE, 'გაჩერება STOP')
        self.callbacks.wait(
            lambda: self.callbacks.matching('/mo', **{'from': '995555000222'}),
            "reply from 995555000222")
        reply, = self.callbacks.matching('/mo', **{'from': '995555000222'})
        self.assertEqual(reply['text'], 'გაჩერება STOP')

    def test_bad_password(self):
        "sendsms refuses a wrong password"
        params = urllib.parse.urlencode({'username': self.kannel.username,
                'password': 'wrong', 'to': CUSTOMER, 'text': 'x'})
        with self.assertRaises(urllib.error.HTTPError) as context:
            urllib.request.urlopen(
                self.kannel.sendsms_url + '?' + params, timeout=TIMEOUT)
        self.assertEqual(context.exception.code, 403)

    def test_loopback_only(self):
        "Every port of Kannel listens on 127.0.0.1 only"
        ports = [self.kannel.admin_port, self.kannel.smsbox_port,
            self.kannel.smsc_port, self.kannel.sendsms_port]
        listening = set()
        with open('/proc/net/tcp') as file:
            next(file)
            for line in file:
                local, state = line.split()[1], line.split()[3]
                if state == '0A':  # LISTEN
                    address, port = local.split(':')
                    listening.add((address, int(port, 16)))
        for port in ports:
            self.assertIn(('0100007F', port), listening)
            self.assertNotIn(('00000000', port), listening)


@unittest.skipUnless(*available())
class KannelLifeTestCase(unittest.TestCase):
    "Starting and stopping the harness"

    def test_stop(self):
        "stop() ends every process and frees the ports (no mo_url)"
        with Kannel() as kannel:
            processes = list(kannel.processes.values())
            self.assertEqual(len(processes), 3)
            port, directory = kannel.sendsms_port, kannel.directory
        for process in processes:
            self.assertIsNotNone(process.poll())
        self.assertEqual(kannel.processes, {})
        self.assertIsNone(kannel.directory)
        with self.assertRaises(OSError):
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
        self.assertTrue(directory)


class ParseTestCase(unittest.TestCase):
    "fakesmsc's lines"

    def test_text(self):
        message = parse_line('91234 995555123456 text Hello @ world')
        self.assertEqual((message['sender'], message['receiver'],
                message['type'], message['text']),
            ('91234', '995555123456', 'text', 'Hello @ world'))

    def test_ucs2(self):
        # the UTF-16BE bytes URL-encoded, '+' the byte 0x20
        message = parse_line('91234 995555123456 ucs-2 '
            '%10%D2%10%D0%10%DB%10%D0%10%E0%10%EF%10%DD%10%D1%10%D0%00+%00S')
        self.assertEqual(message['text'], 'გამარჯობა S')

    def test_parts(self):
        lines = [
            '1 2 udh %05%00%03%07%02%01 data %10%D0%10%D1',
            '1 2 text between',
            '1 2 udh %05%00%03%07%02%02 data %10%D2',
            '1 2 udh %05%00%03%08%02%01 data %E2%82%ACab',
            '1 2 udh %05%00%03%08%02%02 data cd',
            ]
        messages = join_parts([parse_line(line) for line in lines])
        self.assertEqual([(m['text'], m['parts']) for m in messages],
            [('აბგ', 2), ('between', 1), ('€abcd', 2)])


if __name__ == '__main__':
    unittest.main()
