# This file is part of the Delivery CRM for Tryton.
"""The web client's custom.js and custom.css (sao loads both on every page,
before the login): the static/sao/custom.js and custom.css files of the
Delivery CRM modules installed on the server, in the order of MODULES.

    GET /custom.js
    GET /custom.css

The files of [web] root come first (trytond's static middleware): a
custom.js put there by an administrator replaces ours.  Nothing here
depends on a database: the scripts look at the model of the current tab
before doing anything, so they do nothing where a module is not activated.
"""
import hashlib
import importlib.util
from pathlib import Path

from trytond.protocols.wrappers import HTTPStatus, Response
from trytond.wsgi import app

MODULES = [
    'delivery_crm', 'delivery_courier_routes', 'delivery_sms',
    'delivery_payroll']
TYPES = {
    'js': 'text/javascript; charset=utf-8',
    'css': 'text/css; charset=utf-8',
    }


def module_dir(name):
    "The folder of trytond.modules.<name>, or None when not installed"
    try:
        spec = importlib.util.find_spec(f'trytond.modules.{name}')
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def bundle(kind):
    "The custom.<kind> files of the installed modules, concatenated"
    parts = []
    for name in MODULES:
        folder = module_dir(name)
        if folder is None:
            continue
        path = folder / 'static' / 'sao' / f'custom.{kind}'
        if path.is_file():
            parts.append(f'/* {name} */\n' + path.read_text('utf-8'))
    return '\n'.join(parts).encode('utf-8')


def _serve(request, kind):
    body = bundle(kind)
    etag = hashlib.sha256(body).hexdigest()[:32]
    if etag in request.if_none_match:
        return Response(status=HTTPStatus.NOT_MODIFIED)
    response = Response(body, content_type=TYPES[kind])
    response.set_etag(etag)
    response.headers['Cache-Control'] = 'no-cache'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route('/custom.js', methods={'GET'})
def custom_js(request):
    return _serve(request, 'js')


@app.route('/custom.css', methods={'GET'})
def custom_css(request):
    return _serve(request, 'css')
