#!/usr/bin/env python3
# This file is part of the Delivery CRM for Tryton.
"""Generate the demo company of the Delivery CRM in a Tryton database.

"Tbilisi Express", a Georgian courier company with its head office and a
depot in Tbilisi and branches in Batumi and Kutaisi: GEL, a chart of
accounts, a user for each role (Georgian and Latin names), couriers with
vehicles, and customers with +995 phones written the way people write them
and real coordinates inside the three cities.

The company, users and employees are created through the ORM (proteus);
customers are written in bulk (PostgreSQL COPY, SQLite executemany), so the
same script builds the 2,000 customers of the demo and the 1,000,000 of the
benchmarks. Running it again on the same database adds customers only up to
--customers: it is idempotent.

    python tools/demo_data.py -c trytond.conf -d demo --customers 2000
"""
import argparse
import datetime as dt
import itertools
import random
import re
import sys
import time
from contextlib import contextmanager
from decimal import Decimal

MODULES = [
    'delivery_crm', 'delivery_courier_routes', 'delivery_sms',
    'delivery_payroll']
COMPANY_NAME = "Tbilisi Express"
PASSWORD_SUFFIX = '#2026'

# Hubs: code, name (en), name (ka), kind, city, street, lat, lon
HUBS = [
    ('TBS', "Tbilisi Head Office", "თბილისის სათავო ოფისი", 'branch',
        'Tbilisi', "Tsereteli Ave 116", 41.7425, 44.7839),
    ('DID', "Didube Depot", "დიდუბის საწყობი", 'depot',
        'Tbilisi', "Akaki Tsereteli Ave 138", 41.7479, 44.7806),
    ('BUS', "Batumi Branch", "ბათუმის ფილიალი", 'branch',
        'Batumi', "Gorgiladze St 60", 41.6459, 41.6403),
    ('KUT', "Kutaisi Branch", "ქუთაისის ფილიალი", 'branch',
        'Kutaisi', "Tsereteli St 35", 42.2707, 42.7060),
    ]

# Users: login, name, groups, hub, language, courier vehicle (or None)
CRM = 'delivery_crm'
ROUTES = 'delivery_courier_routes'
USERS = [
    ('head', "დავით გელაშვილი", [(CRM, 'group_delivery_head')],
        'TBS', 'ka', None),
    ('manager', "ნინო ბერიძე", [(CRM, 'group_contact_manager')],
        'TBS', 'ka', None),
    ('manager2', "Tamar Kvaratskhelia", [(CRM, 'group_contact_manager')],
        'TBS', 'en', None),
    ('manager3', "მარიამ ბოლქვაძე", [(CRM, 'group_contact_manager')],
        'BUS', 'ka', None),
    ('dispatcher', "Giorgi Kapanadze", [(CRM, 'group_dispatcher')],
        'TBS', 'en', None),
    ('dispatcher2', "ირაკლი ჩხეიძე", [(CRM, 'group_dispatcher')],
        'KUT', 'ka', None),
    ('courier', "ლევან ნოზაძე", [(ROUTES, 'group_courier')],
        'DID', 'ka', ('scooter', 30, 0.12, 25)),
    ('courier2', "Luka Tsiklauri", [(ROUTES, 'group_courier')],
        'DID', 'en', ('car', 300, 1.2, 80)),
    ('courier3', "ბექა მაისურაძე", [(ROUTES, 'group_courier')],
        'DID', 'ka', ('van', 900, 3.5, 200)),
    ('courier4', "Shota Lomidze", [(ROUTES, 'group_courier')],
        'DID', 'en', ('bicycle', 15, 0.05, 12)),
    ('courier5', "გოჩა ხალვაში", [(ROUTES, 'group_courier')],
        'BUS', 'ka', ('scooter', 30, 0.12, 25)),
    ('courier6', "Zurab Dolidze", [(ROUTES, 'group_courier')],
        'KUT', 'en', ('car', 300, 1.2, 80)),
    ]

# Marketing sources: name (en), name (ka), share of the customers
SOURCES = [
    ("Facebook", "ფეისბუქი", 0.28),
    ("Instagram", "ინსტაგრამი", 0.14),
    ("Google search", "Google-ში ძიება", 0.16),
    ("Friends and family", "მეგობრები და ოჯახი", 0.22),
    ("Billboard", "ბილბორდი", 0.06),
    ("Radio", "რადიო", 0.04),
    ("Partner shop", "პარტნიორი მაღაზია", 0.10),
    ]
# Categories: name (en), name (ka), parent
CATEGORIES = [
    ("Individuals", "ფიზიკური პირები", None),
    ("Businesses", "ბიზნესები", None),
    ("Online shops", "ონლაინ მაღაზიები", "Businesses"),
    ("Restaurants", "რესტორნები", "Businesses"),
    ("Pharmacies", "აფთიაქები", "Businesses"),
    ("VIP", "VIP", None),
    ]
# Contact rules: category (or None for the default), days, reason, priority
RULES = [
    (None, 30, 'better_offer', 10),
    ("Businesses", 14, 'new_service', 20),
    ("VIP", 7, 'delivery_reminder', 30),
    ]
PLAN_TEMPLATE = ("New business customer", "ახალი ბიზნეს მომხმარებელი", [
        ("Welcome call", 0, 'call'),
        ("Send the tariff sheet", 1, 'email'),
        ("Visit with a contract offer", 7, 'visit'),
        ("Check the first month", 30, 'call'),
        ])

# Invoicing: the category of the service products and the products, each
# with the field of delivery.configuration it fills, names (en, ka)
VAT = ("VAT 18%", "დღგ 18%")
SERVICE_CATEGORY = ("Delivery Services", "საკურიერო მომსახურება")
SERVICE_PRODUCTS = [
    ('delivery_product', "Delivery", "მიტანა"),
    ('cod_fee_product', "COD Fee", "ადგილზე გადახდის საკომისიო"),
    ('surcharge_product', "Surcharge", "დამატებითი საფასური"),
    ]
# Zones, one per city: code, name (en), name (ka); the zone holds the
# addresses whose city is either name
ZONES = [
    ('TBS', "Tbilisi", "თბილისი"),
    ('KUT', "Kutaisi", "ქუთაისი"),
    ('BUS', "Batumi", "ბათუმი"),
    ]
# Line-haul links between hub codes, km by road. Tbilisi has two hubs and
# an order starts from the one nearest to its pickup: a shuttle links the
# depot to the head office, else the parcels of the depot would travel
# outside the links (and a local order without delivery coordinates between
# the two would be priced for no distance or a detour through Kutaisi).
LINKS = [('TBS', 'KUT', 230), ('KUT', 'BUS', 150), ('DID', 'TBS', 1)]
# Tariffs in GEL: name (en), name (ka), contract category (None: for
# everybody), COD fee %, COD fee minimum, fragile fee, out-of-hours %, rules
# (service, inside each city zone (else between any zones), base price,
# per km, kg included, per extra kg, per extra parcel, minimum price)
TARIFFS = [
    ("Standard", "სტანდარტული", None, '1.5', '2', '3', '20', [
        ('same_day', True, '6', '0.4', '5', '1', '2', '6'),
        ('next_day', True, '5', '0.3', '5', '0.8', '1.5', '5'),
        ('express', True, '12', '0.6', '3', '1.5', '3', '12'),
        ('intercity', False, '15', '0.05', '10', '0.8', '3', '15'),
        ]),
    ("Business Contract", "ბიზნეს ხელშეკრულება", "Businesses",
        '1.2', '1.5', '2.5', '15', [
            ('same_day', True, '5', '0.35', '5', '0.8', '1.5', '5'),
            ('next_day', True, '4.2', '0.25', '5', '0.6', '1', '4.2'),
            ('express', True, '10', '0.5', '3', '1.2', '2.5', '10'),
            ('intercity', False, '12.5', '0.04', '10', '0.6', '2.5', '12.5'),
            ]),
    ]

FIRST_NAMES = [
    ("გიორგი", "Giorgi"), ("დავით", "Davit"), ("ნიკოლოზ", "Nikoloz"),
    ("ლევან", "Levan"), ("ირაკლი", "Irakli"), ("ლაშა", "Lasha"),
    ("ზურაბ", "Zurab"), ("ალექსანდრე", "Aleksandre"), ("ბექა", "Beka"),
    ("ლუკა", "Luka"), ("თორნიკე", "Tornike"), ("გოჩა", "Gocha"),
    ("მამუკა", "Mamuka"), ("ვახტანგ", "Vakhtang"), ("შოთა", "Shota"),
    ("ნინო", "Nino"), ("მარიამ", "Mariam"), ("თამარ", "Tamar"),
    ("ანა", "Ana"), ("ეკატერინე", "Ekaterine"), ("ნათია", "Natia"),
    ("სალომე", "Salome"), ("ქეთევან", "Ketevan"), ("მაკა", "Maka"),
    ("ხათუნა", "Khatuna"), ("ლიკა", "Lika"), ("ნანა", "Nana"),
    ("მაია", "Maia"), ("ელენე", "Elene"), ("თეონა", "Teona"),
    ]
