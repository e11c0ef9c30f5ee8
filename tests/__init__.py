# This file is part of the Delivery CRM for Tryton.
