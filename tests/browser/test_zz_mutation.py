import test_roles as t
from test_roles import labels_for

def test_wizard_mutation(page, server_url, tryton, labels_for):
    ids = tryton.call('model.ir.module.config_wizard.item.search', [], 0, 1, None, {})
    tryton.call('model.ir.module.config_wizard.item.write', ids, {'state': 'open'}, {})
    try:
        t.test_menu_fits_role(page, server_url, tryton, labels_for, 'admin')
    finally:
        tryton.call('model.ir.module.config_wizard.item.write', ids, {'state': 'done'}, {})