SURNAMES = [
    ("ბერიძე", "Beridze"), ("კაპანაძე", "Kapanadze"),
    ("გელაშვილი", "Gelashvili"), ("მაისურაძე", "Maisuradze"),
    ("ლომიძე", "Lomidze"), ("ნოზაძე", "Nozadze"),
    ("ჯავახიშვილი", "Javakhishvili"), ("ხარაიშვილი", "Kharaishvili"),
    ("ქავთარაძე", "Kavtaradze"), ("გოგოლაძე", "Gogoladze"),
    ("ტაბატაძე", "Tabatadze"), ("კვარაცხელია", "Kvaratskhelia"),
    ("წიკლაური", "Tsiklauri"), ("ჩიქოვანი", "Chikovani"),
    ("დოლიძე", "Dolidze"), ("შენგელია", "Shengelia"),
    ("ბაქრაძე", "Bakradze"), ("ცერცვაძე", "Tsertsvadze"),
    ("მჭედლიშვილი", "Mchedlishvili"), ("გიორგაძე", "Giorgadze"),
    ("ჯაფარიძე", "Japaridze"), ("კიკნაძე", "Kiknadze"),
    ("ღლონტი", "Ghlonti"), ("ბოლქვაძე", "Bolkvadze"),
    ("ხალვაში", "Khalvashi"), ("ჩხეიძე", "Chkheidze"),
    ]
BUSINESS_WORDS = [
    ("ვაკე ფარმა", "Vake Pharma"), ("საბურთალოს საცხობი", "Saburtalo Bakery"),
    ("ღვინის სახლი", "Wine House"), ("ტექსტილი", "Textile"),
    ("ავტონაწილები", "Auto Parts"), ("ყვავილები", "Flowers"),
    ("წიგნის მაღაზია", "Bookshop"), ("ელექტრონიკა", "Electronics"),
    ("კოსმეტიკა", "Cosmetics"), ("სამშენებლო მასალები", "Building Supplies"),
    ("ჩაის სახლი", "Tea House"), ("სპორტი", "Sport"),
    ]
BUSINESS_FORMS = [("შპს", "LLC"), ("ი/მ", "IE"), ("სს", "JSC")]

# City: weight, districts (lat, lon, sigma in degrees), bounding box,
# streets (ka, en), mobile share of landlines' area code
CITIES = {
    'Tbilisi': dict(
        weight=0.72, area='32',
        bbox=(41.64, 41.82, 44.70, 44.97),
        districts=[
            (41.7090, 44.7600, .006), (41.7270, 44.7500, .006),
            (41.7480, 44.7780, .005), (41.7930, 44.8130, .006),
            (41.7560, 44.7900, .005), (41.6890, 44.8340, .005),
            (41.6850, 44.8750, .006), (41.6920, 44.8070, .003),
            (41.6960, 44.7950, .003), (41.7200, 44.8050, .004),
            (41.7000, 44.8900, .005), (41.7640, 44.7400, .006),
            ],
        streets=[
            ("ჭავჭავაძის გამზ.", "Chavchavadze Ave"),
            ("პეკინის გამზ.", "Pekini Ave"),
            ("რუსთაველის გამზ.", "Rustaveli Ave"),
            ("აღმაშენებლის გამზ.", "Agmashenebeli Ave"),
            ("ყაზბეგის გამზ.", "Kazbegi Ave"),
            ("წერეთლის გამზ.", "Tsereteli Ave"),
            ("ვაჟა-ფშაველას გამზ.", "Vazha-Pshavela Ave"),
            ("ნუცუბიძის ქ.", "Nutsubidze St"),
            ("ბახტრიონის ქ.", "Bakhtrioni St"),
            ("კოსტავას ქ.", "Kostava St"),
            ("ქეთევან დედოფლის გამზ.", "Ketevan Dedopali Ave"),
            ("გურამიშვილის გამზ.", "Guramishvili Ave"),
            ]),
    'Batumi': dict(
        weight=0.18, area='422',
        bbox=(41.60, 41.67, 41.60, 41.68),
        districts=[
            (41.6460, 41.6400, .004), (41.6400, 41.6320, .003),
            (41.6220, 41.6220, .004), (41.6320, 41.6480, .004),
            ],
        streets=[
            ("გორგილაძის ქ.", "Gorgiladze St"),
            ("ჭავჭავაძის ქ.", "Chavchavadze St"),
            ("რუსთაველის ქ.", "Rustaveli St"),
            ("ფარნავაზ მეფის ქ.", "Parnavaz Mepe St"),
            ("ხიმშიაშვილის ქ.", "Khimshiashvili St"),
            ]),
    'Kutaisi': dict(
        weight=0.10, area='431',
        bbox=(42.23, 42.30, 42.64, 42.76),
        districts=[
            (42.2700, 42.7050, .005), (42.2620, 42.6900, .004),
            (42.2780, 42.7200, .005), (42.2520, 42.6700, .004),
            ],
        streets=[
            ("წერეთლის ქ.", "Tsereteli St"),
            ("რუსთაველის გამზ.", "Rustaveli Ave"),
            ("ჭავჭავაძის გამზ.", "Chavchavadze Ave"),
            ("ნიკეას ქ.", "Nikea St"),
            ]),
    }
MOBILE_PREFIXES = [
    '551', '555', '557', '558', '568', '571', '574', '577', '579', '591',
    '592', '593', '595', '596', '597', '598', '599']
EMAIL_DOMAINS = ['gmail.com', 'gmail.com', 'yahoo.com', 'mail.ru', 'outlook.com']


def mobile_written(rng, national):
    "A Georgian mobile number the way people write it"
    n = national  # 9 digits, e.g. 555123456
    forms = [
        f"{n[:3]} {n[3:5]} {n[5:7]} {n[7:]}",
        n,
        f"0{n}",
        f"+995 {n[:3]}-{n[3:5]}-{n[5:7]}-{n[7:]}",
        f"+995{n}",
        f"({n[:3]}) {n[3:5]}-{n[5:7]}-{n[7:]}",
        f"995 {n[:3]} {n[3:6]} {n[6:]}",
        f"00995 {n[:3]} {n[3:5]} {n[5:7]} {n[7:]}",
        f"{n[:3]}-{n[3:6]}-{n[6:]}",
        ]
    return rng.choice(forms)


def landline_written(rng, area, subscriber):
    n = area + subscriber  # 9 digits
    forms = [
        f"0{area} {subscriber[:2]} {subscriber[2:4]} {subscriber[4:]}"
        if len(area) == 3 else
        f"0{area} 2 {subscriber[1:3]} {subscriber[3:5]} {subscriber[5:]}",
        f"+995 {area} {subscriber}",
        f"({area}) {subscriber}",
        f"+995{n}",
        ]
    return rng.choice(forms)


def random_point(rng, city):
    info = CITIES[city]
    lat0, lon0, sigma = rng.choice(info['districts'])
    south, north, west, east = info['bbox']
    lat = min(max(rng.gauss(lat0, sigma), south), north)
    lon = min(max(rng.gauss(lon0, sigma * 1.3), west), east)
    return round(lat, 6), round(lon, 6)


def generate_customer(rng):
    """Return (name, street, city, lat, lon, mechanisms, business) of one
    customer.

    mechanisms is a list of (type, value as written, E.164 or e-mail)."""
    city = rng.choices(
        list(CITIES), weights=[c['weight'] for c in CITIES.values()])[0]
    info = CITIES[city]
    georgian = rng.random() < 0.7
    email_name = None
    business = rng.random() < 0.12
    if business:
        word_ka, word_en = rng.choice(BUSINESS_WORDS)
        form_ka, form_en = rng.choice(BUSINESS_FORMS)
        place = rng.choice(SURNAMES)
        if georgian:
            name = f'{form_ka} "{place[0]} {word_ka}"'
        else:
            name = f'{place[1]} {word_en} {form_en}'
        email_name = f"info.{place[1].lower()}{rng.randint(1, 999)}"
    else:
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        name = (f"{first[0]} {last[0]}" if georgian
            else f"{first[1]} {last[1]}")
        email_name = f"{first[1].lower()}.{last[1].lower()}{rng.randint(1, 99)}"
    street_ka, street_en = rng.choice(info['streets'])
    number = rng.randint(1, 180)
    if georgian:
        street = f"{street_ka} {number}"
        if rng.random() < 0.5:
            street += f", ბ. {rng.randint(1, 120)}"
    else:
        street = f"{street_en} {number}"
        if rng.random() < 0.5:
            street += f", apt {rng.randint(1, 120)}"
    lat, lon = random_point(rng, city)
    mechanisms = []
    national = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**6):06d}"
    mechanisms.append(('mobile', mobile_written(rng, national), '+995' + national))
    if rng.random() < 0.15:
        area = info['area']
        if len(area) == 2:
            subscriber = '2' + f"{rng.randrange(10**6):06d}"
        else:
            subscriber = f"{rng.randrange(2 * 10**5, 10**6):06d}"
        mechanisms.append(('phone', landline_written(rng, area, subscriber),
                '+995' + area + subscriber))
    if rng.random() < 0.4:
        email = f"{email_name}@{rng.choice(EMAIL_DOMAINS)}"
        mechanisms.append(('email', email, email))
    return name, street, city, lat, lon, mechanisms, business


# ---------------------------------------------------------------------------
# Company, users and employees through the ORM (proteus)


