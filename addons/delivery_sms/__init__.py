# This file is part of the Delivery CRM for Tryton.
# The COPYRIGHT file at the top level of this repository contains the full
# copyright notices and license terms.

# the gateways' callbacks are web routes: they must be known when the
# server starts, before any database pool is loaded
from . import routes

__all__ = [routes]
