# This file is part of the Delivery CRM for Tryton.
"""What a client may send to the models of the delivery modules.

Tryton checks the access rights and record rules of a call, but the
``readonly`` of a field and the ``states`` of a view are only hints to the
client. ``InputGuardMixin`` makes the server refuse what the views hide:

- *server fields*: a stored field declared ``readonly=True`` (a state, a
  number, a token, an amount, a link to an invoice, the owner or the day of
  a task...) is written only by the server, through the model's buttons,
  wizards and code. A client that sends one in a create or a write is
  refused (``ir.model.field.access.check``, extended in ir.py) and a copy
  resets them to their defaults. sao and proteus never send read-only
  fields, so nothing a user does in a form is refused.
- *values*: texts without NUL characters or unpaired surrogates and not
  longer than the field allows, finite numbers within what the database
  stores, dates between 1900 and 2199, references to records that exist
  (SQLite has no foreign keys): a clear message in the user's language
  instead of a database error or a stored absurdity.

The pure checks (``input_problem``) are free of the ORM.
"""
import datetime as dt
import math
import re
from decimal import Decimal

from sql import Literal

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelStorage, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction

from .exceptions import InputError

# the longest text a field takes when it does not say (size)
CHAR_SIZE = 500
TEXT_SIZE = 20_000
# integers are 32-bit in PostgreSQL (fields.Integer)
INTEGER_MIN, INTEGER_MAX = -2 ** 31, 2 ** 31 - 1
# more than any amount, weight or distance of a courier company
NUMBER_MAX = 10 ** 15
YEAR_MIN, YEAR_MAX = 1900, 2199
# fields of every model that only the ORM writes
ORM_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}
# a phone number as people write it, before it is normalised
PHONE = re.compile(r'\+?[0-9 ()./-]{3,40}')
EMAIL = re.compile(r'[^@\s]+@[^@\s]+\.[^@\s]+')
WEBSITE = re.compile(r'https?://[^\s]+', re.IGNORECASE)


def input_problem(kind, value, size=None):
    """What is wrong with value for a field of kind, as (message id,
    variables), or None. kind is Tryton's field type ('char', 'text',
    'float', ...); size the longest text allowed."""
    if value is None:
        return None
    if kind in {'char', 'text', 'selection'}:
        if not isinstance(value, str):
            return None  # Tryton refuses other types itself
        if '\x00' in value:
            return 'msg_input_text_character', {}
        try:
            value.encode('utf-8')
        except UnicodeEncodeError:
            return 'msg_input_text_character', {}
        limit = size or (TEXT_SIZE if kind == 'text' else CHAR_SIZE)
        if len(value) > limit:
            return 'msg_input_text_size', {
                'size': limit, 'length': len(value)}
    elif kind == 'integer':
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                return 'msg_input_integer', {
                    'min': INTEGER_MIN, 'max': INTEGER_MAX}
        if not INTEGER_MIN <= value <= INTEGER_MAX:
            return 'msg_input_integer', {
                'min': INTEGER_MIN, 'max': INTEGER_MAX}
    elif kind in {'float', 'numeric'}:
        if isinstance(value, bool):
            return 'msg_input_number', {'max': NUMBER_MAX}
        if isinstance(value, Decimal):
            finite = value.is_finite()
        elif isinstance(value, (int, float)):
            finite = math.isfinite(value)
        else:
            return None
        if not finite or abs(value) > NUMBER_MAX:
            return 'msg_input_number', {'max': NUMBER_MAX}
    elif kind in {'date', 'datetime', 'timestamp'}:
        if isinstance(value, (dt.date, dt.datetime)) and not (
                YEAR_MIN <= value.year <= YEAR_MAX):
            return 'msg_input_date', {'min': YEAR_MIN, 'max': YEAR_MAX}
    elif kind == 'many2one':
        if isinstance(value, bool) or (isinstance(value, int) and not (
                    0 < value <= INTEGER_MAX)):
            return 'msg_input_reference', {'value': str(value)[:40]}
    return None


def server_fields(Model):
    "The names of the fields of Model that only the server writes"
    names = Model.__dict__.get('_server_fields_cache')
    if names is None:
        names = frozenset(
            n for n, f in Model._fields.items()
            if getattr(f, 'readonly', False) is True
            and n not in ORM_FIELDS
            and not isinstance(f, (
                    fields.Function, fields.One2Many, fields.Many2Many)))
        Model._server_fields_cache = names
    return names