def setup_company(database, config_file, log):
    """Create what the demo company needs, step by step.

    Each step checks whether it was done already, so a run that stopped
    half-way is completed by the next one and a full run adds nothing."""
    from proteus import Model
    from proteus import config as pconfig

    pconfig.set_trytond(database=database, config_file=config_file)
    Lang = Model.get('ir.lang')
    ka, = Lang.find([('code', '=', 'ka')])
    if not ka.translatable:
        ka.click('load_translations')

    Currency = Model.get('currency.currency')
    gel, = Currency.find([('code', '=', 'GEL')]) or [Currency(
            name="Georgian Lari", code='GEL', symbol='₾', numeric_code='981',
            rounding=Decimal('0.01'), digits=2)]
    gel.save()
    Country = Model.get('country.country')
    georgia, = Country.find([('code', '=', 'GE')]) or [Country(
            name="Georgia", code='GE', code3='GEO', code_numeric='268')]
    georgia.save()

    # the administrator's first login would open the module configuration
    # wizard: this script has done what it asks
    Item = Model.get('ir.module.config_wizard.item')
    for item in Item.find([('state', '!=', 'done')]):
        item.state = 'done'
        item.save()

    company = get_or_create_company(gel, georgia, log)
    User = Model.get('res.user')
    pconfig.get_config()._context = User.get_preferences(True, {})

    Account = Model.get('account.account')
    if not Account.find([('company', '=', company.id)], limit=1):
        create_chart(company, log)

    Hub = Model.get('delivery.hub')
    hubs = {h.code: h for h in Hub.find([])}
    for code, name, name_ka, kind, city, street, lat, lon in HUBS:
        if code in hubs:
            continue
        hub = Hub(code=code, name=name, kind=kind, city=city, street=street,
            latitude=lat, longitude=lon, company=company)
        hub.save()
        with pconfig.get_config().set_context(language='ka'):
            hub_ka = Hub(hub.id)
            hub_ka.name = name_ka
            hub_ka.save()
        hubs[code] = hub

    setup_crm(company, log)
    setup_invoicing(company, log)
    setup_tariffs(company, hubs, log)

    Group = Model.get('res.group')
    ModelData = Model.get('ir.model.data')
    Party = Model.get('party.party')
    Employee = Model.get('company.employee')
    employees = {}
    for login, name, groups, hub, lang, vehicle in USERS:
        user = User.find([('login', '=', login)])
        if user:
            employee = employees[login] = user[0].employee
            if login.startswith('manager') and not employee.contact_duty:
                # databases built before the contact discipline existed
                employee.contact_duty = True
                employee.working_days = ['0', '1', '2', '3', '4', '5', '6']
                employee.save()
            continue
        employee = Employee(party=Party(name=name), company=company,
            hub=hubs[hub], start_date=dt.date(2024, 3, 1))
        employee.party.save()
        if vehicle:
            vtype, capacity, cost_km, parcels = vehicle
            employee.courier = True
            employee.home_depot = hubs[hub]
            employee.vehicle_type = vtype
            employee.capacity_weight = float(capacity)
            employee.capacity_parcels = parcels
            employee.capacity_volume = {
                'bicycle': 0.08, 'scooter': 0.15, 'car': 1.2,
                'van': 8.0}.get(vtype)
            employee.cost_per_km = Decimal(str(cost_km))
            employee.fixed_cost_day = Decimal('20.00')
            employee.shift_start = dt.time(9, 0)
            employee.shift_end = dt.time(18, 0)
            employee.break_duration = dt.timedelta(minutes=45)
        if login.startswith(('manager', 'dispatcher')):
            employee.supervisor = employees.get('head')
        if login.startswith('manager'):
            # the demo's contact managers are on duty every day so that
            # the contact list can be tried on any day, Sunday included; a
            # real rota is set on the employee (Working Days)
            employee.contact_duty = True
            employee.working_days = ['0', '1', '2', '3', '4', '5', '6']
        employee.save()
        employees[login] = employee
        user = User(login=login, name=name, password=password(login))
        user.language, = Lang.find([('code', '=', lang)])
        user.companies.append(Model.get('company.company')(company.id))
        user.company = company
        user.employees.append(employee)
        user.employee = employee
        for module, fs_id in groups:
            user.groups.append(Group(ModelData.get_id(
                        f'{module}.{fs_id}', {})))
        user.save()
        log(f"user {login} created")


def setup_crm(company, log):
    "Marketing sources, categories, contact rules and a plan template"
    from proteus import Model
    Source = Model.get('delivery.marketing.source')
    Category = Model.get('party.category')
    Rule = Model.get('delivery.contact.rule')
    Template = Model.get('delivery.plan.template')

    if not Source.find([]):
        for name, name_ka, _ in SOURCES:
            source = Source(name=name)
            source.save()
            translate(Source, source, name_ka)
        log("marketing sources created")
    categories = {c.name: c for c in Category.find([])}
    for name, name_ka, parent in CATEGORIES:
        if name not in categories:
            category = Category(name=name,
                parent=categories[parent] if parent else None)
            category.save()
            translate(Category, category, name_ka)
            categories[name] = category
    if not Rule.find([]):
        for category, days, reason, priority in RULES:
            Rule(company=company,
                category=categories[category] if category else None,
                interval=days, reason=reason, priority=priority).save()
        log("contact rules created")
    if not Template.find([]):
        name, name_ka, lines = PLAN_TEMPLATE
        template = Template(name=name)
        for description, days, channel in lines:
            template.lines.new(description=description, days=days,
                channel=channel)
        template.save()
        translate(Template, template, name_ka)


def translate(Model_, record, name_ka):
    "Give record its Georgian name"
    from proteus import config as pconfig
    with pconfig.get_config().set_context(language='ka'):
        record = Model_(record.id)
        record.name = name_ka
        record.save()


def setup_invoicing(company, log):
    """Fiscal years of this year and the previous one (past orders are
    invoiced) with invoice sequences, the service products with the revenue
    account of the chart and the delivery configuration"""
    from proteus import Model
    from trytond.modules.account_invoice.tests.tools import (
        set_fiscalyear_invoice_sequences)
    FiscalYear = Model.get('account.fiscalyear')
    Sequence = Model.get('ir.sequence.strict')
    SequenceType = Model.get('ir.sequence.type')
    ModelData = Model.get('ir.model.data')
    today = dt.date.today()
    for year in [today.year - 1, today.year]:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if FiscalYear.find([
                    ('company', '=', company.id),
                    ('start_date', '<=', end),
                    ('end_date', '>=', start),
                    ]):
            continue
        move_sequence = Sequence(name=str(year), company=company,
            sequence_type=SequenceType(ModelData.get_id(
                    'account.sequence_type_account_move', {})))
        move_sequence.save()
        fiscalyear = FiscalYear(name=str(year), start_date=start,
            end_date=end, company=company, move_sequence=move_sequence)
        set_fiscalyear_invoice_sequences(fiscalyear)
        fiscalyear.click('create_period')
        log(f"fiscal year {year} created")

    Account = Model.get('account.account')
    Category = Model.get('product.category')
    Template = Model.get('product.template')
    Uom = Model.get('product.uom')
    Configuration = Model.get('delivery.configuration')
    name, name_ka = SERVICE_CATEGORY
    category = Category.find([('name', '=', name)], limit=1)
    if category:
        category, = category
    else:
        # the revenue account as account.tests.tools.get_accounts finds it
        revenue, = Account.find([
                ('type.revenue', '=', True),
                ('company', '=', company.id),
                ('closed', '!=', True),
                ], limit=1)
        category = Category(name=name, accounting=True)
        category.account_revenue = revenue
        category.customer_taxes.append(vat(company))
        category.save()
        translate(Category, category, name_ka)
    configuration = Configuration(1)
    unit = Uom(ModelData.get_id('product.uom_unit', {}))
    added = []
    for field, name, name_ka in SERVICE_PRODUCTS:
        if getattr(configuration, field):
            continue
        template = Template(name=name, type='service', default_uom=unit,
            account_category=category, list_price=Decimal(0))
        template.save()
        translate(Template, template, name_ka)
        setattr(configuration, field, template.products[0])
        added.append(name)
    if added:
        configuration.save()
        log(f"service products {', '.join(added)} created")


def vat(company):
    """Georgia's value added tax: 18 % on the delivery services"""
    from proteus import Model
    from trytond.modules.account.tests.tools import create_tax
    Tax = Model.get('account.tax')
    tax = Tax.find([('name', '=', VAT[0]), ('company', '=', company.id)])
    if tax:
        return Tax(tax[0].id)
    tax = create_tax(Decimal('0.18'), company)
    tax.name = tax.description = VAT[0]
    tax.save()
    from proteus import config as pconfig
    with pconfig.get_config().set_context(language='ka'):
        tax = Tax(tax.id)
        tax.name = tax.description = VAT[1]
        tax.save()
    return Tax(tax.id)


