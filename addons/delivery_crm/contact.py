# This file is part of the Delivery CRM for Tryton.
import calendar
import datetime as dt
import html
from collections import defaultdict
from zoneinfo import ZoneInfo

from sql import Literal, Null, Window
from sql.aggregate import Count
from sql.conditionals import Case, Coalesce, Greatest, Least
from sql.functions import Extract, Floor, RowNumber

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields,
    sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .distribution import balance, ranges
from .exceptions import ContactError
from .party import CHANNELS
from .security import InputGuardMixin

REASONS = [
    ('delivery_reminder', "Delivery Reminder"),
    ('better_offer', "Better Conditions Offer"),
    ('new_service', "New Service Information"),
    ('follow_up', "Follow-up"),
    ]
RESULTS = [
    ('reached', "Reached"),
    ('order_taken', "Order Taken"),
    ('call_back', "Call Back"),
    ('no_answer', "No Answer"),
    ('wrong_number', "Wrong Number"),
    ('refused', "Refused"),
    ]
FAILED_RESULTS = {'no_answer', 'wrong_number', 'refused'}
WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]


def _company():
    return Transaction().context.get('company')


def local_day_start(company, date):
    "The naive UTC time at which date starts in the company's timezone"
    start = dt.datetime.combine(date, dt.time())
    if company.timezone:
        start = start.replace(tzinfo=ZoneInfo(company.timezone))
        start = start.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return start


class ContactRule(InputGuardMixin,
        DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "Contact Rule"
    __name__ = 'delivery.contact.rule'
    company = fields.Many2One('company.company', "Company", required=True)
    category = fields.Many2One(
        'party.category', "Category", ondelete='CASCADE',
        help="The customers of this category and of its sub-categories.\n"
        "Leave empty for the default rule of the customers that no other "
        "rule covers.")
    interval = fields.Integer(
        "Interval (days)", required=True,
        domain=[('interval', '>', 0)],
        help="Contact the customer when the last contact is older.")
    reason = fields.Selection(REASONS, "Reason", required=True)
    priority = fields.Integer(
        "Priority", required=True,
        help="When rules of several categories cover a customer, the one "
        "with the highest priority applies; it also ranks the day's list.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('category_unique', Unique(t, t.company, t.category),
                'delivery_crm.msg_contact_rule_category_unique'),
            ]

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def default_priority(cls):
        return 10

    @classmethod
    def default_reason(cls):
        return 'better_offer'

    def get_rec_name(self, name):
        return self.category.rec_name if self.category else gettext(
            'delivery_crm.msg_contact_rule_default')

    @classmethod
    def covering(cls, company):
        """Return the active rules of company, the highest priority first,
        each with the ids of the categories it covers (its category and
        the sub-categories that no rule of a higher priority covers)"""
        pool = Pool()
        Category = pool.get('party.category')
        rules = cls.search([('company', '=', company.id)],
            order=[('priority', 'DESC'), ('sequence', 'ASC'), ('id', 'ASC')])
        result, taken = [], set()
        for rule in rules:
            if rule.category:
                categories = {c.id for c in Category.search([
                            ('parent', 'child_of', [rule.category.id]),
                            ])} - taken
                taken |= categories
            else:
                categories = None
            result.append((rule, categories))
        return result


