# This file is part of the Delivery CRM for Tryton.
from trytond.pool import Pool, PoolMeta


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _employees_rule_models(cls):
        """Models whose record rules use Eval('employees').

        Modules extend the returned set to give their own models
        "own records" rules like the attendance module does."""
        return {'delivery.contact', 'delivery.contact.task'}

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        if model_name in cls._employees_rule_models():
            context['employees'] = User.get_employees()
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        if model_names & cls._employees_rule_models():
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