def setup_tariffs(company, hubs, log):
    """The zone of each city, the line-haul links, the standard tariff and
    the contract tariff of the business customers"""
    from proteus import Model
    Zone = Model.get('delivery.zone')
    Link = Model.get('delivery.hub.link')
    Tariff = Model.get('delivery.tariff')
    Category = Model.get('party.category')
    zones = {z.code: z for z in Zone.find([])}
    for code, name, name_ka in ZONES:
        if code in zones:
            continue
        zone = Zone(name=name, code=code, cities=f"{name}\n{name_ka}")
        zone.save()
        translate(Zone, zone, name_ka)
        zones[code] = zone
    links = {frozenset((l.from_hub.code, l.to_hub.code))
        for l in Link.find([])}
    for a, b, km in LINKS:
        if frozenset((a, b)) not in links:
            Link(from_hub=hubs[a], to_hub=hubs[b],
                distance=Decimal(km)).save()
    existing = {t.name for t in Tariff.find([])}
    categories = {c.name: c for c in Category.find([])}
    for (name, name_ka, category, cod_percent, cod_minimum, fragile,
            out_of_hours, rules) in TARIFFS:
        if name in existing:
            continue
        tariff = Tariff(name=name,
            cod_fee_percent=Decimal(cod_percent),
            cod_fee_minimum=Decimal(cod_minimum),
            fragile_fee=Decimal(fragile),
            out_of_hours_percent=Decimal(out_of_hours))
        if category:
            # the customers have the sub-categories of the contract's one
            for n, _, parent in CATEGORIES:
                if category in {n, parent} and n in categories:
                    tariff.categories.append(Category(categories[n].id))
        for (service, local, base, per_km, included, per_kg, per_parcel,
                minimum) in rules:
            for code in ([c for c, _, _ in ZONES] if local else [None]):
                zone = zones[code] if code else None
                tariff.rules.new(service=service, origin_zone=zone,
                    destination_zone=zone, base_price=Decimal(base),
                    price_per_km=Decimal(per_km),
                    included_weight=Decimal(included),
                    price_per_kg=Decimal(per_kg),
                    price_per_extra_parcel=Decimal(per_parcel),
                    minimum_price=Decimal(minimum))
        tariff.save()
        translate(Tariff, tariff, name_ka)
        log(f"tariff {name} created")


def password(login):
    "The demo password of a login"
    return login.capitalize() + PASSWORD_SUFFIX


def get_or_create_company(currency, country, log):
    from proteus import Model, Wizard
    Company = Model.get('company.company')
    companies = Company.find([])
    if companies:
        return companies[0]
    Party = Model.get('party.party')
    company_party = Party(name=COMPANY_NAME)
    address, = company_party.addresses
    address.street = HUBS[0][5]
    address.city = 'Tbilisi'
    address.postal_code = '0119'
    address.country = country
    address.latitude, address.longitude = HUBS[0][6], HUBS[0][7]
    company_party.save()
    config_wizard = Wizard('company.company.config')
    config_wizard.execute('company')
    config_wizard.form.party = company_party
    config_wizard.form.currency = currency
    config_wizard.form.timezone = 'Asia/Tbilisi'
    config_wizard.execute('add')
    company, = Company.find([])
    User = Model.get('res.user')
    admin, = User.find([('login', '=', 'admin')])
    if company not in admin.companies:
        admin.companies.append(company)
    admin.company = company
    admin.save()
    log("company created")
    return company


def create_chart(company, log):
    from proteus import Model, Wizard
    AccountTemplate = Model.get('account.account.template')
    Account = Model.get('account.account')
    ModelData = Model.get('ir.model.data')
    template = AccountTemplate(
        ModelData.get_id('account.account_template_root_en', {}))
    wizard = Wizard('account.create_chart')
    wizard.execute('account')
    wizard.form.account_template = template
    wizard.form.company = company
    wizard.execute('create_account')
    receivable, payable = (Account.find([
                (f'type.{kind}', '=', True),
                ('company', '=', company.id),
                ('closed', '!=', True),
                ('party_required', '=', True),
                ], limit=1)[0] for kind in ['receivable', 'payable'])
    wizard.form.account_receivable = receivable
    wizard.form.account_payable = payable
    wizard.execute('create_properties')
    log("chart of accounts created")


# ---------------------------------------------------------------------------
# Customers in bulk


@contextmanager
def session(database, config_file, **extras):
    "A pool and a transaction (as root) on database"
    from trytond import config
    config.update_etc(config_file)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(database)
    pool.init()
    with Transaction().start(
            database, 0, readonly=False, **extras) as transaction:
        yield pool, transaction


def run_locking(database, config_file, func):
    """Return func(pool, transaction) run as trytond's cron runs a task:
    when it needs locks the transaction did not start with, it is started
    again with them"""
    from trytond.transaction import TransactionError
    extras = {}
    while True:
        with session(database, config_file, **extras) as (pool, transaction):
            try:
                return func(pool, transaction)
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)


def is_postgresql(transaction):
    return transaction.database.__class__.__module__.endswith(
        'postgresql.database')


def bulk_customers(database, config_file, count, seed, log, batch=50000):
    with session(database, config_file) as (pool, transaction):
        Configuration = pool.get('party.configuration')
        Country = pool.get('country.country')
        cursor = transaction.connection.cursor()
        # customers are parties that are neither the company nor staff
        cursor.execute(
            'SELECT COUNT(*) FROM party_party p '
            'WHERE NOT EXISTS (SELECT 1 FROM company_company c '
            'WHERE c.party = p.id) '
            'AND NOT EXISTS (SELECT 1 FROM company_employee e '
            'WHERE e.party = p.id)')
        existing, = cursor.fetchone()
        # customers generated by versions without the CRM fields
        cursor.execute('UPDATE party_party SET delivery_customer = %s '
            'WHERE (delivery_customer IS NULL OR NOT delivery_customer) '
            'AND NOT EXISTS (SELECT 1 FROM company_company c '
            'WHERE c.party = party_party.id) '
            'AND NOT EXISTS (SELECT 1 FROM company_employee e '
            'WHERE e.party = party_party.id)'.replace(
                '%s', '%s' if is_postgresql(transaction) else '?'), (True,))
        # customers generated by versions without invoicing
        crm = CrmData(pool)
        cursor.execute('UPDATE party_party SET delivery_invoice_method = '
            f'{invoice_method_sql(crm.businesses)} WHERE delivery_customer '
            'AND delivery_invoice_method IS NULL')
        todo = count - existing
        if todo <= 0:
            transaction.commit()
            log(f"{existing} customers exist, none added")
            return 0
        rng = random.Random(f'{seed}-{existing}')
        georgia, = Country.search([('code', '=', 'GE')])
        sequence = Configuration(1).get_multivalue('party_sequence')
        number = sequence.number_next
        is_pg = is_postgresql(transaction)
        now = dt.datetime.now()
        start = time.perf_counter()
        done = 0
        while done < todo:
            n = min(batch, todo - done)
            rows = [generate_customer(rng) for _ in range(n)]
            party_ids = reserve_ids(cursor, 'party_party', n, is_pg)
            categories = [crm.categories(rng, row[6]) for row in rows]
            rel_ids = iter(reserve_ids(cursor, 'party_party-party_category',
                    sum(map(len, categories)), is_pg))
            address_ids = reserve_ids(cursor, 'party_address', n, is_pg)
            mechanism_count = sum(len(r[5]) for r in rows)
            mechanism_ids = iter(reserve_ids(
                    cursor, 'party_contact_mechanism', mechanism_count, is_pg))
            parties, addresses, mechanisms, rels = [], [], [], []
            for pid, aid, cats, (name, street, city, lat, lon, mechs, _) in zip(
                    party_ids, address_ids, categories, rows):
                code = f'{sequence.prefix or ""}{number}{sequence.suffix or ""}'
                number += 1
                created = now - dt.timedelta(
                    days=rng.random() ** 1.5 * 730)
                parties.append((pid, name, code, re.sub(r'[\W_]', '', code),
                        int(re.sub(r'\D', '', code)[-18:] or 0) or None,
                        True, 0, created, True, crm.source(rng),
                        crm.branches.get(city), rng.random() < 0.35,
                        invoice_method(pid, bool(
                                set(cats) & set(crm.businesses)))))
                for category in cats:
                    rels.append((next(rel_ids), pid, category, 0, created))
                addresses.append((aid, pid, street, city, georgia.id, lat, lon,
                        True, 1, 0, now))
                for seq, (type_, value, compact) in enumerate(mechs, 1):
                    mechanisms.append((next(mechanism_ids), pid, type_, value,
                            compact, True, seq, 0, now))
            copy(cursor, is_pg, 'party_party',
                ('id', 'name', 'code', 'code_alnum', 'code_digit', 'active',
                    'create_uid', 'create_date', 'delivery_customer',
                    'marketing_source', 'branch', 'wants_sms',
                    'delivery_invoice_method'),
                parties)
            copy(cursor, is_pg, 'party_party-party_category',
                ('id', 'party', 'category', 'create_uid', 'create_date'),
                rels)
            copy(cursor, is_pg, 'party_address',
                ('id', 'party', 'street_unstructured', 'city', 'country', 'latitude',
                    'longitude', 'active', 'sequence', 'create_uid',
                    'create_date'),
                addresses)
            copy(cursor, is_pg, 'party_contact_mechanism',
                ('id', 'party', 'type', 'value', 'value_compact', 'active',
                    'sequence', 'create_uid', 'create_date'),
                mechanisms)
            done += n
            elapsed = time.perf_counter() - start
            log(f"{existing + done} customers ({done / elapsed:,.0f}/s)")
        sequence.number_next = number
        sequence.save()
        transaction.commit()
        if is_pg:
            for table in ['party_party', 'party_address',
                    'party_contact_mechanism', 'party_party-party_category']:
                cursor.execute(f'ANALYZE "{table}"')
            transaction.commit()
        return todo


def invoice_method(party_id, business):
    """About one customer in 10 is invoiced per order: private customers,
    who pay each delivery; the businesses get a monthly invoice"""
    return 'order' if party_id % 9 == 0 and not business else 'period'


def invoice_method_sql(businesses):
    "invoice_method() of party_party's rows in SQL"
    business = ('EXISTS (SELECT 1 FROM "party_party-party_category" r '
        'WHERE r.party = party_party.id AND r.category IN (%s))'
        % ','.join(map(str, businesses or [0])))
    return (f"CASE WHEN id % 9 = 0 AND NOT {business} THEN 'order' "
        "ELSE 'period' END")


