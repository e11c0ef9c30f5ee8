# This file is part of the Delivery CRM for Tryton.
"""Set-based inserts shared by the bulk APIs."""
from trytond import backend
from trytond.transaction import Transaction


def insert(table, columns, rows, returning=True, batch=1000):
    """Insert rows into table and return the new ids in the order of rows
    (an empty list when returning is false).

    PostgreSQL: the ids are taken from the table's sequence at once and the
    rows streamed with COPY, several times faster than INSERT statements;
    SQLite: one INSERT per row for its id, or per batch without."""
    transaction = Transaction()
    cursor = transaction.connection.cursor()
    ids = []
    if not rows:
        return ids
    if backend.name == 'postgresql':
        columns = list(columns)
        if returning:
            ids = transaction.database.nextid(
                transaction.connection, table._name, len(rows))
            if len(rows) == 1:
                ids = [ids]
            columns.append(table.id)
            rows = ([*r, i] for r, i in zip(rows, ids))
        names = ', '.join('"%s"' % c.name for c in columns)
        with cursor.copy(
                'COPY "%s" (%s) FROM STDIN' % (table._name, names)) as copy:
            for row in rows:
                copy.write_row(row)
        return ids
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        if not returning:
            cursor.execute(*table.insert(columns, chunk))
        else:
            for row in chunk:
                cursor.execute(*table.insert(columns, [row]))
                ids.append(cursor.lastrowid)
    return ids


def serialise(Model):
    """Make the rest of the transaction the only writer of Model's table
    until it ends.

    PostgreSQL: a table lock. SQLite has no table locks, and its transaction
    starts only at the first write (BEGIN IMMEDIATE), so what was read
    before may be stale by then: an UPDATE that changes nothing starts the
    transaction now, every other writer waits for its end, and what this
    transaction reads from here on is current."""
    if backend.name == 'sqlite':
        table = Model.__table__()
        Transaction().connection.cursor().execute(*table.update(
                [table.id], [table.id], where=table.id < 0))
    else:
        Model.lock()
