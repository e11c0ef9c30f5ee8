# This file is part of the Delivery CRM for Tryton.
import difflib

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import RegistrationError
from .party import CHANNELS, TIMES, _company_region
from .phone import parse
from .coordinates import fill_coordinates
from .security import EMAIL, check_view_input

SIMILAR_NAME = 0.85
# the longest texts of the form
SIZES = {
    'name': 200, 'mobile': 40, 'phone': 40, 'email': 254, 'street': 1000,
    'city': 100, 'needs': 5000,
    }


class RegisterStart(ModelView):
    "Register Customer"
    __name__ = 'delivery.customer.register.start'
    name = fields.Char("Name", required=True, strip=True)
    mobile = fields.Char("Mobile",
        help='As the customer says it: "555 12 34 56", "0555123456", '
        '"+995 555-12-34-56".')
    phone = fields.Char("Other Phone")
    email = fields.Char("E-mail", strip=True)
    street = fields.Text("Street")
    city = fields.Char("City", strip=True)
    marketing_source = fields.Many2One(
        'delivery.marketing.source', "Where did you hear of us?",
        required=True)
    wants_sms = fields.Boolean("Wants SMS",
        help="The customer wants SMS about deliveries and offers: "
        "a mobile number is required.")
    categories = fields.Many2Many(
        'party.category', None, None, "Categories")
    branch = fields.Many2One(
        'delivery.hub', "Branch", domain=[('kind', '=', 'branch')])
    needs = fields.Text("Needs")
    preferred_channel = fields.Selection(
        [(None, "")] + CHANNELS, "Preferred Channel")
    preferred_time = fields.Selection(TIMES, "Preferred Time")
    lang = fields.Many2One('ir.lang', "Language",
        domain=[('translatable', '=', True)])
    party = fields.Many2One('party.party', "Customer", readonly=True)

    @classmethod
    def default_branch(cls):
        pool = Pool()
        Employee = pool.get('company.employee')
        employee = Transaction().context.get('employee')
        if employee:
            employee = Employee(employee)
            return employee.hub.id if employee.hub else None


class RegisterDuplicates(ModelView):
    "Possible Duplicates"
    __name__ = 'delivery.customer.register.duplicates'
    parties = fields.Many2Many('party.party', None, None, "Customers",
        readonly=True,
        help="Customers who share a phone or e-mail, or have a very "
        "similar name in the same city: open one instead of creating a "
        "second one.")