class CrmData:
    "Ids of the CRM configuration that customers refer to"

    def __init__(self, pool):
        Source = pool.get('delivery.marketing.source')
        Category = pool.get('party.category')
        Hub = pool.get('delivery.hub')
        from trytond.transaction import Transaction
        weights = {name: share for name, _, share in SOURCES}
        with Transaction().set_context(language='en'):
            sources = Source.search([], order=[('id', 'ASC')])
            self.source_ids = [s.id for s in sources]
            self.source_weights = [weights.get(s.name, 0.05) for s in sources]
            categories = {c.name: c.id for c in Category.search([])}
        self.individuals = categories.get("Individuals")
        self.businesses = [categories[n] for n in [
                "Online shops", "Restaurants", "Pharmacies"]
            if n in categories]
        self.vip = categories.get("VIP")
        self.branches = {}
        for hub in Hub.search([('kind', '=', 'branch')],
                order=[('id', 'ASC')]):
            self.branches.setdefault(hub.city, hub.id)

    def source(self, rng):
        if not self.source_ids:
            return None
        return rng.choices(self.source_ids, weights=self.source_weights)[0]

    def categories(self, rng, business):
        result = []
        if business and self.businesses:
            result.append(rng.choice(self.businesses))
        elif not business and self.individuals:
            result.append(self.individuals)
        if self.vip and rng.random() < 0.05:
            result.append(self.vip)
        return result


def customer_ids(cursor):
    cursor.execute('SELECT id FROM party_party WHERE delivery_customer '
        'ORDER BY id')
    return [r[0] for r in cursor]


def contact_staff(cursor):
    "The ids of the contact staff"
    cursor.execute('SELECT id FROM company_employee WHERE contact_duty '
        'ORDER BY id')
    staff = [r[0] for r in cursor]
    return staff


def to_add(cursor, table, count, what, log):
    """Return (existing, to add, company, customer ids, staff ids) for
    filling table up to count rows; nothing to add without customers and
    contact staff"""
    cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
    existing, = cursor.fetchone()
    if count <= existing:
        log(f"{existing} {what} exist, none added")
        return existing, 0, None, [], []
    cursor.execute('SELECT id FROM company_company ORDER BY id')
    company, = cursor.fetchone()
    customers, staff = customer_ids(cursor), contact_staff(cursor)
    if not customers or not staff:
        log(f"no customers or no contact staff: no {what}")
        return existing, 0, company, customers, staff
    return existing, count - existing, company, customers, staff


def add_staff(database, config_file, total, log):
    "Contact staff without logins up to total, shared among the branches"
    from proteus import Model
    from proteus import config as pconfig
    pconfig.set_trytond(database=database, config_file=config_file)
    Employee = Model.get('company.employee')
    Party = Model.get('party.party')
    Hub = Model.get('delivery.hub')
    Company = Model.get('company.company')
    company, = Company.find([])
    existing = Employee.find([('contact_duty', '=', True)])
    branches = Hub.find([('kind', '=', 'branch')])
    head = Employee.find([('party.name', '=', USERS[0][1])], limit=1)
    rng = random.Random('staff')
    to_save = []
    for i in range(len(existing), total):
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        party = Party(name=f"{first[0]} {last[0]}")
        party.save()
        to_save.append(Employee(party=party, company=company,
                hub=branches[i % len(branches)], contact_duty=True,
                supervisor=head[0] if head else None,
                working_days=['0', '1', '2', '3', '4', '5', '6']))
    Employee.save(to_save)
    log(f"{len(to_save)} contact staff added")


def bulk_contacts(database, config_file, count, seed, log, batch=100000):
    """Contacts of the last 90 days up to count, then every customer's last
    contact date in one statement"""
    with session(database, config_file) as (pool, transaction):
        cursor = transaction.connection.cursor()
        is_pg = is_postgresql(transaction)
        existing, todo, company, customers, staff = to_add(
            cursor, 'delivery_contact', count, "contacts", log)
        if not todo:
            return 0
        rng = random.Random(f'{seed}-contacts-{existing}')
        results = ['reached', 'order_taken', 'call_back', 'no_answer',
            'wrong_number', 'refused']
        weights = [45, 15, 8, 25, 3, 4]
        reasons = ['delivery_reminder', 'better_offer', 'new_service']
        channels = ['call', 'call', 'call', 'sms', 'email', 'visit']
        now = dt.datetime.now().replace(microsecond=0)
        start, done = time.perf_counter(), 0
        while done < todo:
            n = min(batch, todo - done)
            ids = reserve_ids(cursor, 'delivery_contact', n, is_pg)
            rows = []
            for id_ in ids:
                date = now - dt.timedelta(seconds=rng.randrange(90 * 86400))
                result = rng.choices(results, weights)[0]
                rows.append((id_, company, rng.choice(customers),
                        rng.choice(staff), date, rng.choice(channels),
                        rng.choice(reasons), result,
                        (date + dt.timedelta(days=rng.randint(1, 7))).date()
                        if result == 'call_back' else None,
                        0, date))
            copy(cursor, is_pg, 'delivery_contact',
                ('id', 'company', 'party', 'employee', 'date', 'channel',
                    'reason', 'result', 'callback', 'create_uid',
                    'create_date'), rows)
            done += n
            log(f"{existing + done} contacts "
                f"({done / (time.perf_counter() - start):,.0f}/s)")
        cursor.execute('UPDATE party_party SET last_contact = m.last '
            'FROM (SELECT party, MAX(date) AS last FROM delivery_contact '
            'GROUP BY party) AS m WHERE party_party.id = m.party')
        if is_pg:
            transaction.commit()
            cursor.execute('ANALYZE delivery_contact')
            cursor.execute('ANALYZE party_party')
        transaction.commit()
        return todo


