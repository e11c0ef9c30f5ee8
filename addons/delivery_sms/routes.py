# This file is part of the Delivery CRM for Tryton.
"""The URLs the SMS gateways call back.

    GET|POST /<database>/delivery/sms/dlr/<message id>?sig=..&status=%d&answer=%A
    GET|POST /<database>/delivery/sms/mo/<gateway id>?sig=..&from=%p&text=%a
    GET|POST /<database>/delivery/sms/stop/<token>   (opt-out link)

Each URL carries a keyed hash (``sig``) of what it names, made with the
``delivery.sms.key`` secret, so that nobody else can report a delivery or
send a reply in a customer's name. Both answer 200 with an empty body
(Kannel then sends no automatic reply), 403 to a bad signature, 400 to a
report it cannot read, 404 to a database without the module.
"""
import html

from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import gateways


def _params(request):
    params = dict(request.args.items())
    if request.method == 'POST':
        params.update(request.form.items())
    return params


def _models(pool):
    try:
        return (pool.get('delivery.sms.message'),
            pool.get('delivery.sms.gateway'), pool.get('delivery.sms.key'))
    except KeyError:
        return None


@app.route('/<database_name>/delivery/sms/dlr/<int:message_id>',
    methods={'GET', 'POST'})
@with_pool
@with_transaction(readonly=False, context={'_check_access': False})
def delivery_report(request, pool, message_id):
    models = _models(pool)
    if not models:
        return Response(status=HTTPStatus.NOT_FOUND)
    Message, _, Key = models
    params = _params(request)
    if not gateways.check(Key.get_secret(), params.get('sig'),
            'dlr', message_id):
        return Response(status=HTTPStatus.FORBIDDEN)
    try:
        state = gateways.KANNEL_DLR[int(params.get('status', ''))]
    except (KeyError, ValueError):
        return Response("unknown status", status=HTTPStatus.BAD_REQUEST)
    message = Message.report(message_id, state, params.get('answer'))
    if message is None:
        return Response(status=HTTPStatus.NOT_FOUND)
    return Response(status=HTTPStatus.OK)


@app.route('/<database_name>/delivery/sms/mo/<int:gateway_id>',
    methods={'GET', 'POST'})
@with_pool
@with_transaction(readonly=False, context={'_check_access': False})
def reply(request, pool, gateway_id):
    models = _models(pool)
    if not models:
        return Response(status=HTTPStatus.NOT_FOUND)
    Message, Gateway, Key = models
    params = _params(request)
    if not gateways.check(Key.get_secret(), params.get('sig'),
            'mo', gateway_id):
        return Response(status=HTTPStatus.FORBIDDEN)
    found = Gateway.search([('id', '=', gateway_id)])
    if not found or not params.get('from'):
        return Response(status=HTTPStatus.BAD_REQUEST)
    gateway, = found
    Message.receive(gateway, params['from'], params.get('text') or '')
    return Response(status=HTTPStatus.OK)


@app.route('/<database_name>/delivery/sms/stop/<token>',
    methods={'GET', 'POST'})
@with_pool
@with_transaction(readonly=False, context={'_check_access': False})
def opt_out(request, pool, token):
    """The page of an opt-out link: a GET asks (link previewers open it
    too), the button's POST blocks the number for marketing"""
    from trytond.modules.delivery_crm.routes import (
        choose_language, respond)
    try:
        OptOut = pool.get('delivery.sms.optout')
        Consent = pool.get('delivery.sms.consent')
        Message = pool.get('delivery.sms.message')
    except KeyError:
        return Response(status=HTTPStatus.NOT_FOUND)
    found = OptOut.search([('token', '=', token)], limit=1) if (
        0 < len(token) <= 64) else []
    party = Message.party_of(found[0].number) if found else None
    lang = choose_language(request)
    if 'lang' not in request.args and party and party.lang and (
            party.lang.code in {'en', 'ka'}):
        lang = party.lang.code
    with Transaction().set_context(language=lang):
        title = html.escape(gettext('delivery_sms.msg_optout_title'))
        if not found:
            body = html.escape(gettext('delivery_sms.msg_optout_unknown'))
            return respond(lang, title, f'<p class="card">{body}</p>',
                status=HTTPStatus.NOT_FOUND)
        entry, = found
        if request.method == 'POST':
            Consent.record(entry.company.id, entry.number, 'marketing',
                'opt_out', 'link', party=party.id if party else None,
                source=gettext('delivery_sms.msg_optout_title'))
            body = html.escape(gettext('delivery_sms.msg_optout_done'))
            return respond(lang, title, f'<p class="card">{body}</p>')
        question = html.escape(gettext('delivery_sms.msg_optout_question'))
        button = html.escape(gettext('delivery_sms.msg_optout_button'))
        body = (f'<form class="card" method="post" action="?lang={lang}">'
            f'<p>{question}</p><button type="submit">{button}</button>'
            '</form>')
        return respond(lang, title, body, form_action="'self'")
