# patrol — `make demo` and `make test` do all set-up on a fresh machine.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PATROL  := $(VENV)/bin/patrol
STAMP   := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)
DEBS    := openssh-server iproute2 openssl chromium fonts-noto-cjk postgresql

.PHONY: install system-deps demo test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): setup.cfg setup.py pyproject.toml examples/patrol-platform-example/pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	# the example platform plugin (docs/platforms.md); tests/packaging/test_platform_plugin.py uses it
	$(PY) -m pip install -q --no-deps --no-build-isolation -e examples/patrol-platform-example
	touch $(STAMP)

install: $(STAMP)

# Debian packages the lab and the tests use (sshd hosts, network namespaces, headless Chromium).
system-deps:
	@missing=""; for c in sshd:openssh-server ip:iproute2 openssl:openssl chromium:chromium pg_ctlcluster:postgresql; do \
	  command -v $${c%%:*} >/dev/null 2>&1 || [ -x /usr/sbin/$${c%%:*} ] || missing="$$missing $${c#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBS) >/dev/null; \
	  else echo "note: missing$$missing (install them as root to run every test)"; fi; fi

demo: install system-deps
	$(PATROL) lab up
	$(PATROL) run -i inventory/lab -p inspect/ --vault-password-file inventory/lab/vault-password.txt

test: install system-deps
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check patrol tests bench library examples
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/collect.py
	$(PY) bench/drift.py
	$(PY) bench/tickets.py
	$(PY) bench/history.py
	$(PY) bench/service.py
	$(PY) bench/redact.py

clean:
	-$(PATROL) lab down
	rm -rf .patrol lab/.state build *.egg-info