def bulk_plan_tasks(database, config_file, count, seed, log, batch=100000):
    "Work plans of 10 tasks each over the last year, up to count tasks"
    with session(database, config_file) as (pool, transaction):
        cursor = transaction.connection.cursor()
        is_pg = is_postgresql(transaction)
        existing, todo, company, customers, staff = to_add(
            cursor, 'delivery_plan_task', count, "plan tasks", log)
        if not todo:
            return 0
        rng = random.Random(f'{seed}-plans-{existing}')
        today = dt.date.today()
        now = dt.datetime.now().replace(microsecond=0)
        _, _, lines = PLAN_TEMPLATE
        descriptions = [d for d, _, _ in lines] + [
            "Offer a contract price", "Ask for a review",
            "Present the intercity service"]
        start, done = time.perf_counter(), 0
        while done < todo:
            n = min(batch, todo - done)
            plans = -(-n // 10)
            plan_ids = reserve_ids(cursor, 'delivery_plan', plans, is_pg)
            task_ids = iter(reserve_ids(
                    cursor, 'delivery_plan_task', n, is_pg))
            plan_rows, task_rows = [], []
            left = n
            for plan_id in plan_ids:
                employee = rng.choice(staff)
                start_date = today - dt.timedelta(days=rng.randrange(365))
                plan_rows.append((plan_id, company, rng.choice(customers),
                        employee, start_date, 'active', 0, now))
                for k in range(min(10, left)):
                    date = start_date + dt.timedelta(days=7 * k)
                    is_done = date <= today and rng.random() < 0.6
                    task_rows.append((next(task_ids), plan_id, company,
                            rng.choice(descriptions), date, employee,
                            rng.choice(['call', 'visit', 'email']),
                            rng.random() < 0.1,
                            min(today, date + dt.timedelta(
                                    days=rng.randint(0, 3)))
                            if is_done else None,
                            'done' if is_done else 'planned', 0, now))
                left -= min(10, left)
            copy(cursor, is_pg, 'delivery_plan',
                ('id', 'company', 'party', 'employee', 'start_date', 'state',
                    'create_uid', 'create_date'), plan_rows)
            copy(cursor, is_pg, 'delivery_plan_task',
                ('id', 'plan', 'company', 'description', 'date', 'employee',
                    'channel', 'management', 'done_date', 'state',
                    'create_uid', 'create_date'), task_rows)
            done += n
            log(f"{existing + done} plan tasks "
                f"({done / (time.perf_counter() - start):,.0f}/s)")
        if is_pg:
            transaction.commit()
            cursor.execute('ANALYZE delivery_plan')
            cursor.execute('ANALYZE delivery_plan_task')
        transaction.commit()
        return todo


# ---------------------------------------------------------------------------
# Delivery orders in bulk

TIMEZONE = 'Asia/Tbilisi'
ORDER_DAYS = 90
# service: share of the orders; same-day, next-day and express orders stay
# in the customer's city, intercity ones go to one of the two others
SERVICE_MIX = [
    ('same_day', 0.45), ('next_day', 0.35), ('express', 0.05),
    ('intercity', 0.15)]
NO_COORDINATES = 0.03   # delivery address without coordinates
COD_SHARE = 0.20        # cash on delivery (not on express: not allowed)
FRAGILE_SHARE = 0.05
EVENING_SHARE = 0.03    # delivery window after working hours
# what became of the orders picked up before today, of today's and of
# tomorrow's (booked today): state, weight
PAST_FATES = [('delivered', 96), ('returned', 3), ('cancelled', 1)]
TODAY_FATES = [
    ('confirmed', 20), ('assigned', 20), ('picked_up', 20),
    ('in_transit', 15), ('delivered', 20), ('failed', 3), ('cancelled', 2)]
TOMORROW_FATES = [('confirmed', 95), ('draft', 4), ('cancelled', 1)]
FAILURES = [('absent', 50), ('refused', 20), ('address', 15), ('no_cash', 15)]


def local_to_utc(value):
    "A naive local time of the company as the naive UTC time Tryton stores"
    from zoneinfo import ZoneInfo
    return value.replace(tzinfo=ZoneInfo(TIMEZONE)).astimezone(
        dt.timezone.utc).replace(tzinfo=None)


def local_today():
    "Today in the company's time zone"
    from zoneinfo import ZoneInfo
    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()


def local_naive(value):
    "A naive UTC time as the naive local time of the company"
    from zoneinfo import ZoneInfo
    return value.replace(tzinfo=dt.timezone.utc).astimezone(
        ZoneInfo(TIMEZONE)).replace(tzinfo=None)


def order_customers(cursor, crm):
    """(id, name, address id, street, city, latitude, longitude, phone,
    weight) of each customer with an address in one of the cities; weight
    is how much it orders: businesses far more, a few individuals often"""
    cursor.execute(
        'SELECT p.id, p.name, a.id, a.street_unstructured, a.city, '
        'a.latitude, a.longitude FROM party_party p '
        'JOIN party_address a ON a.party = p.id '
        'WHERE p.delivery_customer ORDER BY p.id, a.sequence, a.id')
    addresses = {}
    for row in cursor:
        if row[4] in CITIES and row[0] not in addresses:
            addresses[row[0]] = row
    cursor.execute("SELECT party, value FROM party_contact_mechanism "
        "WHERE type IN ('mobile', 'phone') ORDER BY sequence DESC, id DESC")
    phones = {party: value for party, value in cursor}
    cursor.execute('SELECT party, category FROM "party_party-party_category"')
    businesses = set(crm.businesses)
    business = {party for party, category in cursor
        if category in businesses}
    rng = random.Random('order-weights')
    result = []
    for party_id, row in sorted(addresses.items()):
        weight = rng.paretovariate(1.8)
        if party_id in business:
            weight *= 8
        result.append(row + (phones.get(party_id), weight))
    return result


def order_staff(cursor):
    """The users who take the orders (dispatchers) and the users and
    employees who carry them (couriers) in each city"""
    cursor.execute(
        'SELECT u.id, u.login, e.id, e.courier, h.city FROM res_user u '
        'LEFT JOIN company_employee e ON e.id = u.employee '
        'LEFT JOIN delivery_hub h ON h.id = e.hub ORDER BY u.id')
    admin, dispatchers, couriers = None, {}, {}
    for user_id, login, employee, courier, city in cursor:
        if login == 'admin':
            admin = user_id
        elif login.startswith('dispatcher') and city:
            dispatchers.setdefault(city, []).append(user_id)
        elif courier and city:
            couriers.setdefault(city, []).append((user_id, employee))
    # a city without its own dispatcher is dispatched from the head office
    default = dispatchers.get('Tbilisi') or [admin]
    dispatchers = {c: dispatchers.get(c, default) for c in CITIES}
    couriers = {c: couriers.get(c) or [(admin, None)] for c in CITIES}
    return admin, dispatchers, couriers


def generate_order(rng, customer, pickup_day, booked, now):
    """Return (values for Order.bulk_create, the local times of the order:
    order date, pickup and delivery windows) of an order of customer whose
    parcels are picked up on pickup_day; booked: the order was placed
    before that day (now at the latest)"""
    (party_id, name, address_id, street, city, latitude, longitude, phone,
        _) = customer
    service = rng.choices(
        [s for s, _ in SERVICE_MIX], [w for _, w in SERVICE_MIX])[0]
    to_city = (rng.choice([c for c in CITIES if c != city])
        if service == 'intercity' else city)
    midnight = dt.datetime.combine(pickup_day, dt.time())
    if booked:
        date = now - dt.timedelta(minutes=rng.randrange(10, 12 * 60))
    elif pickup_day == now.date():
        start = max(midnight + dt.timedelta(hours=8), now - dt.timedelta(
                hours=10))
        start = min(start, now - dt.timedelta(minutes=30))
        date = start + (now - start) * rng.random()
    else:
        date = midnight + dt.timedelta(
            hours=rng.triangular(8, 19, 11))
    date = date.replace(second=0, microsecond=0)
    hour = dt.timedelta(hours=1)
    # the working hours are 9:00 to 19:00: later windows pay a surcharge
    if booked:
        pickup_start = midnight + dt.timedelta(hours=rng.randint(9, 14))
    elif service == 'express':
        pickup_start = date + dt.timedelta(minutes=rng.choice([20, 30, 45]))
    else:
        pickup_start = max(date + hour, midnight + 9 * hour).replace(
            minute=0) + hour
        if service == 'same_day' and pickup_start.hour > 15:
            service = 'next_day'
        if pickup_start.hour > 16 or pickup_start.date() != date.date():
            # ordered late: picked up the next morning
            midnight = dt.datetime.combine(
                date.date() + dt.timedelta(days=1), dt.time())
            pickup_start = midnight + dt.timedelta(hours=rng.randint(9, 11))
    if service == 'express':
        pickup_end = pickup_start + hour
        delivery_start, delivery_end = pickup_start, pickup_start + 2 * hour
    elif service == 'same_day':
        pickup_end = pickup_start + 2 * hour
        delivery_start = pickup_end
        delivery_end = min(pickup_end + 3 * hour, midnight + 19 * hour)
    else:
        pickup_end = pickup_start + 3 * hour
        next_day = midnight + dt.timedelta(days=1)
        delivery_start = next_day + dt.timedelta(
            hours=rng.choice([10, 12, 14, 16]))
        delivery_end = delivery_start + 3 * hour
    if service != 'express' and rng.random() < EVENING_SHARE:
        delivery_start = delivery_start.replace(hour=19, minute=30)
        delivery_end = delivery_start + 2 * hour
    georgian = rng.random() < 0.8
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    recipient = (f"{first[0]} {last[0]}" if georgian
        else f"{first[1]} {last[1]}")
    national = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**6):06d}"
    street_ka, street_en = rng.choice(CITIES[to_city]['streets'])
    delivery_street = (
        f"{street_ka if georgian else street_en} {rng.randint(1, 180)}")
    if rng.random() < 0.4:
        delivery_street += (f", ბ. {rng.randint(1, 120)}" if georgian
            else f", apt {rng.randint(1, 120)}")
    if rng.random() < NO_COORDINATES:
        delivery_latitude = delivery_longitude = None
    else:
        delivery_latitude, delivery_longitude = random_point(rng, to_city)
    parcels = rng.choices([1, 2, 3], [75, 18, 7])[0]
    weight = round(min(25, max(0.2, rng.lognormvariate(0.8, 0.9))), 1)
    # a volumetric weight (200 kg/m3) of 30 % to 120 % of the weight
    volume = max(0.001, round(weight * rng.uniform(0.3, 1.2) / 200, 3))
    cod = Decimal(0)
    if service != 'express' and rng.random() < COD_SHARE:
        cod = Decimal(min(1500,
                5 * round(rng.lognormvariate(3.8, 0.8) / 5) + 5))
    values = {
        'date': local_to_utc(date),
        'customer': party_id,
        'service': service,
        'sender': party_id,
        'sender_name': name,
        'sender_phone': phone,
        'pickup_address': address_id,
        'pickup_street': street,
        'pickup_city': city,
        'pickup_latitude': latitude,
        'pickup_longitude': longitude,
        'recipient_name': recipient,
        'recipient_phone': mobile_written(rng, national),
        'delivery_street': delivery_street,
        'delivery_city': to_city,
        'delivery_latitude': delivery_latitude,
        'delivery_longitude': delivery_longitude,
        'pickup_start': local_to_utc(pickup_start),
        'pickup_end': local_to_utc(pickup_end),
        'delivery_start': local_to_utc(delivery_start),
        'delivery_end': local_to_utc(delivery_end),
        'parcel_count': parcels,
        'weight': weight,
        'volume': volume,
        'cod_amount': cod,
        'fragile': rng.random() < FRAGILE_SHARE,
        'declared_value': cod or None,
        }
    times = (date, pickup_start, pickup_end, delivery_start, delivery_end)
    return values, times


