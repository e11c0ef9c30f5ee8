# This file is part of the Delivery CRM for Tryton.
from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .security import InputGuardMixin, server_fields


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _employees_rule_models(cls):
        """Models whose record rules use Eval('employees').

        Modules extend the returned set to give their own models
        "own records" rules like the attendance module does."""
        return {'delivery.contact', 'delivery.contact.task', 'delivery.plan'}

    @classmethod
    def _employee_parties_rule_models(cls):
        """Models whose record rules use Eval('employee_parties'): the
        parties of the user's employees (a courier reads his own name)"""
        return {'party.party'}

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        Employee = pool.get('company.employee')
        context = super()._get_context(model_name)
        if model_name in cls._employees_rule_models():
            context['employees'] = User.get_employees()
        if model_name in cls._employee_parties_rule_models():
            with without_check_access():
                context['employee_parties'] = sorted({e.party.id
                        for e in Employee.browse(User.get_employees())})
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        if model_names & (cls._employees_rule_models()
                | cls._employee_parties_rule_models()):
            key = (*key, User.get_employees())
        return key


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('delivery.contact.task|generate_today',
                    "Build Today's Contact List"),
                ('delivery.contact.task|check_today',
                    "Check Today's Contact List"),
                ('delivery.order|invoice_period_cron',
                    "Invoice Delivered Orders of the Last Month"),
                ])


class ModelFieldAccess(metaclass=PoolMeta):
    __name__ = 'ir.model.field.access'

    @classmethod
    def check(cls, model_name, fields, mode='read', raise_exception=True):
        """Also refuse the server fields of the delivery models to clients
        (security.InputGuardMixin): create and write check their fields
        here, before anything is written, and only for calls that check
        access (RPC); buttons, wizards and server code do not."""
        result = super().check(
            model_name, fields, mode=mode, raise_exception=raise_exception)
        transaction = Transaction()
        if (mode != 'write' or not result or not transaction.user
                or not transaction.check_access):
            return result
        Model = Pool().get(model_name)
        if not issubclass(Model, InputGuardMixin):
            return result
        refused = sorted(server_fields(Model).intersection(fields))
        if refused:
            if not raise_exception:
                return False
            raise AccessError(gettext(
                    'delivery_crm.msg_server_field',
                    **Model.__names__(refused[0])))
        return result