class Contact(InputGuardMixin, ModelSQL, ModelView):
    "Customer Contact"
    __name__ = 'delivery.contact'
    company = fields.Many2One('company.company', "Company", required=True)
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    employee = fields.Many2One(
        'company.employee', "Employee", required=True,
        domain=[('company', '=', Eval('company', -1))])
    date = fields.DateTime("Date", required=True)
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    reason = fields.Selection([(None, "")] + REASONS, "Reason")
    result = fields.Selection(RESULTS, "Result", required=True)
    note = fields.Text("Note")
    callback = fields.Date(
        "Call Back On",
        states={
            'invisible': Eval('result') != 'call_back',
            'required': Eval('result') == 'call_back',
            },
        help="The day a follow-up contact is planned.")
    task = fields.Many2One(
        'delivery.contact.task', "Task", ondelete='SET NULL',
        domain=[
            ('party', '=', Eval('party', -1)),
            ],
        help="The task of the contact list that this contact closes.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.employee, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.task, Index.Range())),
                })

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_date(cls):
        return dt.datetime.now()

    @classmethod
    def default_channel(cls):
        return 'call'

    @fields.depends('task', 'party', 'reason')
    def on_change_task(self):
        if self.task:
            self.party = self.task.party
            self.reason = self.task.reason

    def get_rec_name(self, name):
        return f'{self.party.rec_name} @ {self.date:%Y-%m-%d %H:%M}'

    @classmethod
    def check_modification(cls, mode, contacts, values=None, external=False):
        super().check_modification(
            mode, contacts, values=values, external=external)
        if mode == 'write' and values.keys() & {
                'party', 'employee', 'task', 'result', 'date'}:
            for contact in contacts:
                if contact.task and contact.task.state != 'open':
                    raise AccessError(gettext(
                            'delivery_crm.msg_contact_closed_task_modify',
                            contact=contact.rec_name))

    @classmethod
    def validate_fields(cls, contacts, field_names):
        super().validate_fields(contacts, field_names)
        for contact in contacts:
            if (contact.result == 'call_back' and contact.callback
                    and contact.callback <= contact.date.date()):
                raise ContactError(gettext(
                        'delivery_crm.msg_contact_callback_past',
                        contact=contact.rec_name))
            if contact.task and contact.task.employee and (
                    contact.task.employee != contact.employee):
                raise ContactError(gettext(
                        'delivery_crm.msg_contact_task_other_employee',
                        task=contact.task.rec_name,
                        employee=contact.task.employee.rec_name))

    @classmethod
    def on_modification(cls, mode, contacts, field_names=None):
        pool = Pool()
        Party = pool.get('party.party')
        Task = pool.get('delivery.contact.task')
        super().on_modification(mode, contacts, field_names=field_names)
        if mode == 'create':
            tasks = [c.task for c in contacts if c.task]
            if tasks:
                Task.close(tasks)
            Task.create_follow_ups(
                [c for c in contacts if c.result == 'call_back'])
        if mode == 'create' or (mode == 'write'
                and field_names and field_names & {'party', 'date'}):
            Party.update_last_contact(list({c.party for c in contacts}))

    @classmethod
    def on_write(cls, contacts, values):
        pool = Pool()
        Party = pool.get('party.party')
        callback = super().on_write(contacts, values)
        if values.keys() & {'party', 'date'}:
            # the customers the contacts leave
            parties = list({c.party for c in contacts})
            callback.append(lambda: Party.update_last_contact(parties))
        return callback

    @classmethod
    def on_delete(cls, contacts):
        pool = Pool()
        Party = pool.get('party.party')
        callback = super().on_delete(contacts)
        parties = list({c.party for c in contacts})
        callback.append(lambda: Party.update_last_contact(parties))
        return callback


