# Commands that work on a fresh Debian machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
DEBIAN_PACKAGES := chromium poppler-utils fonts-croscore libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b
STAMP := $(VENV)/.installed

.PHONY: setup run test test-sqlite test-postgres messages translations demo-logins clean

setup: $(STAMP) translations

$(STAMP): requirements.txt
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $(STAMP)

translations: $(STAMP)
	$(PY) tools/i18n.py compile

run: setup
	mkdir -p instance
	$(FLASK) db upgrade
	@if [ "$${APP_ENV:-development}" != "production" ]; then \
	  $(FLASK) demo load && $(FLASK) demo logins; fi
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(PY) tools/run_tests.py

messages: $(STAMP)
	$(PY) tools/i18n.py extract
	$(PY) tools/i18n.py check || true

clean:
	rm -rf $(VENV) instance .pytest_cache
