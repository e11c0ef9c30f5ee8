#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Benchmark of queueing SMS on PostgreSQL: Message.queue (set-based: one
search of the suppression keys and one query of the consent log per chunk,
one create for the list) against the naive loop (per message: a search of
its key, the consent of its number, a create), measured in the same run on
a copy of the demo database.

    .venv/bin/python tests/bench/bench_sms.py [--messages 20000] [--slice 1000]

The database is a copy dropped at the end. Prints messages per second of
both, the ratio, and the time of queueing the same list again once it is
committed and analysed (every key found: nothing added). Exits with 1 when the set-based way
is not at least 10 times faster."""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools'))
sys.path.insert(0, str(ROOT))

import launch  # noqa: E402
from tests import harness  # noqa: E402

DATABASE = 'bench_sms'
TEXT = "გამარჯობა {n}! თქვენი ამანათი ხვალ 10:00-13:00 მოვა."


def requests(company, count, prefix='bench'):
    # distinct Georgian mobiles, half of them written as people write them
    return [{
            'company': company,
            'number': (f'+995 595 {i:06d}' if i % 2 else f'595{i:06d}'),
            'text': TEXT.format(n=i),
            'purpose': 'transactional',
            'key': f'{prefix}:{i}',
            } for i in range(count)]


def naive(Message, Consent, batch):
    "One message at a time, as a loop over the ORM does"
    from trytond.modules.delivery_crm.phone import parse
    from trytond.modules.delivery_sms.encoding import segment
    for request in batch:
        if Message.search([('company', '=', request['company']),
                    ('suppression_key', '=', request['key'])], limit=1):
            continue
        phone = parse(request['number'])
        allowed = Consent.status(request['company'], [phone.e164],
            request['purpose'])[phone.e164]
        seg = segment(request['text'])
        Message.create([{
                    'company': request['company'],
                    'direction': 'out',
                    'purpose': request['purpose'],
                    'number': phone.e164,
                    'text': request['text'],
                    'encoding': seg.encoding,
                    'parts': seg.count,
                    'state': 'queued' if allowed else 'blocked',
                    'suppression_key': request['key'],
                    }])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--messages', type=int, default=20_000)
    parser.add_argument('--slice', type=int, default=1_000)
    args = parser.parse_args()

    harness.clone('postgresql', DATABASE)
    conf = launch.write_config('bench-sms',
        database={'uri': launch.PG_URI})
    from trytond import config
    config.update_etc(str(conf))
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Pool.start()
    pool = Pool(DATABASE)
    pool.init()
    results = {}
    try:
        with Transaction().start(DATABASE, 0) as transaction:
            Message = pool.get('delivery.sms.message')
            Consent = pool.get('delivery.sms.consent')
            Company = pool.get('company.company')
            company, = Company.search([], limit=1)
            batch = requests(company.id, args.messages)
            with transaction.set_context(company=company.id,
                    _check_access=False):
                start = time.perf_counter()
                queued = Message.queue(batch)
                results['set'] = time.perf_counter() - start
                assert len({m.id for m in queued}) == args.messages
                # committed and analysed, as a campaign queued earlier is
                transaction.commit()
                transaction.connection.cursor().execute(
                    'ANALYZE delivery_sms_message')
                transaction.commit()
                start = time.perf_counter()
                again = Message.queue(batch)
                results['again'] = time.perf_counter() - start
                assert [m.id for m in again] == [m.id for m in queued]
                transaction.rollback()

                sample = requests(company.id, args.slice, prefix='naive')
                start = time.perf_counter()
                naive(Message, Consent, sample)
                results['naive'] = (time.perf_counter() - start) * (
                    args.messages / args.slice)
                transaction.rollback()
    finally:
        harness.drop('postgresql', DATABASE)

    rate = args.messages / results['set']
    naive_rate = args.messages / results['naive']
    ratio = results['naive'] / results['set']
    print(f"queue {args.messages:,} messages (Georgian, UCS-2), PostgreSQL")
    print(f"  Message.queue (set-based)  {results['set']:7.2f} s  "
        f"{rate:9,.0f} messages/s")
    print(f"  naive loop (1 message at a time, {args.slice:,} measured, "
        f"extrapolated)  {results['naive']:7.2f} s  "
        f"{naive_rate:9,.0f} messages/s")
    print(f"  ratio naive / set-based    {ratio:7.1f}x")
    print(f"  the same list again (every key found, nothing added)  "
        f"{results['again']:7.2f} s")
    return 0 if ratio >= 10 else 1


if __name__ == '__main__':
    sys.exit(main())
