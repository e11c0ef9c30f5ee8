# This file is part of the Delivery CRM for Tryton.
"""Sharing new work among staff by their open load; free of the ORM."""


def balance(count, loads):
    """Share count new tasks among employees so that their loads end as
    equal as possible ("water filling").

    loads is a list of (employee, open tasks). Return a list of
    (employee, new tasks) in the order of loads, the least loaded first,
    ties kept in the given order. Nobody gets tasks while someone else has
    a lower load; the remainder goes to the least loaded."""
    if count < 0:
        raise ValueError("count must not be negative")
    if not loads:
        return []
    order = sorted(range(len(loads)), key=lambda i: loads[i][1])
    values = [loads[i][1] for i in order]
    # find the level L reached by pouring count tasks into the lowest loads
    remaining, level, filled = count, values[0], 1
    while filled < len(values) and remaining >= (values[filled] - level) * filled:
        remaining -= (values[filled] - level) * filled
        level = values[filled]
        filled += 1
    raise_all, extra = divmod(remaining, filled)
    level += raise_all
    shares = []
    for rank, i in enumerate(order):
        employee, load = loads[i]
        share = max(0, level - load) if rank < filled else 0
        if rank < extra:
            share += 1
        shares.append((employee, share))
    return shares


def ranges(shares):
    """Turn shares into consecutive ranks: [(employee, first, last)], ranks
    starting at 1, skipping employees with no share"""
    result, first = [], 1
    for employee, share in shares:
        if share:
            result.append((employee, first, first + share - 1))
            first += share
    return result
