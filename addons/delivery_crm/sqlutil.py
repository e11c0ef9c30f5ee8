# This file is part of the Delivery CRM for Tryton.
"""Set-based inserts shared by the bulk APIs."""
from trytond import backend
from trytond.transaction import Transaction


def insert(table, columns, rows, returning=True, batch=1000):
    """Insert rows into table by batches and return the new ids in the
    order of rows (PostgreSQL: one statement per batch)."""
    cursor = Transaction().connection.cursor()
    ids = []
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        if not returning:
            cursor.execute(*table.insert(columns, chunk))
        elif backend.name == 'postgresql':
            cursor.execute(*table.insert(
                    columns, chunk, returning=[table.id]))
            ids.extend(r for r, in cursor)
        else:
            for row in chunk:
                cursor.execute(*table.insert(columns, [row]))
                ids.append(cursor.lastrowid)
    return ids
