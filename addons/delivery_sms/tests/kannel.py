# This file is part of the Delivery CRM for Tryton.
"""A real Kannel SMS gateway on loopback, for tests (stdlib only).

Debian's ``kannel`` (1.4.5) and ``kannel-extras`` (its test tools) provide
the three programs started here, each a process of its own, all bound to
127.0.0.1 on free ports picked at start::

    test ──HTTP sendsms──> smsbox ──box protocol──> bearerbox ──> fakesmsc
         <──dlr-url, get-url──┘                    (smsc = fake)  (operator)

- ``bearerbox`` holds the operator link: a ``group = smsc`` of type
  ``fake`` listening on ``smsc_port`` for fakesmsc; its admin HTTP port
  (``status.txt``) tells when the link and smsbox are up.
- ``smsbox`` serves the HTTP ``sendsms`` API on ``sendsms_port`` (users:
  ``username``/``password``), calls each message's ``dlr-url`` with the
  delivery reports, and calls ``mo_url`` (the ``get-url`` of the default
  ``sms-service``, with ``max-messages = 0`` so that no automatic reply is
  sent) with each reply (MO) of a customer.
- ``fakesmsc`` (``/usr/lib/kannel/test/fakesmsc``) plays the operator: it
  logs each message (MT) it receives, one line "<from> <to> <type> <data>",
  read back by ``mt_messages()``; started without messages on its command
  line it is interactive and sends each line written to its standard input
  as an MO: ``inject_mo()``.

What the fake link does: each MT is acknowledged at once, so a message
with ``dlr-mask=31`` gets its delivery reports 8 (SMSC ACK) and 1
(delivered) within milliseconds of the sendsms answer; smsbox calls the
dlr-url twice side by side, so 1 may arrive before 8. fakesmsc, waiting
on its stdin with a timeout of 1 s, reads the link up to a second late:
``wait_mt()`` waits for a message. A UCS-2 MT (``coding=2``) shows up in
fakesmsc's log as type ``ucs-2`` with the UTF-16BE bytes URL-encoded (a
``+`` being the byte 0x20); ``mt_messages()`` decodes it. A long message
arrives as parts "udh <UDH> data <bytes>" (UTF-16BE for UCS-2, UTF-8 for
GSM-7 text): ``mt_parts()`` gives them, ``mt_messages()`` joins them.
smsbox runs with ``mo-recode = true`` (``mo_recode``): a reply sent in
UCS-2 (``inject_mo`` of non-ASCII text) reaches ``mo_url`` as UTF-8;
without it ``%a`` would carry the raw UTF-16 bytes.

The configuration, the logs and the output of the programs are in a
temporary directory (``directory``), removed by ``stop()``::

    with Kannel(mo_url='http://127.0.0.1:8000/mo?from=%p&text=%a') as kannel:
        urlopen(kannel.sendsms_url + '?' + urlencode({...}))
        kannel.wait_mt(1)
        kannel.inject_mo('995555123456', '91234', 'STOP')

``available()`` tells whether the programs are installed (``make kannel``
installs them), for tests to skip with its reason.
"""
import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

__all__ = [
    'Kannel', 'KannelError', 'available', 'parse_line', 'join_parts']

BEARERBOX = '/usr/sbin/bearerbox'
SMSBOX = '/usr/sbin/smsbox'
FAKESMSC = '/usr/lib/kannel/test/fakesmsc'
HOST = '127.0.0.1'
# fakesmsc reads its standard input with fgets() into a buffer of 256 bytes
MAX_MO_LINE = 254
POLL = 0.05

_GOT = re.compile(r'Got message \d+: <(.*)>$')
_SENT = re.compile(r'fakesmsc: sent message (\d+)$')


def available():
    "(True, '') when Kannel can run here, else (False, the reason)"
    missing = [p for p in (BEARERBOX, SMSBOX, FAKESMSC)
        if not os.access(p, os.X_OK)]
    if missing:
        return False, ("Kannel is not installed (%s missing): "
            "run make kannel (apt-get install kannel kannel-extras)"
            % ', '.join(missing))
    return True, ''


class KannelError(RuntimeError):
    pass


