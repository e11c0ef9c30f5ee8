# This file is part of the Delivery CRM for Tryton.
"""What an SMS gateway answers and how a message's state moves; free of
the ORM.

- ``KannelHTTP`` submits a message to Kannel's smsbox (``sendsms``) and
  tells apart what happened: *accepted*; *temporary* (nothing was sent:
  the gateway is down or busy, try again later); *held* (the gateway
  refuses our credentials: nothing is sent until an administrator fixes
  the configuration, then it goes); *permanent* (this message can never be
  sent: a bad number); *ambiguous* (the request left, the answer did not
  come back: the message may have been sent, so it is never submitted
  again automatically, its delivery report decides).
- ``advance`` moves a state only forward, so that delivery reports
  repeated, out of order or arriving before the submit's answer leave the
  most advanced state in place.
"""
import hashlib
import hmac
import http.client
import socket
import urllib.parse
from dataclasses import dataclass

from .encoding import segment

ACCEPTED, TEMPORARY, HELD, PERMANENT, AMBIGUOUS = (
    'accepted', 'temporary', 'held', 'permanent', 'ambiguous')

# the states of a message (sms.message) and how far each is: a state
# replaces another only when its rank is higher; final states have the
# highest rank and never change
RANK = {
    'queued': 0,
    'sending': 1,
    'uncertain': 2,
    'submitted': 2,
    'accepted': 3,
    'buffered': 4,
    'delivered': 9,
    'failed': 9,
    'rejected': 9,
    'blocked': 9,
    'received': 9,
    }
FINAL = frozenset(s for s, r in RANK.items() if r == max(RANK.values()))

# Kannel's delivery report types (%d of the dlr-url)
KANNEL_DLR = {
    1: 'delivered',
    2: 'failed',
    4: 'buffered',
    8: 'accepted',
    16: 'rejected',
    }
# the mask asking Kannel for all of them
KANNEL_DLR_MASK = 31


def advance(current, new):
    "The state after new is reported for a message in current"
    if new not in RANK:
        return current
    if current is None or RANK[new] > RANK.get(current, -1):
        return new
    return current


def sign(secret, *parts):
    "A keyed hash of parts for the URLs the gateways call back"
    message = '\x1f'.join(str(p) for p in parts)
    return hmac.new(
        secret.encode(), message.encode(), hashlib.sha256).hexdigest()[:32]


def check(secret, signature, *parts):
    "Whether signature is sign(secret, *parts)"
    return bool(signature) and hmac.compare_digest(
        sign(secret, *parts), str(signature))


@dataclass(frozen=True)
class Result:
    outcome: str
    detail: str = ''
    external_id: str = ''


class KannelHTTP:
    """Kannel's smsbox sendsms interface

    url: the base of smsbox's sendsms port (http://127.0.0.1:13013);
    the message's id travels in the dlr-url, so that a report is matched to
    its message even before the answer to the submit is stored."""
    path = '/cgi-bin/sendsms'

    def __init__(self, url, username, password, sender='', timeout=10.0):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in {'http', 'https'} or not parsed.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port or (443 if parsed.scheme == 'https' else 80)
        self.prefix = parsed.path.rstrip('/')
        if self.prefix.endswith(self.path):
            self.prefix = self.prefix[:-len(self.path)]
        self.username = username
        self.password = password
        self.sender = sender
        self.timeout = timeout

    def query(self, number, text, dlr_url=None):
        params = [
            ('username', self.username),
            ('password', self.password),
            ('to', number),
            ('text', text),
            ('charset', 'UTF-8'),
            ('coding', '2' if segment(text).encoding == 'ucs2' else '0'),
            ]
        if self.sender:
            params.append(('from', self.sender))
        if dlr_url:
            params += [
                ('dlr-mask', str(KANNEL_DLR_MASK)),
                ('dlr-url', dlr_url),
                ]
        return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)

    def connection(self):
        cls = (http.client.HTTPSConnection if self.scheme == 'https'
            else http.client.HTTPConnection)
        return cls(self.host, self.port, timeout=self.timeout)

    def submit(self, number, text, dlr_url=None):
        "The Result of submitting text to number"
        connection = self.connection()
        try:
            try:
                connection.connect()
            except (OSError, http.client.HTTPException) as error:
                return Result(TEMPORARY, f"cannot connect: {error}")
            try:
                connection.request('GET',
                    f'{self.prefix}{self.path}?'
                    + self.query(number, text, dlr_url))
            except (OSError, http.client.HTTPException) as error:
                # nothing, or not all of the request, reached the gateway
                return Result(TEMPORARY, f"request not sent: {error}")
            try:
                response = connection.getresponse()
                body = response.read(4096).decode('utf-8', 'replace')
            except (OSError, socket.timeout,
                    http.client.HTTPException) as error:
                return Result(AMBIGUOUS, f"no answer: {error}")
        finally:
            connection.close()
        return self.result(response.status, body.strip())

    @staticmethod
    def result(status, body):
        """The Result of sendsms's answer: 202 "0: Accepted for delivery" or
        "3: Queued for later delivery"; 403 bad credentials; 503 a
        temporary failure or a full queue; other 4xx: the message"""
        body = body[:200]
        if status in {200, 202} and body[:2] in {'0:', '3:'}:
            return Result(ACCEPTED, body)
        if status in {401, 403}:
            return Result(HELD, body or f"HTTP {status}")
        if status >= 500 or status in {408, 429}:
            return Result(TEMPORARY, body or f"HTTP {status}")
        if 400 <= status < 500:
            return Result(PERMANENT, body or f"HTTP {status}")
        return Result(AMBIGUOUS, body or f"HTTP {status}")
