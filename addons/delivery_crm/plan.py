# This file is part of the Delivery CRM for Tryton.
import datetime as dt

from sql import Literal, Union
from sql.aggregate import Max, Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateReport, StateView, Wizard

from .exceptions import PlanError
from .party import CHANNELS
from .security import InputGuardMixin


def _company():
    return Transaction().context.get('company')


class PlanTemplate(InputGuardMixin, ModelSQL, ModelView):
    "Work Plan Template"
    __name__ = 'delivery.plan.template'
    name = fields.Char("Name", required=True, translate=True)
    lines = fields.One2Many(
        'delivery.plan.template.line', 'template', "Lines")


class PlanTemplateLine(InputGuardMixin, sequence_ordered(), ModelSQL, ModelView):
    "Work Plan Template Line"
    __name__ = 'delivery.plan.template.line'
    template = fields.Many2One(
        'delivery.plan.template', "Template", required=True,
        ondelete='CASCADE')
    description = fields.Char("Description", required=True, translate=True)
    days = fields.Integer(
        "Days", required=True, domain=[('days', '>=', 0)],
        help="After the start of the plan.")
    channel = fields.Selection([(None, "")] + CHANNELS, "Channel")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('template')

    @classmethod
    def default_days(cls):
        return 0


class Plan(InputGuardMixin, Workflow, ModelSQL, ModelView):
    "Work Plan"
    __name__ = 'delivery.plan'
    _states = {'readonly': Eval('state') == 'closed'}
    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE',
        states=_states,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    employee = fields.Many2One(
        'company.employee', "Responsible", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    start_date = fields.Date("Start Date", required=True, states=_states)
    end_date = fields.Date(
        "End Date", states=_states,
        domain=[If(Eval('end_date') & Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    needs = fields.Function(fields.Text("Needs"), 'on_change_with_needs')
    tasks = fields.One2Many('delivery.plan.task', 'plan', "Tasks",
        states=_states)
    state = fields.Selection([
            ('draft', "Draft"),
            ('active', "Active"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'active'),
            ('active', 'closed'),
            ('closed', 'active'),
            ('active', 'draft'),
            }
        cls._buttons.update({
                'generate': {
                    'invisible': Eval('state') == 'closed',
                    'depends': ['state'],
                    },
                'activate': {
                    'invisible': Eval('state') == 'active',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_employee(cls):
        return Transaction().context.get('employee')

    @classmethod
    def default_start_date(cls):
        return Pool().get('ir.date').today()

    @fields.depends('party', '_parent_party.needs')
    def on_change_with_needs(self, name=None):
        return self.party.needs if self.party else None

    @fields.depends('party', 'employee', '_parent_party.account_manager')
    def on_change_party(self):
        if self.party and self.party.account_manager:
            self.employee = self.party.account_manager

    def get_rec_name(self, name):
        return f'{self.party.rec_name} ({self.start_date})'

    @classmethod
    @ModelView.button
    def generate(cls, plans):
        "Add the tasks of the customer's plan template (once per line)"
        pool = Pool()
        Task = pool.get('delivery.plan.task')
        to_create = []
        for plan in plans:
            template = plan.party.plan_template
            if not template:
                raise PlanError(gettext(
                        'delivery_crm.msg_plan_no_template',
                        party=plan.party.rec_name))
            done = {t.template_line for t in plan.tasks if t.template_line}
            for line in template.lines:
                if line in done:
                    continue
                to_create.append({
                        'plan': plan.id,
                        'description': line.description,
                        'date': plan.start_date + dt.timedelta(days=line.days),
                        'employee': plan.employee.id,
                        'channel': line.channel,
                        'template_line': line.id,
                        'management': False,
                        })
        Task.create(to_create)

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, plans):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, plans):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, plans):
        pass


class PlanTask(InputGuardMixin, Workflow, ModelSQL, ModelView):
    "Work Plan Task"
    __name__ = 'delivery.plan.task'
    _states = {'readonly': Eval('state') != 'planned'}
    plan = fields.Many2One(
        'delivery.plan', "Plan", required=True, ondelete='CASCADE',
        states=_states)
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    party = fields.Function(fields.Many2One(
            'party.party', "Customer",
            context={
                'company': Eval('company', -1),
                },
            depends={'company'}),
        'on_change_with_party')
    description = fields.Char("Description", required=True, states=_states)
    date = fields.Date("Date", required=True, states=_states)
    employee = fields.Many2One(
        'company.employee', "Employee", required=True, states=_states,
        domain=[('company', '=', Eval('company', -1))])
    channel = fields.Selection(
        [(None, "")] + CHANNELS, "Channel", states=_states)
    management = fields.Boolean(
        "Added by Management", states=_states,
        help="Checked for the tasks that management added to the plan.")
    template_line = fields.Many2One(
        'delivery.plan.template.line', "Template Line", readonly=True,
        ondelete='SET NULL')
    done_date = fields.Date("Done on", readonly=True)
    note = fields.Text("Note")
    state = fields.Selection([
            ('planned', "Planned"),
            ('done', "Done"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.__access__.add('plan')
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range()), (t.employee, Index.Range())),
                Index(t, (t.done_date, Index.Range()),
                    (t.employee, Index.Range()),
                    where=t.state == 'done'),
                })
        cls._transitions |= {
            ('planned', 'done'),
            ('planned', 'cancelled'),
            ('done', 'planned'),
            ('cancelled', 'planned'),
            }
        cls._buttons.update({
                'do': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'planned',
                    'depends': ['state'],
                    },
                'reset': {
                    'invisible': Eval('state') == 'planned',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'planned'

    @staticmethod
    def default_company():
        return _company()

    @classmethod
    def default_management(cls):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        groups = User.get_groups()
        return any(ModelData.get_id('delivery_crm', g) in groups
            for g in ['group_delivery_head', 'group_delivery_admin'])

    @fields.depends('plan', '_parent_plan.party')
    def on_change_with_party(self, name=None):
        return self.plan.party if self.plan else None

    @fields.depends('plan', '_parent_plan.employee', '_parent_plan.company')
    def on_change_plan(self):
        if self.plan:
            self.company = self.plan.company
            if not getattr(self, 'employee', None):
                self.employee = self.plan.employee

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Plan = pool.get('delivery.plan')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('plan') and not values.get(
                'company'):
            values['company'] = Plan(values['plan']).company.id
        return values

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, tasks):
        today = Pool().get('ir.date').today()
        cls.write([t for t in tasks if not t.done_date], {'done_date': today})

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, tasks):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('planned')
    def reset(cls, tasks):
        cls.write(tasks, {'done_date': None})


class PlanReportContext(ModelView):
    "Planned vs Done Context"
    __name__ = 'delivery.plan.report.context'
    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date("From Date", required=True,
        domain=[('from_date', '<=', Eval('to_date'))])
    to_date = fields.Date("To Date", required=True,
        domain=[('to_date', '>=', Eval('from_date'))])
    supervisor = fields.Many2One(
        'company.employee', "Manager",
        domain=[('company', '=', Eval('company', -1))],
        help="Limit to the team of this manager.")
    branch = fields.Many2One(
        'delivery.hub', "Branch",
        domain=[('company', '=', Eval('company', -1))])

    @classmethod
    def default_company(cls):
        return _company()

    @classmethod
    def default_from_date(cls):
        context = Transaction().context
        if 'from_date' in context:
            return context['from_date']
        return Pool().get('ir.date').today().replace(day=1)

    @classmethod
    def default_to_date(cls):
        context = Transaction().context
        if 'to_date' in context:
            return context['to_date']
        today = Pool().get('ir.date').today()
        next_month = (today.replace(day=28) + dt.timedelta(days=4))
        return next_month - dt.timedelta(days=next_month.day)

    @classmethod
    def default_supervisor(cls):
        return Transaction().context.get('supervisor')

    @classmethod
    def default_branch(cls):
        return Transaction().context.get('branch')


class _PlanVsDoneMixin:
    __slots__ = ()
    planned_contacts = fields.Integer("Planned Contacts")
    planned_tasks = fields.Integer("Planned Tasks")
    planned = fields.Integer("Planned")
    done_contacts = fields.Integer("Contacts Logged")
    done_tasks = fields.Integer("Tasks Done")
    done = fields.Integer("Done")
    difference = fields.Integer("Difference")
    rate = fields.Function(fields.Float("Done Rate", digits=(3, 2)),
        'get_rate')

    def get_rate(self, name):
        return (self.done / self.planned) if self.planned else None

    @classmethod
    def _events(cls):
        """The planned and done events of the period in the context:
        rows (employee, planned contacts, planned tasks, done contacts,
        done tasks), one query over the four sources"""
        pool = Pool()
        Task = pool.get('delivery.contact.task')
        Contact = pool.get('delivery.contact')
        PlanTask = pool.get('delivery.plan.task')
        context = Transaction().context
        company = context.get('company')
        from_date = context.get('from_date') or dt.date.min
        to_date = context.get('to_date') or dt.date.max
        start = dt.datetime.combine(from_date, dt.time.min)
        end = dt.datetime.combine(to_date, dt.time.max)
        task = Task.__table__()
        contact = Contact.__table__()
        plan_task = PlanTask.__table__()
        plan_done = PlanTask.__table__()
        one, zero = Literal(1), Literal(0)
        return Union(
            task.select(task.employee.as_('employee'),
                one.as_('pc'), zero.as_('pt'), zero.as_('dc'), zero.as_('dt'),
                where=(task.company == company)
                & (task.date >= from_date) & (task.date <= to_date)
                & (task.state != 'cancelled')),
            plan_task.select(plan_task.employee,
                zero, one, zero, zero,
                where=(plan_task.company == company)
                & (plan_task.date >= from_date) & (plan_task.date <= to_date)
                & (plan_task.state != 'cancelled')),
            contact.select(contact.employee,
                zero, zero, one, zero,
                where=(contact.company == company)
                & (contact.date >= start) & (contact.date <= end)),
            plan_done.select(plan_done.employee,
                zero, zero, zero, one,
                where=(plan_done.company == company)
                & (plan_done.state == 'done')
                & (plan_done.done_date >= from_date)
                & (plan_done.done_date <= to_date)),
            all_=True)

    @classmethod
    def _columns(cls, events):
        pc, pt = Sum(events.pc), Sum(events.pt)
        dc, dt_ = Sum(events.dc), Sum(events.dt)
        return [
            pc.as_('planned_contacts'), pt.as_('planned_tasks'),
            (pc + pt).as_('planned'),
            dc.as_('done_contacts'), dt_.as_('done_tasks'),
            (dc + dt_).as_('done'),
            (dc + dt_ - pc - pt).as_('difference'),
            ]


class PlanReportEmployee(_PlanVsDoneMixin, ModelSQL, ModelView):
    "Planned vs Done per Employee"
    __name__ = 'delivery.plan.report.employee'
    employee = fields.Many2One('company.employee', "Employee")
    supervisor = fields.Many2One('company.employee', "Manager")
    branch = fields.Many2One('delivery.hub', "Branch")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('employee', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Employee = pool.get('company.employee')
        context = Transaction().context
        employee = Employee.__table__()
        events = cls._events()
        where = Literal(True)
        if context.get('supervisor'):
            where &= employee.supervisor == context['supervisor']
        if context.get('branch'):
            where &= employee.hub == context['branch']
        return events.join(employee,
            condition=events.employee == employee.id).select(
                employee.id.as_('id'),
                employee.id.as_('employee'),
                Max(employee.supervisor).as_('supervisor'),
                Max(employee.hub).as_('branch'),
                *cls._columns(events),
                where=where,
                group_by=[employee.id])


class PlanReportBranch(_PlanVsDoneMixin, ModelSQL, ModelView):
    "Planned vs Done per Branch"
    __name__ = 'delivery.plan.report.branch'
    branch = fields.Many2One('delivery.hub', "Branch")

    @classmethod
    def table_query(cls):
        pool = Pool()
        Employee = pool.get('company.employee')
        employee = Employee.__table__()
        context = Transaction().context
        events = cls._events()
        where = Literal(True)
        if context.get('supervisor'):
            where &= employee.supervisor == context['supervisor']
        if context.get('branch'):
            where &= employee.hub == context['branch']
        branch = Coalesce(employee.hub, 0)
        return events.join(employee,
            condition=events.employee == employee.id).select(
                branch.as_('id'),
                employee.hub.as_('branch'),
                *cls._columns(events),
                where=where,
                group_by=[employee.hub])


class PlanReportPrintStart(PlanReportContext):
    "Print Planned vs Done"
    __name__ = 'delivery.plan.report.print.start'


class PlanReportPrint(Wizard):
    "Print Planned vs Done"
    __name__ = 'delivery.plan.report.print'
    start = StateView('delivery.plan.report.print.start',
        'delivery_crm.plan_report_print_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Print", 'print_', 'tryton-print', default=True),
            ])
    print_ = StateReport('delivery.plan.report')

    def do_print_(self, action):
        return action, {
            'company': self.start.company.id,
            'from_date': self.start.from_date,
            'to_date': self.start.to_date,
            'supervisor': (self.start.supervisor.id
                if self.start.supervisor else None),
            'branch': self.start.branch.id if self.start.branch else None,
            }


class PlanReport(Report):
    __name__ = 'delivery.plan.report'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Company = pool.get('company.company')
        Employee = pool.get('company.employee')
        Hub = pool.get('delivery.hub')
        context = super().get_context(records, header, data)
        keys = ['company', 'from_date', 'to_date', 'supervisor', 'branch']
        with Transaction().set_context(
                {k: data.get(k) for k in keys}):
            ByEmployee = pool.get('delivery.plan.report.employee')
            ByBranch = pool.get('delivery.plan.report.branch')
            context['employees'] = ByEmployee.search([])
            context['branches'] = ByBranch.search([])
        context['company'] = Company(data['company'])
        context['from_date'] = data['from_date']
        context['to_date'] = data['to_date']
        context['supervisor'] = (Employee(data['supervisor'])
            if data.get('supervisor') else None)
        context['branch'] = Hub(data['branch']) if data.get('branch') else None
        context['total'] = {
            name: sum(getattr(r, name) or 0 for r in context['branches'])
            for name in ['planned_contacts', 'planned_tasks', 'planned',
                'done_contacts', 'done_tasks', 'done', 'difference']}
        return context