def _free_ports(count):
    "count distinct free TCP ports of the loopback"
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _quote_config(value):
    value = str(value)
    if any(c in value for c in '"\\\r\n'):
        raise ValueError(f"cannot write {value!r} in Kannel's configuration")
    return f'"{value}"'


def _url_bytes(data):
    "Kannel's URL encoding (octstr_url_encode: a space is '+') to bytes"
    return urllib.parse.unquote_to_bytes(data.replace('+', ' '))


def _guess_text(data):
    """The text of bytes whose coding the line does not tell (types data
    and udh): Kannel keeps GSM-7 text as UTF-8, UCS-2 as UTF-16BE; UTF-16
    of Latin or Georgian text is not UTF-8 without control characters
    (it holds bytes 0x00 or 0x10)"""
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        pass
    else:
        if not any(ord(c) < 32 and c not in '\t\n\r' for c in text):
            return text
    if len(data) % 2 == 0:
        try:
            return data.decode('utf-16-be')
        except UnicodeDecodeError:
            pass
    return data.decode('latin-1')


def _concatenation(udh):
    "(reference, total, number) of a concatenated part's UDH, or None"
    i = 1
    while udh and i + 1 < len(udh):
        iei, length = udh[i], udh[i + 1]
        value = udh[i + 2:i + 2 + length]
        if iei == 0x00 and length == 3 and len(value) == 3:
            return value[0], value[1], value[2]
        if iei == 0x08 and length == 4 and len(value) == 4:
            return value[0] << 8 | value[1], value[2], value[3]
        i += 2 + length
    return None


def parse_line(line):
    """A message line of fakesmsc (Kannel 1.4.5's smsc_fake) as a dict:
    sender, receiver, type, data (bytes), text (decoded), udh (bytes or
    None), raw (the line)

    Kannel writes "<from> <to> <type> <data>" with type text (printable
    text, as is, UTF-8), data (URL-encoded bytes), ucs-2 (URL-encoded
    UTF-16BE, '+' is the byte 0x20) or, for a part of a concatenated
    message, "<from> <to> udh <URL-encoded UDH> data <URL-encoded bytes>"
    (UTF-8 for GSM-7 text, UTF-16BE for UCS-2: not told apart)."""
    fields = line.split(' ', 3)
    message = {
        'sender': fields[0] if fields else '',
        'receiver': fields[1] if len(fields) > 1 else '',
        'type': fields[2] if len(fields) > 2 else '',
        'udh': None,
        'raw': line,
        }
    kind, rest = message['type'], fields[3] if len(fields) > 3 else ''
    if kind in {'udh', 'udh-data', 'udh-text'}:
        head, _, rest = rest.partition(' ')
        message['udh'] = _url_bytes(head)
        inner, _, data = rest.partition(' ')
        if inner in {'data', 'text', 'ucs-2', 'ucs2'} and data:
            kind, rest = inner, data
    elif kind in {'dlr-mask', 'route'}:
        _, _, rest = rest.partition(' ')
        kind = 'text'
    if kind in {'ucs-2', 'ucs2'}:
        message['data'] = _url_bytes(rest)
        message['text'] = message['data'].decode('utf-16-be', 'replace')
    elif kind == 'text':
        message['data'] = rest.encode('utf-8')
        message['text'] = rest
    else:
        message['data'] = _url_bytes(rest)
        message['text'] = _guess_text(message['data'])
    return message


def join_parts(parts):
    """The messages of parse_line()'s parts: the parts of a concatenated
    message (its UDH) joined in one message, with parts (their number)
    and raw (their lines); the others as they are, with parts 1"""
    messages, pending = [], {}
    for part in parts:
        concat = _concatenation(part['udh'])
        if not concat:
            messages.append(dict(part, parts=1))
            continue
        reference, total, number = concat
        key = (part['sender'], part['receiver'], reference, total)
        if key not in pending:
            pending[key] = {}
            messages.append(key)
        pending[key][number] = part
        if len(pending[key]) == total:
            chunks = [pending[key][n] for n in sorted(pending[key])]
            data = b''.join(c['data'] for c in chunks)
            text = (data.decode('utf-16-be', 'replace')
                if chunks[0]['type'] in {'ucs-2', 'ucs2'}
                else _guess_text(data))
            messages[messages.index(key)] = dict(chunks[0],
                data=data, text=text, parts=total,
                raw='\n'.join(c['raw'] for c in chunks))
            del pending[key]
    # the messages still missing parts are not given yet
    return [m for m in messages if isinstance(m, dict)]


