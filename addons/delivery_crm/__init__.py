# This file is part of the Delivery CRM for Tryton.
# The COPYRIGHT file at the top level of this repository contains the full
# copyright notices and license terms.
