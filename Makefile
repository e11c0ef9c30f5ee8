# Delivery CRM for Tryton — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
CUSTOMERS ?= 2000
SAO_VERSION := 8.0.11
LEAFLET_VERSION := 1.9.4
ADDONS := delivery_crm delivery_courier_routes delivery_sms delivery_payroll
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends

.PHONY: demo test install sao leaflet chromium kannel fonts postgresql serve-postgresql clean-demo

demo: install sao leaflet fonts
	@$(PY) tools/launch.py demo --port $(PORT) --customers $(CUSTOMERS)

# when make test started, before it installs anything: tests/run.py prints
# the whole time against the budget of 25 minutes
MAKE_TEST_STARTED := $(shell date +%s)

test: install sao leaflet chromium kannel fonts postgresql
	@MAKE_TEST_STARTED=$(MAKE_TEST_STARTED) $(PY) tests/run.py $(SUITES)

serve-postgresql: install sao leaflet fonts postgresql
	@$(PY) tools/launch.py serve-postgresql --customers $(CUSTOMERS)

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt $(foreach a,$(ADDONS),addons/$(a)/pyproject.toml)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed: install it and run make again (make PYTHON=python3.11)."; exit 1; }
	@echo "Installing Tryton 8.0 and the delivery modules into $(VENV) ..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || \
		{ echo "Cannot create a virtual environment: install python3-venv (apt-get install python3-venv) and run make again."; exit 1; }
	@$(PY) -m pip install -q --upgrade pip > var-pip.log 2>&1
	@$(PY) -m pip install -q -r requirements.txt $(foreach a,$(ADDONS),-e addons/$(a)) > var-pip.log 2>&1 || \
		{ tail -20 var-pip.log; echo "pip could not install the requirements: read var-pip.log."; exit 1; }
	@rm -f var-pip.log
	@touch $@

sao: var/sao/package/.installed

var/sao/package/.installed:
	@command -v npm >/dev/null || { echo "npm is missing: installing Node.js and npm from Debian ..."; \
		apt-get update -qq && $(APT_INSTALL) nodejs npm >/dev/null; } || \
		{ echo "npm is missing and could not be installed: install Node.js and npm (apt-get install npm) and run make again."; exit 1; }
	@echo "Installing the web client tryton-sao@$(SAO_VERSION) from npm ..."
	@rm -rf var/sao && mkdir -p var/sao
	@cd var/sao && npm pack -q tryton-sao@$(SAO_VERSION) >/dev/null && tar xzf tryton-sao-$(SAO_VERSION).tgz
	@cd var/sao/package && npm install --omit=dev --legacy-peer-deps --no-audit --no-fund -q >/dev/null 2>&1 || \
		{ echo "npm could not install the web client: check the access to the npm registry and run make again."; exit 1; }
	@touch $@

leaflet: var/leaflet/package/.installed

# The map of a trip (delivery_courier_routes): Leaflet (BSD-2-Clause) served
# by the module from var/leaflet/package/dist ([delivery_courier_routes]
# leaflet_root, set by tools/launch.py). It has no dependencies.
var/leaflet/package/.installed:
	@command -v npm >/dev/null || { echo "npm is missing: installing Node.js and npm from Debian ..."; \
		apt-get update -qq && $(APT_INSTALL) nodejs npm >/dev/null; } || \
		{ echo "npm is missing and could not be installed: install Node.js and npm (apt-get install npm) and run make again."; exit 1; }
	@echo "Installing the map library leaflet@$(LEAFLET_VERSION) from npm ..."
	@rm -rf var/leaflet && mkdir -p var/leaflet
	@cd var/leaflet && npm pack -q leaflet@$(LEAFLET_VERSION) >/dev/null 2>&1 && tar xzf leaflet-$(LEAFLET_VERSION).tgz || \
		{ echo "npm could not download leaflet@$(LEAFLET_VERSION): check the access to the npm registry and run make again."; exit 1; }
	@test -f var/leaflet/package/dist/leaflet.js -a -f var/leaflet/package/dist/leaflet.css || \
		{ echo "leaflet@$(LEAFLET_VERSION) has no dist/leaflet.js: remove var/leaflet and run make again."; exit 1; }
	@touch $@

chromium:
	@test -x /usr/bin/chromium || { echo "Installing Debian's chromium for the browser tests ..."; \
		apt-get update -qq && $(APT_INSTALL) chromium >/dev/null; } || \
		{ echo "chromium could not be installed: apt-get install chromium, then run make again."; exit 1; }

# The SMS gateway tests (delivery_sms): Debian's Kannel (bearerbox, smsbox)
# and its fake operator fakesmsc (kannel-extras). The tests start their own
# on 127.0.0.1 (addons/delivery_sms/tests/kannel.py): the daemon that the
# package may start (/etc/init.d/kannel, with the open ports of the example
# configuration) is stopped and kept from starting at boot.
kannel:
	@test -x /usr/sbin/bearerbox && test -x /usr/lib/kannel/test/fakesmsc || { \
		echo "Installing Debian's kannel and kannel-extras for the SMS gateway tests ..."; \
		{ apt-get update -qq && $(APT_INSTALL) kannel kannel-extras >/dev/null; } || \
		{ echo "kannel could not be installed: apt-get install kannel kannel-extras, then run make again."; exit 1; }; \
		for box in smsbox wapbox bearerbox; do \
			pid=/var/run/kannel/kannel_$$box.pid; \
			test ! -f $$pid || start-stop-daemon --stop --retry 5 --quiet --oknodo \
				--pidfile $$pid --exec /usr/sbin/run_kannel_box || \
				echo "The Kannel $$box of the package is still running (pid file $$pid): stop it."; \
		done; \
		update-rc.d kannel disable >/dev/null 2>&1 || true; }

# Georgian text and the lari sign in PDF documents: Noto Sans Georgian
fonts:
	@fc-list ':lang=ka' family 2>/dev/null | grep -q "Noto Sans Georgian" || { \
		echo "Installing Debian's fonts-noto-core for the Georgian PDF documents ..."; \
		apt-get update -qq && $(APT_INSTALL) fonts-noto-core fontconfig >/dev/null; } || \
		{ echo "fonts-noto-core could not be installed: apt-get install fonts-noto-core, then run make again."; exit 1; }

# PostgreSQL is expected on 127.0.0.1:5432 with trust authentication.
postgresql:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
		command -v pg_ctlcluster >/dev/null || { echo "Installing PostgreSQL from Debian ..."; \
			apt-get update -qq && $(APT_INSTALL) postgresql >/dev/null; }; \
		for v in $$(ls /etc/postgresql 2>/dev/null); do pg_ctlcluster --skip-systemctl-redirect $$v main start 2>/dev/null; done; \
		for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
		pg_isready -q -h 127.0.0.1 -p 5432 || \
		{ echo "PostgreSQL does not answer on 127.0.0.1:5432: start it (pg_ctlcluster <version> main start) and run make again."; exit 1; }; }

clean-demo:
	rm -rf var/db var/etc var/log
