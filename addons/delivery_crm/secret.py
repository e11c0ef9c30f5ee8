# This file is part of the Delivery CRM for Tryton.
"""Secrets the server makes for itself when the configuration gives none."""
import secrets

from sql.functions import CurrentTimestamp

from trytond import backend, config
from trytond.model import fields
from trytond.transaction import Transaction


class StoredSecretMixin:
    """A secret read from the configuration, else generated once and kept in
    the model's table (one row, id 1).

    The row is made when the module is activated, or by the first call of
    get_secret() if it was deleted (deleting it revokes what was signed or
    hashed with it). Give the models no access rights: only the server
    reads them."""
    __slots__ = ()
    # (section, option) of trytond.conf that sets the secret
    _secret_config = None

    secret = fields.Char("Secret", required=True, strip=False)

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        if cls._stored() is None:
            cls._insert(Transaction())

    @classmethod
    def configured_secret(cls):
        section, option = cls._secret_config
        return config.get(section, option, default='') or ''

    @classmethod
    def _stored(cls):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.secret, where=table.id == 1))
        row = cursor.fetchone()
        return row[0] if row and row[0] else None

    @classmethod
    def _insert(cls, transaction):
        table = cls.__table__()
        secret = secrets.token_urlsafe(48)
        transaction.connection.cursor().execute(*table.insert(
                [table.id, table.secret, table.create_uid, table.create_date],
                [[1, secret, 0, CurrentTimestamp()]]))
        return secret

    @classmethod
    def get_secret(cls):
        secret = cls.configured_secret()
        if secret:
            return secret
        secret = cls._stored()
        if secret:
            return secret
        transaction = Transaction()
        if not transaction.readonly:
            return cls._insert(transaction)
        try:
            with transaction.new_transaction() as writer:
                return cls._insert(writer)
        except backend.DatabaseIntegrityError:
            # another process stored it first: read it in a fresh snapshot
            with transaction.new_transaction(readonly=True):
                return cls._stored()
