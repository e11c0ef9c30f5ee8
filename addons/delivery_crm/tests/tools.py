# This file is part of the Delivery CRM for Tryton.
"""Test databases built in layers, each layer kept in trytond's test cache
(DB_CACHE).

trytond builds the database of a test from scratch for every set of modules
and, for scenarios, every list of set-up functions: the delivery modules'
tests activated delivery_crm and its dependencies (account, party, ...) nine
times over. Here a database is built on the cached one below it:

- the modules of a test on the database of delivery_crm alone (only the
  modules above it are activated);
- a scenario's modules with set-ups [a, b] on the cached modules with [a].

Each layer is cached under the very name trytond gives it, so trytond's own
``activate_module`` (ModuleTestCase) and ``activate_modules`` (scenarios)
find it. Without DB_CACHE nothing changes.
"""
import os

from trytond.tests import test_tryton
from trytond.tests import tools as tryton_tools

BASE = 'delivery_crm'


def _cached(name):
    "Whether trytond's test cache holds the database of name"
    cache = test_tryton.DB_CACHE
    if not cache:
        return False
    path = test_tryton._db_cache_file(cache, name)
    if cache.startswith('postgresql://'):
        return test_tryton.db_exist(path[len(cache) + 1:])
    return os.path.exists(path)


def _module_name(modules, lang='en'):
    "The name of test_tryton.activate_module"
    name = '-'.join(modules)
    return name + ('--' + lang if lang != 'en' else '')


def activate_module(modules, lang='en'):
    """Leave DB_NAME with modules activated, as test_tryton.activate_module
    does, building it on the cached database of delivery_crm"""
    if isinstance(modules, str):
        modules = [modules]
    modules = list(modules)
    if (test_tryton.DB_CACHE and modules != [BASE]
            and not _cached(_module_name(modules, lang))):
        test_tryton.drop_db()
        test_tryton.activate_module([BASE], lang=lang)
        # on the database of delivery_crm: only the modules above it
    elif test_tryton.db_exist():
        test_tryton.drop_db()
    test_tryton.activate_module(modules, lang=lang)


def prepare_module(modules, lang='en'):
    """Cache the database of modules (for a ModuleTestCase of them) unless
    it is cached: the test case's own set-up then restores it"""
    if isinstance(modules, str):
        modules = [modules]
    if test_tryton.DB_CACHE and not _cached(_module_name(modules, lang)):
        activate_module(modules, lang)
        test_tryton.drop_db()


def activate_modules(modules, *setup):
    """trytond.tests.tools.activate_modules, each set-up applied on the
    cached database of the set-ups before it"""
    if isinstance(modules, str):
        modules = [modules]
    modules = sorted(modules)
    if not test_tryton.DB_CACHE:
        return tryton_tools.activate_modules(modules, *setup)
    name = '-'.join(modules)
    if setup_name := '|'.join(tryton_tools._func_name(f) for f in setup):
        name += f'--{setup_name}'
    if test_tryton.restore_db_cache(name):
        return tryton_tools._get_config()
    if setup:
        activate_modules(modules, *setup[:-1])
        config = tryton_tools._get_config()
        setup[-1](config=config)
        test_tryton.backup_db_cache(name)
        return config
    activate_module(modules)
    return tryton_tools._get_config()
