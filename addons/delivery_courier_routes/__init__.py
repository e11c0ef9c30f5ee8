# This file is part of the Delivery CRM for Tryton.
# The COPYRIGHT file at the top level of this repository contains the full
# copyright notices and license terms.

# the courier app is a web route: it must be known when the server starts,
# before any database pool is loaded
from . import app_routes, board_routes, map_routes, pick_routes

__all__ = [app_routes, board_routes, map_routes, pick_routes]
