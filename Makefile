# difusor: the two commands are `make demo` and `make test`; both run `make setup` first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PY_COLORS := 1
SANDBOX_INVENTORY := inventory/sandbox/hosts.yml
# Every scenario but the Vagrant ones (they need Vagrant and a hypervisor; see docs/vagrant.md).
SCENARIOS := $(filter-out vagrant-%,$(notdir $(patsubst %/molecule.yml,%,$(wildcard molecule/*/molecule.yml))))

.PHONY: setup venv tools engine images lint unit molecule test demo demo-down lock clean

## setup: virtualenv with the pinned tools, the programs the commands run (rsync, ssh, docker,
## debootstrap, ...: difusor tools check), a running Docker engine, the base images (idempotent)
setup: venv tools engine images

venv: $(VENV)/.installed
$(VENV)/.installed: requirements/dev.txt pyproject.toml scripts/bootstrap-venv
	scripts/bootstrap-venv $(VENV)
	touch $@

tools: venv
	difusor tools install

engine: venv tools
	difusor engine

images: engine
	difusor images build

## lint: ansible-lint (production profile), yamllint, ruff (py310), vermin: host side on Python 3.10
lint: venv
	yamllint --strict .
	difusor docs roles --check
	ansible-lint --offline
	ruff check .
	ruff format --check .
	python scripts/host_python.py lint

## unit: pytest without Docker; the host-side tests again under each Python 3.10-3.13 found
unit: venv
	pytest tests/unit
	python scripts/host_python.py test

## molecule: every scenario, on real systemd hosts
molecule: setup
	for scenario in $(SCENARIOS); do $(MAKE) --no-print-directory molecule-$$scenario || exit 1; done

# One scenario (no setup: `make molecule` and `make test` run it first); a failure ends with the
# tests that failed in verify.
molecule-%:
	rm -f .cache/molecule/verify-$*.xml
	molecule test --scenario-name $* \
	  || { python scripts/verify_failures.py .cache/molecule/verify-$*.xml; exit 1; }

## test: lint, unit and the molecule scenarios at the same time, the scenarios one after another
## (two at once on 2 cores took longer than in turn: load 13, 77 min); every output line prefixed
## with its job; a summary of results and times at the end
test: setup
	python scripts/run_parallel.py lint='$(MAKE) --no-print-directory lint' \
	  unit='$(MAKE) --no-print-directory unit' \
	  molecule='status=0; for scenario in $(SCENARIOS); do \
	    $(MAKE) --no-print-directory molecule-$$scenario || status=1; done; exit $$status'

## demo: a sandbox difusor end to end: simulated electoral body, provisioning, cuts live, audit
demo: setup
	scripts/demo

demo-down: venv
	difusor sandbox down --inventory $(SANDBOX_INVENTORY)
	rm -f inventory/sandbox/group_vars/all/simulator.yml inventory/sandbox/group_vars/all/ntp.yml

## lock: regenerate requirements/dev.txt from the newest tools that fit
lock:
	rm -rf /tmp/difusor-lock && python3 -m venv /tmp/difusor-lock
	/tmp/difusor-lock/bin/pip install -q 'ansible<13' 'ansible-core<2.20' molecule \
	  'molecule-plugins[docker]' pytest pytest-testinfra ansible-runner ansible-lint yamllint \
	  ruff vermin docker paramiko jsonschema hypothesis ssh-audit
	{ echo '# Pinned tool versions (pip freeze of a working set). Regenerate with `make lock`.'; \
	  /tmp/difusor-lock/bin/pip freeze; } > requirements/dev.txt

clean:
	-difusor sandbox down --all
	rm -rf $(VENV) .cache .difusor
