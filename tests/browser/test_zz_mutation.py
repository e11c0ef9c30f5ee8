import pytest
import test_roles as t
from test_roles import *

@pytest.mark.parametrize('case', ['dispatcher_hidden_customers', 'courier_shows_customers', 'manager_hidden_hubs'])
def test_mutation(page, server_url, tryton, labels_for, case, monkeypatch):
    roles = dict(t.ROLES)
    if case == 'dispatcher_hidden_customers':
        user = 'dispatcher'; roles[user] = ('en', [DELIVERY], [], [HUBS], [CUSTOMERS])
    elif case == 'courier_shows_customers':
        user = 'courier'; roles[user] = ('ka', [DELIVERY], [], [HUBS, CUSTOMERS], [])
    else:
        user = 'manager'; roles[user] = ('ka', [DELIVERY], [], [CUSTOMERS], [HUBS])
    monkeypatch.setattr(t, 'ROLES', roles)
    monkeypatch.setattr(t.expect, '_timeout', 3000, raising=False)
    t.test_menu_fits_role(page, server_url, tryton, labels_for, user)
