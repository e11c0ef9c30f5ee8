# This file is part of the Delivery CRM for Tryton.
"A minimal JSON-RPC client for a trytond server, as sao talks to it"
import base64
import json
import urllib.error
import urllib.request


class RPCError(Exception):
    pass


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
        data = json.dumps(
            {'id': 1, 'method': method, 'params': list(params)}).encode()
        request = urllib.request.Request(self.url, data=data,
            headers={'Content-Type': 'application/json'})
        if self.authorization:
            request.add_header('Authorization', self.authorization)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as exc:
            raise RPCError(f'HTTP {exc.code} on {method}') from exc
        if answer.get('error'):
            raise RPCError(answer['error'])
        return answer['result']

    def model(self, model, method, *args):
        return self.call(f'model.{model}.{method}', *args, self.context)
