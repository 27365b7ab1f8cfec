# patrol — `make demo` and `make test` do all set-up on a fresh machine.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PATROL  := $(VENV)/bin/patrol
STAMP   := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)
DEBS    := openssh-server iproute2 openssl chromium fonts-noto-cjk postgresql mariadb-server redis-server nginx

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
	@missing=""; for c in sshd:openssh-server ip:iproute2 openssl:openssl chromium:chromium pg_ctlcluster:postgresql mariadbd:mariadb-server redis-server:redis-server nginx:nginx; do \
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
	@$(PY) -c "$$DEMO_NEXT" "$(PATROL)"

# What `make demo` prints last: the next commands to try, with a real ticket id and report path.
define DEMO_NEXT
import json, os, subprocess, sys
patrol = sys.argv[1]
def read(*args):
    out = subprocess.run([patrol, *args, "--json"], capture_output=True, text=True).stdout
    return json.loads(out or "[]")
ntp = [t["id"] for t in read("tickets") if t["host"] == "core-sw1" and t["check_id"] == "net.ntp.servers"]
runs = read("runs")
vault = "--vault-password-file inventory/lab/vault-password.txt"
print()
print("next, try:")
print(f"  {patrol} findings --severity critical        # the worst findings of this run")
print(f"  {patrol} tickets                             # one ticket per finding, with its SLA clock")
print(f"  {patrol} remediate {ntp[0] if ntp else 'TICKET'} --check {vault}")
print("      # preview the fix of core-sw1's NTP ticket; README.md 'Remediation' goes on: approve, verify, roll back")
home = os.environ.get("PATROL_HOME", ".patrol")
reports = [f"{home}/runs/{run['run_id']}/report.html" for run in runs]
print("  report: " + next((path for path in reports if os.path.isfile(path)), "none yet"))
print(f"  {patrol} serve                               # scheduler + REST API on http://127.0.0.1:8080/docs")
endef
export DEMO_NEXT

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
	$(PY) bench/databases.py
	$(PY) bench/http_targets.py

clean:
	-$(PATROL) lab down
	rm -rf .patrol lab/.state build *.egg-info