class InputGuardMixin:
    "Refuse server fields and absurd values sent by clients (see above)"
    __slots__ = ()
    # what a client may do to the records of the model: the records of a
    # history, a log or a computation are the server's alone
    _client_modes = frozenset({'create', 'write', 'delete'})
    # texts that may be empty but not blank (spaces only)
    _blank_refused = frozenset({'name'})
    # texts that hold a phone number
    _phone_fields = frozenset()

    @classmethod
    def _input_size(cls, name, field):
        "The longest text field name takes"
        return getattr(field, 'size', None)

    @classmethod
    def check_input(cls, values):
        "Raise InputError for the first value a client may not send"
        for name, value in values.items():
            field = cls._fields.get(name)
            if field is None or isinstance(field, fields.Function):
                continue
            problem = input_problem(
                field._type, value, cls._input_size(name, field))
            if (not problem and isinstance(value, str) and value
                    and not value.strip()
                    and name in cls._blank_refused):
                problem = 'msg_input_blank', {}
            if (not problem and isinstance(value, str) and value.strip()
                    and name in cls._phone_fields
                    and not PHONE.fullmatch(value.strip())):
                problem = 'msg_input_phone', {}
            if problem:
                msg_id, variables = problem
                raise InputError(gettext(
                        f'delivery_crm.{msg_id}',
                        **cls.__names__(name), **variables))

    @classmethod
    def preprocess_values(cls, mode, values):
        # before anything else reads them
        cls.check_input(values)
        return super().preprocess_values(mode, values)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if external and mode not in cls._client_modes:
            raise AccessError(gettext(
                    'delivery_crm.msg_server_record', **cls.__names__()))
        if external and mode in {'create', 'write'} and records:
            cls._check_references(records, values)

    @classmethod
    def _check_references(cls, records, values=None):
        """Refuse references to records that do not exist: PostgreSQL has
        foreign keys for that, SQLite (the demo) has none"""
        if backend.name != 'sqlite':
            return
        pool = Pool()
        cursor = Transaction().connection.cursor()
        names = values.keys() if values is not None else cls._fields.keys()
        for name in names:
            field = cls._fields.get(name)
            if (not isinstance(field, fields.Many2One)
                    or isinstance(field, fields.Function)):
                continue
            Target = pool.get(field.model_name)
            if (not issubclass(Target, ModelStorage)
                    or callable(getattr(Target, 'table_query', None))):
                continue
            if values is not None:
                ids = {values[name]} - {None}
            else:
                ids = {getattr(r, name).id for r in records
                    if getattr(r, name) is not None}
            if not ids:
                continue
            table = Target.__table__()
            cursor.execute(*table.select(table.id,
                    where=table.id.in_([Literal(i) for i in ids])))
            missing = ids - {i for i, in cursor}
            if missing:
                raise InputError(gettext(
                        'delivery_crm.msg_input_reference',
                        **cls.__names__(name), value=min(missing)))

    @classmethod
    def copy(cls, records, default=None):
        "A copy starts like a new record: the server fields are reset"
        default = default.copy() if default is not None else {}
        defaults = cls.default_get(
            list(server_fields(cls)), with_rec_name=False)
        for name in server_fields(cls):
            default.setdefault(name, defaults.get(name))
        return super().copy(records, default=default)


def check_view_input(record, sizes=None):
    """Refuse what a client sent in the form of a wizard (a ModelView that
    is not stored): the checks of InputGuardMixin, with the text sizes of
    sizes ({field name: size}), and references to records that exist"""
    Model = record.__class__
    sizes = sizes or {}
    for name, field in Model._fields.items():
        if isinstance(field, fields.Function) or name == 'id':
            continue
        value = getattr(record, name, None)
        if isinstance(field, (fields.Many2One, fields.Many2Many,
                    fields.One2Many)):
            records = (list(value or []) if not isinstance(
                    field, fields.Many2One) else [value] if value else [])
            ids = {r.id for r in records if r.id is not None and r.id >= 0}
            Target = field.get_target()
            if ids and issubclass(Target, ModelStorage):
                with Transaction().set_context(active_test=False):
                    found = {r.id for r in Target.search(
                            [('id', 'in', list(ids))])}
                missing = ids - found
                if missing:
                    raise InputError(gettext(
                            'delivery_crm.msg_input_reference',
                            **Model.__names__(name), value=min(missing)))
            continue
        problem = input_problem(field._type, value,
            sizes.get(name) or getattr(field, 'size', None))
        if problem:
            msg_id, variables = problem
            raise InputError(gettext(
                    f'delivery_crm.{msg_id}',
                    **Model.__names__(name), **variables))
