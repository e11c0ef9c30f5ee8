# This file is part of the Delivery CRM for Tryton.
"""Opt-out links: ``{optout_link}`` in a marketing message becomes a short
link of the number's own, whose page asks once and then blocks the number
for marketing (an entry of the consent log, channel *Opt-out Link*).

The link carries a random token, never the number; opening it (a GET, as
link previewers and spam filters do) changes nothing: the button on the
page (a POST) does. The token is made when the first message with the
placeholder is queued to the number, and kept for the next ones."""
import secrets
import urllib.parse

from trytond.model import ModelSQL, Unique, fields
from trytond.transaction import Transaction

PLACEHOLDER = '{optout_link}'
# as long as a link: the preview counts parts with it
SAMPLE_TOKEN = 'x' * 16


class OptOut(ModelSQL):
    "SMS Opt-out Link"
    __name__ = 'delivery.sms.optout'
    company = fields.Many2One(
        'company.company', "Company", required=True, ondelete='CASCADE')
    number = fields.Char("Number", required=True)
    token = fields.Char("Token", required=True, strip=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('token_unique', Unique(t, t.token),
                'delivery_sms.msg_optout_unique'),
            ('number_unique', Unique(t, t.company, t.number),
                'delivery_sms.msg_optout_unique'),
            ]

    @classmethod
    def urls(cls, company, numbers):
        "{number: link} for the E.164 numbers of company, made when missing"
        numbers = sorted(set(numbers))
        # nobody reads the links but the server
        with Transaction().set_context(_check_access=False):
            found = {o.number: o.token for o in cls.search([
                        ('company', '=', company),
                        ('number', 'in', numbers),
                        ])}
            missing = [n for n in numbers if n not in found]
            for record in cls.create([{
                            'company': company, 'number': n,
                            'token': secrets.token_urlsafe(12)}
                        for n in missing]):
                found[record.number] = record.token
        return {n: url(t) for n, t in found.items()}


def url(token):
    from .message import callback_base
    database = Transaction().database.name
    return (f'{callback_base()}/{urllib.parse.quote(database)}'
        f'/delivery/sms/stop/{token}')


def sample():
    "A link as long as the real ones, for the preview"
    return url(SAMPLE_TOKEN)
