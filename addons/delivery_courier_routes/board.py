# This file is part of the Delivery CRM for Tryton.
# The COPYRIGHT file at the top level of this repository contains the full
# copyright notices and license terms.
"""The ways into the dispatcher board (board_routes.py) from sao: the
*Dispatcher Board* wizard of the Routes menu and the *Board* link of a
planning."""
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .board_routes import board_url


class BoardStart(ModelView):
    "Dispatcher Board"
    __name__ = 'delivery.trip.board.start'
    company = fields.Many2One('company.company', "Company", required=True)
    date = fields.Date("Day", required=True)
    depot = fields.Many2One('delivery.hub', "Depot",
        domain=[('company', '=', Eval('company', -1))],
        help="Leave empty for the trips of every depot.")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class Board(Wizard):
    "Dispatcher Board"
    __name__ = 'delivery.trip.board'
    start = StateView('delivery.trip.board.start',
        'delivery_courier_routes.board_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Open", 'open_', 'tryton-launch', default=True),
            ])
    open_ = StateAction('delivery_courier_routes.url_board')

    def do_open_(self, action):
        action['url'] = board_url(
            self.start.company.id, self.start.date,
            self.start.depot.id if self.start.depot else None)
        return action, {}

    def transition_open_(self):
        return 'end'


class Plan(metaclass=PoolMeta):
    __name__ = 'delivery.trip.plan'
    board_url = fields.Function(fields.Char(
            "Board",
            help="The trips of the day side by side, to open in a new tab."),
        'get_board_url')

    @classmethod
    def get_board_url(cls, plans, name):
        # the read of a function field checks the user's access to the plans
        result = {}
        for plan in plans:
            depots = list(plan.depots or [])
            result[plan.id] = (board_url(plan.company.id, plan.date,
                    depots[0].id if len(depots) == 1 else None)
                if plan.id is not None and plan.id >= 0 and plan.company
                else None)
        return result