class Register(Wizard):
    "Register Customer"
    __name__ = 'delivery.customer.register'
    start = StateView('delivery.customer.register.start',
        'delivery_crm.customer_register_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Register", 'check', 'tryton-ok', default=True),
            ])
    check = StateTransition()
    duplicates = StateView('delivery.customer.register.duplicates',
        'delivery_crm.customer_register_duplicates_view_form', [
            Button("Back", 'start', 'tryton-back'),
            Button("Create Anyway", 'create_', 'tryton-save'),
            Button("Cancel", 'end', 'tryton-cancel', default=True),
            ])
    create_ = StateTransition()
    open_ = StateAction('delivery_crm.act_customer_form')

    @classmethod
    def region(cls):
        "The country of the company: the region of numbers without prefix"
        return _company_region()

    def normalised(self):
        """Return (mobile, phone, email) normalised or raise a
        RegistrationError that says what to correct"""
        start = self.start
        check_view_input(start, SIZES)
        if not (start.name or '').strip():
            raise RegistrationError(gettext(
                    'delivery_crm.msg_register_name_blank'))
        if start.email and not EMAIL.fullmatch(start.email.strip()):
            raise RegistrationError(gettext(
                    'delivery_crm.msg_register_invalid_email',
                    email=start.email))
        mobile = self._parse(start.mobile)
        if mobile and not mobile.mobile:
            raise RegistrationError(gettext(
                    'delivery_crm.msg_register_not_mobile',
                    phone=start.mobile))
        if not mobile and start.wants_sms:
            raise RegistrationError(gettext(
                    'delivery_crm.msg_register_mobile_required'))
        phone = self._parse(start.phone)
        email = start.email.strip().lower() if start.email else None
        if not (mobile or phone or email):
            raise RegistrationError(gettext(
                    'delivery_crm.msg_register_no_contact'))
        return mobile, phone, email

    def _parse(self, value):
        "The Phone of value (None when empty), or an error saying to fix it"
        if not value:
            return None
        phone = parse(value, self.region())
        if not phone:
            raise RegistrationError(gettext(
                    'delivery_crm.msg_register_invalid_phone', phone=value))
        return phone

    def find_duplicates(self, mobile, phone, email):
        pool = Pool()
        Mechanism = pool.get('party.contact_mechanism')
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        found = set()
        values = [p.e164 for p in (mobile, phone) if p]
        if email:
            values.append(email)
        if values:
            found |= {m.party for m in Mechanism.search(['OR',
                        ('value_compact', 'in', values),
                        ('value', 'in', values),
                        ])}
        if self.start.city:
            name = self.start.name.strip()
            first = name.split()[0] if name.split() else name
            # the first word as it is: no wildcard of LIKE in it
            first = first.replace('\\', '').replace('%', '').replace('_', '')
            candidates = {a.party for a in Address.search([
                        ('city', 'ilike', self.start.city),
                        ('party.name', 'ilike', f'%{first}%'),
                        ], limit=200)}
            for party in candidates:
                ratio = difflib.SequenceMatcher(
                    None, party.name.lower(), name.lower()).ratio()
                if ratio >= SIMILAR_NAME:
                    found.add(party)
        return Party.browse(sorted(p.id for p in found))

    def transition_check(self):
        mobile, phone, email = self.normalised()
        duplicates = self.find_duplicates(mobile, phone, email)
        if duplicates:
            self.duplicates.parties = duplicates
            return 'duplicates'
        return 'create_'

    def default_duplicates(self, fields):
        return {'parties': [p.id for p in self.duplicates.parties]}

    def transition_create_(self):
        pool = Pool()
        Party = pool.get('party.party')
        Country = pool.get('country.country')
        mobile, phone, email = self.normalised()
        start = self.start
        mechanisms = []
        if mobile:
            mechanisms.append({'type': 'mobile', 'value': mobile.international})
        if phone:
            mechanisms.append({'type': 'phone', 'value': phone.international})
        if email:
            mechanisms.append({'type': 'email', 'value': email})
        countries = Country.search([('code', '=', self.region())], limit=1)
        address = {
            'street': start.street,
            'city': start.city,
            'country': countries[0].id if countries else None,
            }
        values = {
            'name': start.name.strip(),
            'delivery_customer': True,
            'marketing_source': start.marketing_source.id,
            'wants_sms': start.wants_sms,
            'branch': start.branch.id if start.branch else None,
            'needs': start.needs,
            'preferred_channel': start.preferred_channel,
            'preferred_time': start.preferred_time,
            'categories': [('add', [c.id for c in start.categories])],
            'addresses': [('create', [address])],
            'contact_mechanisms': [('create', mechanisms)],
            }
        if start.lang:
            values['lang'] = start.lang.id
        self.start.party, = Party.create([values])
        self.locate(self.start.party)
        return 'open_'

    @staticmethod
    def locate(party):
        """Coordinates for the new customer's address: those of the same
        address known in the database, else the geocoder's when one is
        configured; a registration never fails for want of them (the
        orders of an address without coordinates are flagged not
        routable)"""
        from trytond.exceptions import UserError
        Address = Pool().get('party.address')
        addresses = list(party.addresses)
        try:
            changed = fill_coordinates(addresses,
                [('street', 'city', 'latitude', 'longitude')])
        except UserError:
            return
        Address.save(changed)

    def do_open_(self, action):
        action['res_id'] = [self.start.party.id]
        action['views'].reverse()
        return action, {}
