# This file is part of the Delivery CRM for Tryton.
"""The courier app: a mobile web page (installable PWA) served by the module.

    GET /<database_name>/delivery/courier/              the page (index.html)
    GET /<database_name>/delivery/courier/static/<file> its static files
    GET /<database_name>/delivery/courier/texts[?lang=] its texts (JSON)

No login on these routes: they serve only the app itself and its texts. The
courier logs in inside the page with his own Tryton user over JSON-RPC
(/<database_name>/rpc/) and reads and acts on his own trips only, as the
access rights and record rules of his group allow.

The static files are the regular files of static/app/ found when the module
is imported, looked up by name: no path given by a request ever reaches the
file system, so there is nothing to traverse.
"""
import hashlib
import json
import os
from pathlib import Path

from trytond.i18n import gettext
from trytond.protocols.wrappers import (
    HTTPStatus, Response, with_pool, with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

MODULE = 'delivery_courier_routes'
MESSAGE_PREFIX = 'msg_app_'
STATIC = Path(__file__).resolve().parent / 'static' / 'app'
DEFAULT_LANGUAGE = 'en'
# a model of the module: the database serves the app only where the module
# is activated
MARKER_MODEL = 'delivery.trip.stop.action'

CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.webmanifest': 'application/manifest+json',
    '.json': 'application/json',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.ico': 'image/x-icon',
    }

# The page loads nothing but its own files and talks to its own server
CSP = '; '.join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # data: the signature and photo previews; blob: the photo to scale
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        ])
SECURITY_HEADERS = {
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'X-Robots-Tag': 'noindex',
    }


def _scan(folder):
    "{relative posix name: path} of the regular files served from folder"
    files = {}
    if not folder.is_dir():
        return files
    for root, dirs, names in os.walk(folder):
        # no hidden folders, no symbolic links out of the folder
        dirs[:] = sorted(d for d in dirs if not d.startswith('.')
            and not os.path.islink(os.path.join(root, d)))
        for name in names:
            path = Path(root, name)
            if (name.startswith('.') or path.is_symlink()
                    or not path.is_file()
                    or path.suffix not in CONTENT_TYPES):
                continue
            files[path.relative_to(folder).as_posix()] = path
    return files


FILES = _scan(STATIC)


def _module_activated(pool):
    try:
        pool.get(MARKER_MODEL)
    except KeyError:
        return False
    return True


def _not_found():
    return Response('Not Found', status=HTTPStatus.NOT_FOUND,
        content_type='text/plain; charset=utf-8',
        headers={'Cache-Control': 'no-store', **SECURITY_HEADERS})


def _file_response(request, name, headers=None):
    path = FILES.get(name)
    if path is None:
        return _not_found()
    try:
        data = path.read_bytes()
    except OSError:
        return _not_found()
    response = Response(data, status=HTTPStatus.OK,
        content_type=CONTENT_TYPES[path.suffix])
    response.headers.update(SECURITY_HEADERS)
    # always revalidated: a new version of the app is seen at once online,
    # the service worker keeps the copy used offline
    response.headers['Cache-Control'] = 'no-cache'
    if headers:
        response.headers.update(headers)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    return response.make_conditional(request)


def _app_root(request, suffix):
    "The path of the app's root (…/delivery/courier/) from request.path"
    path = request.path
    if suffix and path.endswith(suffix):
        path = path[:-len(suffix)]
    return path


@app.route('/<database_name>/delivery/courier/', methods={'GET'})
@with_pool
def courier_app(request, pool):
    if not _module_activated(pool):
        return _not_found()
    return _file_response(request, 'index.html', {
            'Content-Security-Policy': CSP,
            })


@app.route('/<database_name>/delivery/courier/static/<path:name>',
    methods={'GET'})
@with_pool
def courier_app_static(request, pool, name):
    if not _module_activated(pool):
        return _not_found()
    headers = {}
    if name == 'sw.js':
        # the worker lives under static/ but controls the whole app
        headers['Service-Worker-Allowed'] = _app_root(
            request, 'static/sw.js')
        headers['Content-Security-Policy'] = "default-src 'self'"
    elif name.endswith('.html'):
        headers['Content-Security-Policy'] = CSP
    return _file_response(request, name, headers)


def _languages(pool):
    "The codes of the languages users may have"
    Lang = pool.get('ir.lang')
    codes = [l.code for l in Lang.search([('translatable', '=', True)])]
    if DEFAULT_LANGUAGE not in codes:
        codes.append(DEFAULT_LANGUAGE)
    return codes


def choose_language(request, languages):
    "?lang=, else the Accept-Language header, else English"
    lang = (request.args.get('lang') or '').replace('-', '_')
    if lang in languages:
        return lang
    if lang.split('_')[0] in languages:
        return lang.split('_')[0]
    return request.accept_languages.best_match(
        languages, default=DEFAULT_LANGUAGE)


def _selection(Model, name):
    return [[k, v] for k, v in Model.fields_get([name])[name]['selection']
        if k]


def app_texts(pool):
    """The texts of the app in the transaction's language: the ir.message
    records msg_app_* of the module (under their name without the prefix)
    and the selections the app shows"""
    ModelData = pool.get('ir.model.data')
    Order = pool.get('delivery.order')
    Stop = pool.get('delivery.trip.stop')
    Action = pool.get('delivery.trip.stop.action')
    data = ModelData.search([
            ('module', '=', MODULE),
            ('model', '=', 'ir.message'),
            ('fs_id', 'like', MESSAGE_PREFIX + '%'),
            ], order=[('fs_id', 'ASC')])
    texts = {}
    for record in data:
        if record.fs_id.startswith(MESSAGE_PREFIX):
            texts[record.fs_id[len(MESSAGE_PREFIX):]] = gettext(
                f'{MODULE}.{record.fs_id}')
    return {
        'texts': texts,
        'reasons': _selection(Order, 'failure_reason'),
        'states': dict(_selection(Stop, 'state')),
        'kinds': dict(_selection(Stop, 'kind')),
        'actions': dict(_selection(Action, 'action')),
        }


@app.route('/<database_name>/delivery/courier/texts', methods={'GET'})
@with_pool
@with_transaction(readonly=True, context={'_check_access': False})
def courier_app_texts(request, pool):
    if not _module_activated(pool):
        return _not_found()
    lang = choose_language(request, _languages(pool))
    with Transaction().set_context(language=lang):
        result = {'lang': lang, **app_texts(pool)}
    response = Response(
        json.dumps(result, ensure_ascii=False, sort_keys=True),
        status=HTTPStatus.OK, content_type='application/json; charset=utf-8')
    response.headers.update(SECURITY_HEADERS)
    response.headers.update({
            'Cache-Control': 'no-cache',
            'Content-Language': lang,
            'Vary': 'Accept-Language',
            })
    return response