class ContactTask(InputGuardMixin, Workflow, ModelSQL, ModelView):
    "Contact Task"
    __name__ = 'delivery.contact.task'
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", required=True, readonly=True,
        ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    branch = fields.Many2One('delivery.hub', "Branch", readonly=True)
    employee = fields.Many2One(
        'company.employee', "Employee", readonly=True,
        domain=[('company', '=', Eval('company', -1))],
        help="Who makes the contact: given by the contact list, changed "
        "with Reassign.")
    reason = fields.Selection(REASONS, "Reason", required=True, readonly=True)
    rule = fields.Many2One(
        'delivery.contact.rule', "Rule", readonly=True, ondelete='SET NULL')
    origin = fields.Many2One(
        'delivery.contact.task', "Follow-up of", readonly=True,
        ondelete='SET NULL')
    priority = fields.Integer("Priority", readonly=True,
        help="Higher first: upcoming deliveries, then the rule's priority, "
        "then the days overdue plus one point per 10 of revenue in the "
        "last 12 months.")
    overdue = fields.Integer("Days Overdue", readonly=True)
    customer_value = Monetary(
        "Customer Value", currency='currency', digits='currency',
        readonly=True,
        help="Revenue of the customer's delivered orders in the 12 months "
        "before the task's day.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    contact = fields.Many2One(
        'delivery.contact', "Contact", readonly=True, ondelete='SET NULL')
    result = fields.Function(
        fields.Selection([(None, "")] + RESULTS, "Result"), 'get_result')
    phone = fields.Function(fields.Char("Phone"), 'get_phone')
    today = fields.Function(fields.Boolean("Today"),
        'get_today', searcher='search_today')
    state = fields.Selection([
            ('open', "Open"),
            ('done', "Done"),
            ('failed', "Failed"),
            ('missed', "Missed"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('party_date_unique', Unique(t, t.party, t.date),
                'delivery_crm.msg_contact_task_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range()), (t.branch, Index.Range())),
                Index(t, (t.employee, Index.Range()),
                    (t.date, Index.Range()),
                    where=t.state == 'open'),
                Index(t, (t.state, Index.Equality()), (t.date, Index.Range())),
                })
        cls._order = [
            ('date', 'DESC'), ('priority', 'DESC'), ('id', 'ASC')]
        cls._transitions |= {
            ('open', 'done'),
            ('open', 'failed'),
            ('open', 'missed'),
            ('open', 'cancelled'),
            ('cancelled', 'open'),
            }
        cls._buttons.update({
                'log_contact': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                'reassign': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def default_priority(cls):
        return 0

    def get_rec_name(self, name):
        return f'{self.party.rec_name} ({self.date})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    def get_today(self, name):
        return self.date == Pool().get('ir.date').today()

    @classmethod
    def search_today(cls, name, clause):
        """Today as the server sees it, in the company's timezone: the web
        client's Date() is the browser's day, shifted to UTC"""
        _, operator, value = clause
        today = Pool().get('ir.date').today()
        positive = (operator == '=') == bool(value)
        return [('date', '=' if positive else '!=', today)]

    def get_result(self, name):
        return self.contact.result if self.contact else None

    @classmethod
    def get_phone(cls, tasks, name):
        pool = Pool()
        Mechanism = pool.get('party.contact_mechanism')
        phones = {t.id: None for t in tasks}
        by_party = defaultdict(list)
        for task in tasks:
            by_party[task.party.id].append(task.id)
        for sub_ids in grouped_slice(
                list(by_party), backend.MAX_QUERY_PARAMS):
            for mechanism in Mechanism.search([
                        ('party', 'in', list(sub_ids)),
                        ('type', 'in', ['mobile', 'phone']),
                        ], order=[('party', 'ASC'), ('sequence', 'DESC'),
                        ('id', 'DESC')]):
                for task_id in by_party[mechanism.party.id]:
                    phones[task_id] = mechanism.value
        return phones

    @classmethod
    @ModelView.button_action('delivery_crm.wizard_contact_task_log')
    def log_contact(cls, tasks):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, tasks):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def reopen(cls, tasks):
        pass

    @classmethod
    @ModelView.button_action('delivery_crm.wizard_contact_task_reassign')
    def reassign(cls, tasks):
        pass

    @classmethod
    def close(cls, tasks):
        """Close tasks by the contacts that point to them.

        The tasks are locked first: of two people closing the same task at
        the same moment, the second one is told it is closed already."""
        cls.lock(tasks)
        tasks = cls.browse(tasks)
        done, failed = [], []
        for task in tasks:
            if task.state != 'open':
                raise ContactError(gettext(
                        'delivery_crm.msg_contact_task_closed',
                        task=task.rec_name,
                        state=task.state_string))
        Contact = Pool().get('delivery.contact')
        contacts = Contact.search([('task', 'in', [t.id for t in tasks])],
            order=[('date', 'ASC'), ('id', 'ASC')])
        contact_of = {}
        for contact in contacts:
            if contact.task.id in contact_of:
                raise ContactError(gettext(
                        'delivery_crm.msg_contact_task_closed',
                        task=contact.task.rec_name,
                        state=contact.task.state_string))
            contact_of[contact.task.id] = contact
        for task in tasks:
            contact = contact_of[task.id]
            task.contact = contact
            if not task.employee:
                task.employee = contact.employee
            (failed if contact.result in FAILED_RESULTS else done).append(
                task)
        cls.save(tasks)
        with Transaction().set_context(_check_access=False):
            cls._transition(done, 'done')
            cls._transition(failed, 'failed')

    @classmethod
    def _transition(cls, tasks, state):
        if tasks:
            cls.write(tasks, {'state': state})

    @classmethod
    def create_follow_ups(cls, contacts):
        "Create the follow-up task of each call-back contact"
        existing = set()
        for sub in grouped_slice(contacts, backend.MAX_QUERY_PARAMS):
            sub = list(sub)
            existing |= {(t.party.id, t.date) for t in cls.search([
                        ('party', 'in', [c.party.id for c in sub]),
                        ('date', 'in', list({c.callback for c in sub})),
                        ])}
        to_create = []
        for contact in contacts:
            key = (contact.party.id, contact.callback)
            if key in existing:
                continue
            existing.add(key)
            to_create.append({
                    'company': contact.company.id,
                    'date': contact.callback,
                    'party': contact.party.id,
                    'branch': (contact.party.branch.id
                        if contact.party.branch else None),
                    'employee': contact.employee.id,
                    'reason': 'follow_up',
                    'origin': contact.task.id if contact.task else None,
                    'priority': (contact.task.priority or 0) + 1
                    if contact.task else 1,
                    })
        if to_create:
            with Transaction().set_context(_check_access=False):
                cls.create(to_create)

    @classmethod
    def generate(cls, date=None, companies=None):
        """Build the contact list of date for companies.

        Set-based: one INSERT ... SELECT per contact rule, one UPDATE per
        branch to share the day's tasks among its staff. A customer gets at
        most one task a day, so running it again adds nothing twice."""
        for company, date in cls._days(date, companies):
            cls._generate_tasks(company, date)
            cls._distribute(company, date)

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        return self.company.currency if self.company else None

    @classmethod
    def _days(cls, date, companies):
        """Yield (company, date) in the company's context: date defaults to
        today, companies to all"""
        pool = Pool()
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        if companies is None:
            companies = Company.search([])
        for company in companies:
            with Transaction().set_context(company=company.id):
                yield company, date if date is not None else Date.today()

    @classmethod
    def generate_today(cls):
        "Cron: build today's contact list of every company"
        cls.generate()

    @classmethod
    def check_today(cls):
        "Cron: check today's contact list of every company"
        cls.check_execution()

    @classmethod
    def _generate_tasks(cls, company, date):
        pool = Pool()
        Party = pool.get('party.party')
        Rule = pool.get('delivery.contact.rule')
        CategoryRel = pool.get('party.party-party.category')
        Employee = pool.get('company.employee')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        task = cls.__table__()
        party = Party.__table__()
        rel = CategoryRel.__table__()
        existing = cls.__table__()
        order = pool.get('delivery.order').__table__()

        available = {e.id for e in Employee.contact_staff(company, date)}
        start_of_day = dt.datetime.combine(date, dt.time())
        # naive datetimes are UTC in the database
        day_epoch = calendar.timegm(start_of_day.timetuple())
        rules = Rule.covering(company)
        # a customer follows the rule of the highest priority among its
        # categories; the default rule, the customers of no such category
        all_covered = set().union(*(c for _, c in rules if c))
        covered = set()
        now = dt.datetime.now()
        not_today = ~party.id.in_(existing.select(existing.party,
                where=existing.date == date))
        # customer value: revenue of the last 12 months
        value = Party.delivery_order_query(
            start=start_of_day - dt.timedelta(days=365),
            end=start_of_day + dt.timedelta(days=1))
        revenue = Coalesce(value.revenue, 0)
        value_points = Floor(Least(revenue / Literal(10), Literal(90000)))
        base = party.join(value, 'LEFT', condition=value.customer == party.id)
        if available:
            employee = Case(
                (party.account_manager.in_(list(available)),
                    party.account_manager), else_=Null)
        else:
            employee = Literal(None)
        columns = [task.company, task.date, task.party, task.branch,
            task.employee, task.reason, task.rule, task.priority,
            task.overdue, task.customer_value, task.state, task.create_uid,
            task.create_date]

        # first the customers expecting a delivery tomorrow: remind them
        top = (max((r.priority for r, _ in rules), default=0) + 1) * 100000
        tomorrow = cls._local_day_start(company, date + dt.timedelta(days=1))
        after = cls._local_day_start(company, date + dt.timedelta(days=2))
        upcoming = order.select(order.customer,
            where=(order.company == company.id)
            & order.state.in_(['confirmed', 'assigned'])
            & (order.delivery_start >= tomorrow)
            & (order.delivery_start < after))
        cursor.execute(*task.insert(columns, base.select(
                    Literal(company.id), Literal(date), party.id,
                    party.branch, employee, Literal('delivery_reminder'),
                    Literal(None), Literal(top) + value_points,
                    Literal(0), revenue, Literal('open'),
                    Literal(transaction.user), Literal(now),
                    where=(party.delivery_customer == Literal(True))
                    & (party.active == Literal(True))
                    & party.id.in_(upcoming) & not_today)))

        for rule, categories in rules:
            threshold = start_of_day - dt.timedelta(days=rule.interval)
            where = (party.delivery_customer == Literal(True)
                & (party.active == Literal(True))
                & ((party.last_contact == Null)
                    | (party.last_contact < threshold))
                & not_today)
            if categories is not None:
                if not categories:
                    continue
                where &= party.id.in_(rel.select(rel.party,
                        where=rel.category.in_(list(categories))))
                excluded = covered
                covered = covered | categories
            else:
                excluded = all_covered
            if excluded:
                where &= ~party.id.in_(rel.select(rel.party,
                        where=rel.category.in_(list(excluded))))
            last = Coalesce(party.last_contact, party.create_date)
            overdue = Floor(Greatest(Least(
                    (Literal(day_epoch) - Extract('EPOCH', last))
                    / Literal(86400) - Literal(rule.interval),
                    Literal(9999)), Literal(0)))
            cursor.execute(*task.insert(columns, base.select(
                        Literal(company.id), Literal(date), party.id,
                        party.branch, employee, Literal(rule.reason),
                        Literal(rule.id),
                        Literal(rule.priority * 100000) + overdue
                        + value_points,
                        overdue, revenue, Literal('open'),
                        Literal(transaction.user), Literal(now),
                        where=where)))

    @classmethod
    def _local_day_start(cls, company, date):
        return local_day_start(company, date)

    @classmethod
    def _distribute(cls, company, date):
        "Share the unassigned tasks of date among each branch's staff"
        pool = Pool()
        Employee = pool.get('company.employee')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        task = cls.__table__()

        staff = defaultdict(list)
        for employee in Employee.contact_staff(company, date):
            staff[employee.hub.id if employee.hub else None].append(
                employee.id)
        all_staff = [e for employees in staff.values() for e in employees]
        loads = defaultdict(int)
        in_ = fields.SQL_OPERATORS['in']
        for sub_ids in grouped_slice(all_staff, backend.MAX_QUERY_PARAMS):
            cursor.execute(*task.select(task.employee, Count(task.id),
                    where=in_(task.employee, list(sub_ids))
                    & (task.state == 'open') & (task.date <= date),
                    group_by=[task.employee]))
            loads.update(cursor)

        cursor.execute(*task.select(task.branch, Count(task.id),
                where=(task.company == company.id) & (task.date == date)
                & (task.employee == Null) & (task.state == 'open'),
                group_by=[task.branch]))
        for branch, count in list(cursor):
            # tasks of customers without a branch go to staff without one,
            # or to the whole company's staff when there is none
            employees = staff.get(branch) or staff.get(None) or all_staff
            if not employees:
                continue
            shares = balance(count, [(e, loads[e]) for e in employees])
            for employee, share in shares:
                loads[employee] += share
            blocks = ranges(shares)
            if not blocks:
                continue
            branch_where = ((task.branch == branch) if branch is not None
                else (task.branch == Null))
            unassigned = (task.company == company.id) & (task.date == date) \
                & (task.employee == Null) & (task.state == 'open') \
                & branch_where
            ranked = task.select(task.id.as_('id'),
                RowNumber(window=_window(task)).as_('rank'),
                where=unassigned)
            employee = Case(*((ranked.rank <= last, Literal(employee_id))
                    for employee_id, first, last in blocks))
            update = cls.__table__()
            cursor.execute(*update.update(
                    [update.employee], [employee],
                    from_=[ranked],
                    where=update.id == ranked.id))

    @classmethod
    def check_execution(cls, date=None, companies=None):
        """At the end of date: open tasks become missed; tell each
        supervisor which tasks of the team failed or were missed"""
        for company, date in cls._days(date, companies):
            missed = cls.search([
                    ('company', '=', company.id),
                    ('date', '<=', date),
                    ('state', '=', 'open'),
                    ])
            cls._transition(missed, 'missed')
            failed = cls.search([
                    ('company', '=', company.id),
                    ('date', '=', date),
                    ('state', '=', 'failed'),
                    ])
            cls.remind_supervisors(missed + failed, date)

    @classmethod
    def remind_supervisors(cls, tasks, date):
        """Notify each supervisor of the failed and missed tasks of the
        team, and queue the e-mail that lists them"""
        pool = Pool()
        User = pool.get('res.user')
        by_supervisor = defaultdict(list)
        for task in tasks:
            supervisor = task.employee.supervisor if task.employee else None
            if supervisor:
                by_supervisor[supervisor].append(task)
        for supervisor, sub_tasks in by_supervisor.items():
            failed = sum(1 for t in sub_tasks if t.state == 'failed')
            missed = sum(1 for t in sub_tasks if t.state == 'missed')
            for user in User.search([('employees', '=', supervisor.id)]):
                language = user.language.code if user.language else None
                with Transaction().set_context(language=language):
                    label = gettext('delivery_crm.msg_reminder_label',
                        date=date, failed=failed, missed=missed)
                cls.notify_user(sub_tasks, 'tryton-warning', label,
                    user=user.id)
                if user.email:
                    # sent by the queue: a mail server that is down does
                    # not undo the check
                    cls.__queue__.send_reminder(sub_tasks, user.id, label)

    @classmethod
    def send_reminder(cls, tasks, user_id, label):
        pool = Pool()
        User = pool.get('res.user')
        Email = pool.get('ir.email')
        user = User(user_id)
        language = user.language.code if user.language else None
        with Transaction().set_context(language=language):
            tasks = cls.browse(tasks)
            lines = ''.join(
                f'<li>{html.escape(t.employee.rec_name)}: '
                f'{html.escape(t.party.rec_name)} ({t.state_string})</li>'
                for t in tasks)
            Email.send(to=user.email, subject=label, body=f'<ul>{lines}</ul>',
                record=[cls.__name__, tasks[0].id])


def _window(task):
    return Window([], order_by=[task.priority.desc, task.id.asc])


class ContactTaskLogStart(ModelView):
    "Log Contact"
    __name__ = 'delivery.contact.task.log.start'
    party = fields.Many2One('party.party', "Customer", readonly=True)
    phone = fields.Char("Phone", readonly=True)
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    result = fields.Selection(RESULTS, "Result", required=True)
    callback = fields.Date(
        "Call Back On",
        states={
            'invisible': Eval('result') != 'call_back',
            'required': Eval('result') == 'call_back',
            })
    note = fields.Text("Note")


class ContactTaskLog(Wizard):
    "Log Contact"
    __name__ = 'delivery.contact.task.log'
    start = StateView('delivery.contact.task.log.start',
        'delivery_crm.contact_task_log_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Log", 'log', 'tryton-ok', default=True),
            ])
    log = StateTransition()

    def default_start(self, fields):
        task = self.record
        if task.state != 'open':
            raise ContactError(gettext(
                    'delivery_crm.msg_contact_task_closed',
                    task=task.rec_name, state=task.state_string))
        return {
            'party': task.party.id,
            'phone': task.phone,
            'channel': task.party.preferred_channel or 'call',
            }

    def transition_log(self):
        pool = Pool()
        Contact = pool.get('delivery.contact')
        task = self.record
        employee = Transaction().context.get('employee')
        if not employee:
            raise ContactError(gettext('delivery_crm.msg_contact_no_employee'))
        # the contact's validation refuses the task of another employee
        Contact.create([{
                    'company': task.company.id,
                    'party': task.party.id,
                    'employee': employee,
                    'channel': self.start.channel,
                    'reason': task.reason,
                    'result': self.start.result,
                    'callback': self.start.callback,
                    'note': self.start.note,
                    'task': task.id,
                    }])
        return 'end'


class ContactTaskReassignStart(ModelView):
    "Reassign Contact Tasks"
    __name__ = 'delivery.contact.task.reassign.start'
    company = fields.Many2One('company.company', "Company", readonly=True)
    employee = fields.Many2One(
        'company.employee', "Employee", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('contact_duty', '=', True),
            ],
        help="The member of the contact staff who takes the tasks.")


class ContactTaskReassign(Wizard):
    "Reassign Contact Tasks"
    __name__ = 'delivery.contact.task.reassign'
    start = StateView('delivery.contact.task.reassign.start',
        'delivery_crm.contact_task_reassign_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Reassign", 'reassign', 'tryton-ok', default=True),
            ])
    reassign = StateTransition()

    def default_start(self, fields):
        companies = {t.company.id for t in self.records}
        return {'company': companies.pop() if len(companies) == 1 else None}

    def transition_reassign(self):
        pool = Pool()
        Task = pool.get('delivery.contact.task')
        employee = self.start.employee
        tasks = Task.browse(self.records)
        Task.lock(tasks)
        for task in tasks:
            if task.state != 'open':
                raise ContactError(gettext(
                        'delivery_crm.msg_contact_task_reassign_closed',
                        task=task.rec_name, state=task.state_string))
            if (task.company != employee.company
                    or not employee.contact_duty):
                raise ContactError(gettext(
                        'delivery_crm.msg_contact_task_reassign_employee',
                        task=task.rec_name, employee=employee.rec_name))
        Task.write(list(tasks), {'employee': employee.id})
        return 'end'


class ContactDayStart(ModelView):
    "Run the Contact Day"
    __name__ = 'delivery.contact.day.start'
    company = fields.Many2One('company.company', "Company", required=True)
    date = fields.Date("Date", required=True)

    @classmethod
    def default_company(cls):
        return _company()

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class ContactDay(Wizard):
    """Run the contact day by hand: build the list of a day, or check its
    results, as the daily scheduled jobs do"""
    __name__ = 'delivery.contact.day'
    start = StateView('delivery.contact.day.start',
        'delivery_crm.contact_day_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Check Results", 'check', 'tryton-warning'),
            Button("Build List", 'build', 'tryton-ok', default=True),
            ])
    build = StateTransition()
    check = StateTransition()

    def transition_build(self):
        Task = Pool().get('delivery.contact.task')
        Task.generate(self.start.date, [self.start.company])
        return 'end'

    def transition_check(self):
        Task = Pool().get('delivery.contact.task')
        Task.check_execution(self.start.date, [self.start.company])
        return 'end'
