# This file is part of the Delivery CRM for Tryton.
"A minimal JSON-RPC client for a trytond server, as sao talks to it"
import base64
import json
import urllib.error
import urllib.request


class RPCError(Exception):
    "An error answered by the server: a user error or anything else"

    @property
    def error(self):
        return self.args[0] if self.args else None

    @property
    def is_user_error(self):
        """True for an error made for a user (UserError, AccessError...): a
        message and a description, and no Python traceback"""
        error = self.error
        return (isinstance(error, list) and len(error) == 2
            and error[0] == 'UserError' and isinstance(error[1], list))

    @property
    def message(self):
        "The message a user reads"
        if self.is_user_error:
            return self.error[1][0]
        return str(self.error)


def post(rpc_url, method, params, authorization=None):
    "The result of method called with params at rpc_url, or RPCError"
    data = json.dumps(
        {'id': 1, 'method': method, 'params': list(params)}).encode()
    request = urllib.request.Request(rpc_url, data=data,
        headers={'Content-Type': 'application/json'})
    if authorization:
        request.add_header('Authorization', authorization)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as exc:
        raise RPCError(f'HTTP {exc.code} on {method}') from exc
    if answer.get('error'):
        raise RPCError(answer['error'])
    return answer['result']


def anonymous_call(url, database, method, *params):
    "A call without a session, as sao's login dialog makes them"
    return post(f'{url}/{database}/rpc/', method, params)


class Session:

    def __init__(self, url, database, login, password, language='en'):
        self.url = f'{url}/{database}/rpc/'
        self.authorization = None
        uid, token, *_ = self.call('common.db.login',
            login, {'password': password}, language)
        self.uid = uid
        self.authorization = 'Session ' + base64.b64encode(
            f'{login}:{uid}:{token}'.encode()).decode()
        self.context = self.call('model.res.user.get_preferences', True, {})

    def call(self, method, *params):
        return post(self.url, method, params, self.authorization)

    def model(self, model, method, *args):
        return self.call(f'model.{model}.{method}', *args, self.context)

    def wizard(self, name, model, records, button, values):
        """Run the wizard name on the records (ids) of model: its first view
        filled with values, then its button"""
        context = dict(self.context, active_model=model, active_ids=records,
            active_id=records[0] if records else None)
        sid, start, _ = self.call(f'wizard.{name}.create', context)
        self.call(f'wizard.{name}.execute', sid, {}, start, context)
        return self.call(f'wizard.{name}.execute', sid, {start: values},
            button, context)

    def contact_task(self, employee, date, name):
        """An open contact task of employee on date for a new customer
        called name, made as the head of department makes one: the
        customer, the day's list built again, the task reassigned"""
        hub, = self.model('company.employee', 'read', [employee], ['hub'])
        party, = self.model('party.party', 'create', [{
                    'name': name, 'delivery_customer': True,
                    'branch': hub['hub']}])
        day = {'__class__': 'date', 'year': date.year, 'month': date.month,
            'day': date.day}
        self.wizard('delivery.contact.day', 'delivery.contact.task', [],
            'build', {'company': self.context['company'], 'date': day})
        task, = self.model('delivery.contact.task', 'search', [
                ('party', '=', party), ('date', '=', day)], 0, 1, None)
        self.wizard('delivery.contact.task.reassign', 'delivery.contact.task',
            [task], 'reassign', {'employee': employee,
                'company': self.context['company']})
        return task