class Kannel:
    """bearerbox, smsbox and fakesmsc on free ports of 127.0.0.1

    mo_url: the get-url of the sms-service receiving the replies (MO),
    with Kannel's escapes (%p sender, %P receiver, %a text, ...); None:
    replies are dropped. username, password: the sendsms user; sender:
    the number used when a sendsms request has no ``from``. mo_recode:
    smsbox's mo-recode, a UCS-2 reply reaches mo_url as UTF-8 (%a) rather
    than as UTF-16 bytes. timeout: the seconds start() waits for the three
    programs to be ready."""

    def __init__(self, mo_url=None, username='tester', password=None,
            sender='91234', mo_recode=True, timeout=20.0):
        self.mo_url = mo_url
        self.mo_recode = mo_recode
        self.username = username
        self.password = password or os.urandom(8).hex()
        self.admin_password = os.urandom(8).hex()
        self.sender = sender
        self.timeout = timeout
        self.host = HOST
        self.directory = None
        self.admin_port = self.smsbox_port = None
        self.smsc_port = self.sendsms_port = None
        self.processes = {}
        self._files = []
        self._mo_sent = 0

    def reserve_sendsms_port(self):
        """Choose the sendsms port before start(), for a program that
        must know base_url before Kannel starts; return base_url"""
        if self.processes:
            raise KannelError("Kannel is already started")
        self.sendsms_port, = _free_ports(1)
        return self.base_url

    # URLs
    @property
    def sendsms_url(self):
        "The URL of smsbox's sendsms (add ?username=..&password=..&to=..)"
        return f'http://{self.host}:{self.sendsms_port}/cgi-bin/sendsms'

    @property
    def base_url(self):
        "The base of smsbox's sendsms port, as gateways.KannelHTTP takes it"
        return f'http://{self.host}:{self.sendsms_port}'

    @property
    def status_url(self):
        return (f'http://{self.host}:{self.admin_port}/status.txt?'
            + urllib.parse.urlencode({'password': self.admin_password}))

    # life
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()
        return False

    def start(self):
        ok, reason = available()
        if not ok:
            raise KannelError(reason)
        if self.processes:
            raise KannelError("Kannel is already started")
        self.directory = tempfile.mkdtemp(prefix='kannel-')
        # stopped at the exit of Python if the tests forget it
        atexit.register(self.stop)
        (self.admin_port, self.smsbox_port, self.smsc_port,
            sendsms_port) = _free_ports(4)
        # chosen before (reserve_sendsms_port()) or now
        self.sendsms_port = self.sendsms_port or sendsms_port
        config = self.path('kannel.conf')
        with open(config, 'w') as file:
            file.write(self.configuration())
        deadline = time.monotonic() + self.timeout
        self._spawn('bearerbox', [BEARERBOX, '-v', '2', config])
        self._wait(deadline, "bearerbox's admin port",
            lambda: self.status() is not None)
        self._spawn('smsbox', [SMSBOX, '-v', '2', config])
        # interactive: no message on the command line, MOs from stdin; no
        # pause between messages (-i 0)
        self._spawn('fakesmsc', [FAKESMSC, '-H', self.host,
                '-r', str(self.smsc_port), '-i', '0'], stdin=True)
        self._wait(deadline, "the fake SMSC link and smsbox",
            self._ready)
        self._wait(deadline, "smsbox's sendsms port", self._sendsms_up)
        return self

    def stop(self):
        "Stop every program (fakesmsc, smsbox, bearerbox), remove the files"
        order = ['fakesmsc', 'smsbox', 'bearerbox']
        for name in order:
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            try:
                # fakesmsc ends on SIGINT (it crashes on the end of stdin)
                process.send_signal(
                    signal.SIGINT if name == 'fakesmsc' else signal.SIGTERM)
            except ProcessLookupError:
                pass
        for name in order:
            process = self.processes.get(name)
            if process is None:
                continue
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdin:
                try:
                    process.stdin.close()
                except OSError:
                    pass
        self.processes = {}
        atexit.unregister(self.stop)
        for file in self._files:
            file.close()
        self._files = []
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def path(self, name):
        return os.path.join(self.directory, name)

    def configuration(self):
        "The text of kannel.conf (bearerbox and smsbox)"
        q = _quote_config
        lines = [
            'group = core',
            f'admin-port = {self.admin_port}',
            f'admin-interface = {self.host}',
            f'admin-password = {q(self.admin_password)}',
            f'admin-allow-ip = {self.host}',
            f'smsbox-port = {self.smsbox_port}',
            f'smsbox-interface = {self.host}',
            f'box-allow-ip = {self.host}',
            f'log-file = {q(self.path("bearerbox.log"))}',
            'log-level = 0',
            'dlr-storage = internal',
            '',
            'group = smsc',
            'smsc = fake',
            'smsc-id = fake',
            f'port = {self.smsc_port}',
            # the listener of the fake link binds our-host (else 0.0.0.0)
            f'our-host = {self.host}',
            f'connect-allow-ip = {self.host}',
            '',
            'group = smsbox',
            f'bearerbox-host = {self.host}',
            f'bearerbox-port = {self.smsbox_port}',
            f'sendsms-port = {self.sendsms_port}',
            f'sendsms-interface = {self.host}',
            f'log-file = {q(self.path("smsbox.log"))}',
            'log-level = 0',
            f'mo-recode = {"true" if self.mo_recode else "false"}',
            '',
            'group = sendsms-user',
            f'username = {q(self.username)}',
            f'password = {q(self.password)}',
            f'default-sender = {q(self.sender)}',
            'concatenation = true',
            'max-messages = 10',
            '',
            # every reply goes to the default service; max-messages = 0:
            # no automatic reply
            'group = sms-service',
            'keyword = default',
            'max-messages = 0',
            ]
        if self.mo_url:
            lines.append(f'get-url = {q(self.mo_url)}')
        else:
            lines += ['text = "-"', 'omit-empty = true']
        return '\n'.join(lines) + '\n'

    def _spawn(self, name, command, stdin=False):
        output = open(self.path(f'{name}.out'), 'wb')
        self._files.append(output)
        self.processes[name] = subprocess.Popen(
            command, cwd=self.directory,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=output, stderr=subprocess.STDOUT)
        # in the process group of the tests (no new session): a runner
        # that kills the group of a suite (tests/run.py) kills them too

    def _wait(self, deadline, what, ready):
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise KannelError(
                        f"{name} exited ({process.returncode}) while "
                        f"waiting for {what}\n{self.log_tails()}")
            if ready():
                return
            if time.monotonic() > deadline:
                raise KannelError(
                    f"Kannel not ready after {self.timeout:g} s (waiting "
                    f"for {what})\n{self.log_tails()}")
            time.sleep(POLL)

    def status(self):
        "bearerbox's status.txt or None"
        try:
            with urllib.request.urlopen(self.status_url, timeout=2) as r:
                return r.read().decode('utf-8', 'replace')
        except (OSError, ValueError):
            return None

    def _ready(self):
        status = self.status() or ''
        smscs = status.partition('SMSC connections:')[2]
        boxes = status.partition('Box connections:')[2].partition(
            'SMSC connections:')[0]
        return (re.search(r'\(online', smscs) is not None
            and 'smsbox' in boxes)

    def _sendsms_up(self):
        try:
            with socket.create_connection(
                    (self.host, self.sendsms_port), timeout=1):
                return True
        except OSError:
            return False

    # logs
    def read(self, name):
        "The text of a file of the directory ('' when missing)"
        try:
            with open(self.path(name), 'rb') as file:
                return file.read().decode('utf-8', 'replace')
        except (OSError, TypeError):
            return ''

    def log_tails(self, lines=15):
        tails = []
        for name in ['bearerbox.log', 'bearerbox.out', 'smsbox.log',
                'smsbox.out', 'fakesmsc.out']:
            text = self.read(name).splitlines()[-lines:]
            tails.append(f'--- {name}\n' + '\n'.join(text))
        return '\n'.join(tails)

    def _fakesmsc_lines(self):
        if not self.directory:
            return []
        with open(self.path('fakesmsc.out'), 'rb') as file:
            data = file.read()
        # only whole lines: the last one may still be written
        return [line.decode('utf-8', 'replace')
            for line in data.split(b'\n')[:-1]]

    # the operator's side
    def mt_parts(self):
        """Each message (SMS) fakesmsc received, in order: parse_line()'s
        dicts (sender, receiver, type, data, text, udh, raw)"""
        parts = []
        for line in self._fakesmsc_lines():
            match = _GOT.search(line)
            if match:
                parts.append(parse_line(match.group(1)))
        return parts

    def mt_messages(self):
        """The messages fakesmsc received, in order, the parts of a long
        one joined: dicts with sender, receiver, text (decoded), type
        ('text', 'data', 'ucs-2' or 'udh'), data (bytes), udh (bytes or
        None), parts (how many SMS) and raw (the lines)"""
        return join_parts(self.mt_parts())

    def wait_mt(self, count=1, timeout=10.0, **match):
        """The MT messages (mt_messages()) with the values of match (e.g.
        text='...', receiver='...') once fakesmsc has received at least
        count of them"""
        deadline = time.monotonic() + timeout
        while True:
            messages = [m for m in self.mt_messages()
                if all(m.get(k) == v for k, v in match.items())]
            if len(messages) >= count:
                return messages
            if time.monotonic() > deadline:
                raise KannelError(
                    f"fakesmsc received {len(messages)} messages "
                    f"{match or ''}, not {count}, in {timeout:g} s\n"
                    f"{self.log_tails()}")
            time.sleep(POLL)

    def inject_mo(self, sender, receiver, text, coding=None, timeout=5.0):
        """Send text from sender to receiver (a reply, MO) as the operator
        does; returns once fakesmsc has sent it to bearerbox.

        coding: 'text' (the text as is, UTF-8: GSM-7 for Kannel), 'ucs2'
        (URL-encoded UTF-16BE: UCS-2, as a phone sends Georgian) or None:
        text for printable ASCII, else ucs2. A line has at most 254 bytes
        (fakesmsc's buffer): some 40 Georgian letters in ucs2.

        fakesmsc reads stdin line by line through a stdio buffer: a second
        line written before the first is consumed would wait in the
        buffer, so each call waits for fakesmsc's "sent"."""
        process = self.processes.get('fakesmsc')
        if process is None or process.poll() is not None:
            raise KannelError("fakesmsc is not running")
        for value in (sender, receiver):
            if not value or not re.fullmatch(r'\+?\w+', str(value)):
                raise ValueError(f"not a number for fakesmsc: {value!r}")
        if not text or any(c in text for c in '\r\n'):
            raise ValueError("fakesmsc takes a non-empty single line")
        if coding is None:
            coding = ('text' if text.isascii() and text.isprintable()
                and text == text.strip() else 'ucs2')
        if coding not in {'text', 'ucs2'}:
            raise ValueError(f"coding is 'text' or 'ucs2', not {coding!r}")
        if coding == 'text':
            line = f'{sender} {receiver} text {text}'
        else:
            line = f'{sender} {receiver} ucs2 ' + urllib.parse.quote(
                text.encode('utf-16-be'), safe='')
        data = (line + '\n').encode('utf-8')
        if len(data) > MAX_MO_LINE:
            raise ValueError(
                f"MO line too long for fakesmsc ({len(data)} bytes, at "
                f"most {MAX_MO_LINE}): {line!r}")
        expected = self._mo_sent + 1
        process.stdin.write(data)
        process.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            sent = [int(m.group(1)) for m in map(_SENT.search,
                    self._fakesmsc_lines()) if m]
            if sent and max(sent) >= expected:
                self._mo_sent = expected
                return
            if time.monotonic() > deadline or process.poll() is not None:
                raise KannelError(
                    f"fakesmsc did not send the MO {line!r}\n"
                    f"{self.log_tails()}")
            time.sleep(POLL)