class OrderStory:
    """What happened to orders after their confirmation: the updates of the
    orders and of their legs and their history, from each order's fate and
    local times"""

    def __init__(self, rng, now, staff):
        self.rng = rng
        self.now = now
        self.admin, self.dispatchers, self.couriers = staff
        self.orders, self.legs, self.events = [], [], []

    def tell(self, order_id, fate, values, times, legs, day_kind):
        """Add the story of an order; legs: [(id, kind, from hub, to hub)]
        by sequence"""
        rng, now = self.rng, self.now
        minute = dt.timedelta(minutes=1)
        date, pickup_start, pickup_end, delivery_start, delivery_end = times
        city, to_city = values['pickup_city'], values['delivery_city']
        dispatcher = rng.choice(self.dispatchers[city])
        courier, courier_employee = rng.choice(self.couriers[city])
        last_courier, last_employee = rng.choice(self.couriers[to_city])
        clock = [date]

        def at(value):
            "value (local), after the previous event and not after now"
            value = max(value.replace(microsecond=0), clock[0] + minute)
            if value > now:
                value = max(now - minute, clock[0])
            clock[0] = value
            return value

        def within(start, end):
            return start + (end - start) * rng.random()

        def later(low, high):
            "a time between low and high minutes after the previous event"
            return at(clock[0] + rng.randint(low, high) * minute)

        created = local_to_utc(date)
        events = []

        def event(name, when, user, hub=None, leg=None):
            events.append((order_id, name, local_to_utc(when), hub, leg,
                    user, user, created))

        event('confirmed', date, dispatcher)
        cod = values['cod_amount']
        cod_state = 'to_collect' if cod else 'none'
        cod_collected = cod_handed_in = failure_reason = None
        failed_attempts = 0
        # leg id: [state, started, done, courier employee]
        leg_state = {l[0]: ['waiting', None, None, None] for l in legs}
        if fate == 'cancelled':
            event('cancelled', later(5, 240), dispatcher)
            for leg in leg_state.values():
                leg[0] = 'cancelled'
            cod_state = 'none'
        elif fate != 'confirmed':
            event('assigned', later(5, 40), dispatcher)
        if fate in {'picked_up', 'in_transit', 'delivered', 'failed',
                'returned'}:
            final = fate in {'delivered', 'failed', 'returned'}
            picked = at(within(pickup_start, pickup_end))
            event('picked_up', picked, courier)
            first = leg_state[legs[0][0]]
            first[:] = ['in_progress', picked, None, courier_employee]
            current = legs[0]
            if current[1] == 'direct':
                if fate == 'in_transit':
                    event('in_transit', later(5, 40), courier)
            else:
                # the parcels reach the origin hub, then travel from hub
                # to hub, then the last mile
                first[0], first[2] = 'done', later(30, 120)
                event('in_transit', clock[0], courier, hub=legs[0][3])
                for leg_id, kind, from_hub, to_hub in legs[1:]:
                    current = (leg_id, kind, from_hub, to_hub)
                    if kind != 'linehaul':
                        break
                    if not final and rng.random() < 0.4:
                        break
                    leg_state[leg_id][:2] = ['in_progress', later(60, 300)]
                    event('in_transit', clock[0], dispatcher, hub=from_hub,
                        leg=leg_id)
                    if not final and rng.random() < 0.4:
                        break
                    leg_state[leg_id][0] = 'done'
                    leg_state[leg_id][2] = later(150, 270)
                    event('at_hub', clock[0], dispatcher, hub=to_hub,
                        leg=leg_id)
                if final:
                    out = at(max(clock[0] + 30 * minute,
                            delivery_start - rng.randint(30, 90) * minute))
                    leg_state[current[0]][:] = [
                        'in_progress', out, None, last_employee]
                    event('in_transit', out, last_courier, hub=current[2],
                        leg=current[0])
            if final:
                arrived = at(within(delivery_start, delivery_end))
                leg = leg_state[current[0]]
                if fate == 'delivered':
                    leg[0], leg[2] = 'done', arrived
                    event('delivered', arrived, last_courier)
                    if cod:
                        cod_state, cod_collected = 'collected', arrived
                        if day_kind == 'past':
                            cod_state = 'handed_in'
                            cod_handed_in = later(60, 360)
                else:
                    leg[0] = 'failed'
                    failed_attempts = 1
                    failure_reason = rng.choices(
                        [r for r, _ in FAILURES],
                        [w for _, w in FAILURES])[0]
                    event('failed', arrived, last_courier)
                    if fate == 'returned':
                        event('returned', later(20 * 60, 48 * 60),
                            dispatcher)
                        # as Order.return_ does
                        for leg in leg_state.values():
                            if leg[0] in {'waiting', 'failed'}:
                                leg[0] = 'cancelled'

        def utc(value):
            return local_to_utc(value) if value else None

        self.events.extend(events)
        self.orders.append((order_id, fate, cod_state, utc(cod_collected),
                utc(cod_handed_in), failed_attempts, failure_reason,
                dispatcher, created))
        for leg_id, (state, started, done, employee) in leg_state.items():
            self.legs.append((leg_id, state, utc(started), utc(done),
                    employee, created))


def feasible_fate(rng, fate, times, now):
    """The fate drawn for an order, held back to what can have happened by
    now (local): nothing picked up before the pickup window opens, nothing
    delivered (nor failed, nor returned) before the delivery window opens;
    so a demo built at night or on a quiet morning still has today's
    orders to plan and next-day parcels on their way"""
    date, pickup_start, pickup_end, delivery_start, delivery_end = times
    if fate in {'draft', 'cancelled', 'confirmed'}:
        return fate
    if now < pickup_start:
        return rng.choice(['confirmed', 'assigned'])
    if now < delivery_start and fate in {'delivered', 'failed', 'returned'}:
        return rng.choice(['picked_up', 'in_transit'])
    if fate == 'returned' and now < delivery_end + dt.timedelta(hours=20):
        # a return comes a day after the failed attempt at the earliest
        return 'failed'
    return fate


def bulk_orders(database, config_file, count, seed, log, batch=10000):
    """Orders up to count over the last ORDER_DAYS days, today and
    tomorrow, created with Order.bulk_create, then moved along their
    workflow with set-based SQL: the past ones delivered (a few returned
    or cancelled), today's on their way, tomorrow's confirmed"""
    from zoneinfo import ZoneInfo
    with session(database, config_file) as (pool, transaction):
        Order = pool.get('delivery.order')
        cursor = transaction.connection.cursor()
        is_pg = is_postgresql(transaction)
        cursor.execute('SELECT COUNT(*) FROM delivery_order')
        existing, = cursor.fetchone()
        if count <= existing:
            log(f"{existing} orders exist, none added")
            return 0
        cursor.execute('SELECT id FROM company_company ORDER BY id')
        company, = cursor.fetchone()
        customers = order_customers(cursor, CrmData(pool))
        if not customers:
            log("no customers: no orders")
            return 0
        staff = order_staff(cursor)
        todo = count - existing
        rng = random.Random(f'{seed}-orders-{existing}')
        now = dt.datetime.now(ZoneInfo(TIMEZONE)).replace(
            tzinfo=None, second=0, microsecond=0)
        today = now.date()
        days = [today - dt.timedelta(days=d)
            for d in range(ORDER_DAYS, -2, -1)]
        # fewer orders on Sundays
        day_weights = [0.4 if d.weekday() == 6 else 1 for d in days]
        cum_customers = list(itertools.accumulate(c[-1] for c in customers))
        start, done = time.perf_counter(), 0
        with transaction.set_context(company=company, user=staff[0]):
            while done < todo:
                n = min(batch, todo - done)
                confirmed, drafts = [], []
                for _ in range(n):
                    day = rng.choices(days, day_weights)[0]
                    day_kind = ('past' if day < today else
                        'today' if day == today else 'tomorrow')
                    fate = rng.choices(*zip(*{
                                'past': PAST_FATES, 'today': TODAY_FATES,
                                'tomorrow': TOMORROW_FATES}[day_kind]))[0]
                    customer = rng.choices(
                        customers, cum_weights=cum_customers)[0]
                    values, times = generate_order(
                        rng, customer, day, day_kind == 'tomorrow', now)
                    fate = feasible_fate(rng, fate, times, now)
                    (drafts if fate == 'draft' else confirmed).append(
                        (values, times, fate, day_kind))
                ids = Order.bulk_create([c[0] for c in confirmed],
                    confirm=True, history=True)
                Order.bulk_create([d[0] for d in drafts], history=True)
                story = OrderStory(rng, now, staff)
                legs = order_legs(cursor, ids)
                for order_id, (values, times, fate, day_kind) in zip(
                        ids, confirmed):
                    story.tell(order_id, fate, values, times,
                        legs[order_id], day_kind)
                # the history written by bulk_create is told again
                for sub_ids in chunks(ids, 1000):
                    cursor.execute('DELETE FROM delivery_order_event '
                        'WHERE "order" IN (%s)' % ','.join(map(str, sub_ids)))
                copy(cursor, is_pg, 'delivery_order_event',
                    ('order', 'event', 'date', 'hub', 'leg', 'user',
                        'create_uid', 'create_date'), story.events)
                update_many(cursor, is_pg, 'delivery_order',
                    ('state', 'cod_state', 'cod_collected', 'cod_handed_in',
                        'failed_attempts', 'failure_reason', 'create_uid',
                        'create_date'), story.orders)
                update_many(cursor, is_pg, 'delivery_order_leg',
                    ('state', 'started', 'done', 'courier', 'create_date'),
                    story.legs)
                done += n
                log(f"{existing + done} orders "
                    f"({done / (time.perf_counter() - start):,.0f}/s)")
        transaction.commit()
        if is_pg:
            for table in ['delivery_order', 'delivery_order_leg',
                    'delivery_order_event']:
                cursor.execute(f'ANALYZE "{table}"')
            transaction.commit()
        return todo


def order_legs(cursor, ids):
    "The legs of each order as [(id, kind, from hub, to hub)] by sequence"
    legs = {i: [] for i in ids}
    for sub_ids in chunks(ids, 1000):
        cursor.execute('SELECT "order", id, kind, from_hub, to_hub '
            'FROM delivery_order_leg WHERE "order" IN (%s) '
            'ORDER BY "order", sequence' % ','.join(map(str, sub_ids)))
        for order_id, *leg in cursor:
            legs[order_id].append(tuple(leg))
    return legs


def invoice_orders(database, config_file, log):
    """Invoice the delivered orders as the company did: every month's
    delivered orders of the customers invoiced periodically at the end of
    the month (Order.invoice_period), each delivered order of the customers
    invoiced per order. The invoices stay drafts dated as they would be."""
    return run_locking(database, config_file,
        lambda pool, transaction: _invoice_orders(pool, transaction, log))


