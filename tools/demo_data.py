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
import random
import re
import sys
import time
from contextlib import contextmanager

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
    from decimal import Decimal

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
                employee.working_days = ['0', '1', '2', '3', '4', '5']
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
            employee.contact_duty = True
            employee.working_days = ['0', '1', '2', '3', '4', '5']
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
    from proteus import config as pconfig
    Source = Model.get('delivery.marketing.source')
    Category = Model.get('party.category')
    Rule = Model.get('delivery.contact.rule')
    Template = Model.get('delivery.plan.template')

    def translate(Model_, record, name_ka):
        with pconfig.get_config().set_context(language='ka'):
            record = Model_(record.id)
            record.name = name_ka
            record.save()

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
def session(database, config_file):
    "A pool and a transaction (as root) on database"
    from trytond import config
    config.update_etc(config_file)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Pool.start()
    pool = Pool(database)
    pool.init()
    with Transaction().start(database, 0, readonly=False) as transaction:
        yield pool, transaction


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
        todo = count - existing
        if todo <= 0:
            transaction.commit()
            log(f"{existing} customers exist, none added")
            return 0
        rng = random.Random(f'{seed}-{existing}')
        georgia, = Country.search([('code', '=', 'GE')])
        crm = CrmData(pool)
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
                        crm.branches.get(city), rng.random() < 0.35))
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
                    'marketing_source', 'branch', 'wants_sms'),
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


def build_today(database, config_file, log):
    "Build today's contact list, as the daily scheduled job does"
    with session(database, config_file) as (pool, transaction):
        Task = pool.get('delivery.contact.task')
        Task.generate()
        transaction.commit()
        log(f"{Task.search_count([('date', '=', dt.date.today())])} "
            "contact tasks today")


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
    parser.add_argument('--staff', type=int, default=0,
        help="add contact staff without logins up to this number")
    parser.add_argument('--no-today', action='store_true',
        help="do not build today's contact list")
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
    if not args.no_today:
        build_today(args.database, args.config, log)
    log(f"done in {time.perf_counter() - start:.1f} s "
        f"({added} customers added)")


if __name__ == '__main__':
    sys.exit(main())