def _invoice_orders(pool, transaction, log):
    Order = pool.get('delivery.order')
    cursor = transaction.connection.cursor()
    is_pg = is_postgresql(transaction)
    cursor.execute('SELECT id FROM company_company ORDER BY id')
    company = cursor.fetchone()
    if not company:
        return 0
    admin, _, _ = order_staff(cursor)
    # the invoicing locks the orders: all of them at once
    Order.lock()
    cursor.execute("SELECT MIN(o.date) FROM delivery_order o "
        "JOIN party_party p ON p.id = o.customer "
        "WHERE o.state = 'delivered' AND o.invoice IS NULL "
        "AND p.delivery_invoice_method = 'period'")
    first, = cursor.fetchone()
    ends = []
    if first is not None:
        if isinstance(first, str):
            first = dt.datetime.fromisoformat(first)
        last = local_today().replace(day=1) - dt.timedelta(days=1)
        end = month_end(first.date())
        while end <= last:
            ends.append(end)
            end = month_end(end + dt.timedelta(days=1))
    count = 0
    Party = pool.get('party.party')
    start = time.perf_counter()
    with transaction.set_context(company=company[0], user=admin):
        for end in ends:
            # by slices of customers: on SQLite, trytond cannot validate
            # much more than 500 new invoices at once
            cursor.execute("SELECT DISTINCT o.customer FROM delivery_order o "
                "JOIN party_party p ON p.id = o.customer "
                "WHERE o.state = 'delivered' AND o.invoice IS NULL "
                "AND p.delivery_invoice_method = 'period' AND o.date < "
                + ('%s' if is_pg else '?') + " ORDER BY o.customer",
                (dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),))
            customers = [r[0] for r in cursor]
            invoices = []
            for sub_ids in chunks(customers, 200):
                invoices += Order.invoice_period(
                    date=end, customers=Party.browse(sub_ids))
            # dated the end of the month, as the run of that day would be
            update_many(cursor, is_pg, 'account_invoice', ('invoice_date',),
                [(i.id, end) for i in invoices])
            count += len(invoices)
            log(f"{len(invoices)} invoices of the orders up to {end} "
                f"({time.perf_counter() - start:.1f} s)")
        orders = Order.search([
                ('state', '=', 'delivered'),
                ('invoice', '=', None),
                ('customer.delivery_invoice_method', '=', 'order'),
                ], order=[('id', 'ASC')])
        dates = {}
        for sub_ids in chunks([o.id for o in orders], 1000):
            cursor.execute("SELECT \"order\", MAX(date) "
                "FROM delivery_order_event WHERE event = 'delivered' "
                'AND "order" IN (%s) GROUP BY "order"'
                % ','.join(map(str, sub_ids)))
            dates.update(cursor)
        rows = []
        for order in orders:
            # invoiced when delivered
            date = dates.get(order.id) or order.date
            if isinstance(date, str):
                date = dt.datetime.fromisoformat(date)
            date = local_naive(date).date()
            invoice, = Order.create_invoices([order], date)
            rows.append((invoice.id, date))
        update_many(cursor, is_pg, 'account_invoice', ('invoice_date',),
            rows)
        count += len(rows)
        if rows:
            log(f"{len(rows)} invoices of single orders "
                f"({time.perf_counter() - start:.1f} s)")
    transaction.commit()
    return count


def month_end(date):
    "The last day of the month of date"
    return (date.replace(day=28) + dt.timedelta(days=4)).replace(day=1) \
        - dt.timedelta(days=1)


def chunks(values, size):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def update_many(cursor, is_pg, table, columns, rows):
    """Set columns of table from rows of (id, *values): on PostgreSQL one
    UPDATE from a temporary table filled by COPY"""
    if not rows:
        return
    if is_pg:
        names = ', '.join(f'"{c}"' for c in columns)
        cursor.execute(f'CREATE TEMPORARY TABLE "update_{table}" AS '
            f'SELECT id, {names} FROM "{table}" WITH NO DATA')
        copy(cursor, is_pg, f'update_{table}', ('id',) + tuple(columns),
            rows)
        sets = ', '.join(f'"{c}" = u."{c}"' for c in columns)
        cursor.execute(f'UPDATE "{table}" SET {sets} '
            f'FROM "update_{table}" AS u WHERE "{table}".id = u.id')
        cursor.execute(f'DROP TABLE "update_{table}"')
    else:
        sets = ', '.join(f'"{c}" = ?' for c in columns)
        cursor.executemany(f'UPDATE "{table}" SET {sets} WHERE id = ?',
            [row[1:] + row[:1] for row in rows])


def build_today(database, config_file, log):
    "Build today's contact list, as the daily scheduled job does"
    with session(database, config_file) as (pool, transaction):
        Task = pool.get('delivery.contact.task')
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        Task.generate()
        transaction.commit()
        for company in Company.search([]):
            # today in the company's time zone, as generate() takes it
            with transaction.set_context(company=company.id):
                today = Date.today()
            log(f"{Task.search_count([('date', '=', today)])} "
                "contact tasks today")


def build_trips(database, config_file, log, time_limit=5):
    """Plan today's trips at every depot with couriers, as a dispatcher
    does in the morning (Plan Trips, Plan the Day), so that the courier
    app and the schedule are not empty on first start; the stops start
    after now + the lead time, so a demo built in the evening has few"""
    from trytond.worker import run_task
    with session(database, config_file) as (pool, transaction):
        Plan = pool.get('delivery.trip.plan')
        Employee = pool.get('company.employee')
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        plans = []
        for company in Company.search([]):
            with transaction.set_context(company=company.id):
                today = Date.today()
                depots = {e.home_depot for e in Employee.search([
                            ('company', '=', company.id),
                            ('courier', '=', True),
                            ('home_depot', '!=', None),
                            ])}
                depots = [d for d in depots if d.latitude is not None]
                if not depots or Plan.search([
                            ('company', '=', company.id),
                            ('date', '=', today),
                            ]):
                    # planned already: a second run adds nothing
                    continue
                plans.append(Plan(
                        company=company, date=today, depots=depots,
                        time_limit=time_limit, engine='pyvrp'))
        Plan.save(plans)
        Plan.run(plans)
        plan_ids = [p.id for p in plans]
        tasks = list(transaction.tasks)
        transaction.tasks.clear()
        transaction.commit()
    # without a worker the queue task is run here, once the planning is
    # committed; with one (the production layout) the worker runs it once
    # started
    for task_id in tasks:
        run_task(database, task_id)
    with session(database, config_file) as (pool, transaction):
        Plan = pool.get('delivery.trip.plan')
        for plan in Plan.browse(plan_ids):
            log(f"today's trips: {plan.message or plan.state}")


def reserve_ids(cursor, table, n, is_pg):
    "Reserve n consecutive ids of table"
    if not n:
        return []
    if is_pg:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        seq, = cursor.fetchone()
        # the table is locked so that nobody else takes ids meanwhile
        cursor.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
        cursor.execute(
            'SELECT GREATEST(nextval(%s), (SELECT COALESCE(MAX(id), 0) + 1 '
            f'FROM "{table}"))', (seq,))
        first, = cursor.fetchone()
        cursor.execute('SELECT setval(%s, %s)', (seq, first + n - 1))
    else:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
        first, = cursor.fetchone()
    return range(first, first + n)


def copy(cursor, is_pg, table, columns, rows):
    names = ', '.join(f'"{c}"' for c in columns)
    if is_pg:
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copier:
            for row in rows:
                copier.write_row(row)
    else:
        marks = ', '.join('?' * len(columns))
        cursor.executemany(
            f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--customers', type=int, default=2000,
        help="number of customers the database must hold (default 2000)")
    parser.add_argument('--contacts', type=int,
        help="number of logged contacts (default 3 per customer)")
    parser.add_argument('--plan-tasks', type=int,
        help="number of work plan tasks (default 1 per 2 customers)")
    parser.add_argument('--orders', type=int,
        help="number of delivery orders (default 5 per customer)")
    parser.add_argument('--staff', type=int, default=0,
        help="add contact staff without logins up to this number")
    parser.add_argument('--no-today', action='store_true',
        help="do not build today's contact list and trips")
    parser.add_argument('--seed', default='tbilisi-express')
    parser.add_argument('--quiet', action='store_true')
    args = parser.parse_args(argv)

    def log(message):
        if not args.quiet:
            print(f"demo-data: {message}", flush=True)

    start = time.perf_counter()
    setup_company(args.database, args.config, log)
    if args.staff:
        add_staff(args.database, args.config, args.staff, log)
    added = bulk_customers(
        args.database, args.config, args.customers, args.seed, log)
    contacts = (args.contacts if args.contacts is not None
        else 3 * args.customers)
    bulk_contacts(args.database, args.config, contacts, args.seed, log)
    plan_tasks = (args.plan_tasks if args.plan_tasks is not None
        else args.customers // 2)
    bulk_plan_tasks(args.database, args.config, plan_tasks, args.seed, log)
    orders = (args.orders if args.orders is not None
        else 5 * args.customers)
    orders_start = time.perf_counter()
    bulk_orders(args.database, args.config, orders, args.seed, log)
    invoice_orders(args.database, args.config, log)
    log(f"orders step in {time.perf_counter() - orders_start:.1f} s")
    if not args.no_today:
        build_today(args.database, args.config, log)
        build_trips(args.database, args.config, log)
    log(f"done in {time.perf_counter() - start:.1f} s "
        f"({added} customers added)")


if __name__ == '__main__':
    sys.exit(main())
