# cloudlab: `make up` brings the local lab up, `make test` runs every test.
# Everything runs from a clean clone: the venv, the Pulumi engine (built from Go modules when
# it can't be downloaded), the Docker engine and the base image are installed on demand.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := venv
STACK ?= dev
BASE_IMAGE ?= cloudlab/base:bookworm

# Pulumi state and the passphrase of its secrets stay on this machine, never in git. The values
# (backend, passphrase file, PULUMI_HOME, ...) live in one place, scripts/env.sh, which users
# `source` to run the same pulumi commands by hand; override them in the environment
# (e.g. CLOUDLAB_STATE_DIR=/tmp/s make up).
$(foreach v,$(shell scripts/env.sh --make),$(eval export $(v)))
STATE_DIR := $(CLOUDLAB_STATE_DIR)

TOOLCHAIN_BIN = $(shell scripts/toolchain.sh --bin-dir 2>/dev/null)
PULUMI = PATH="$(TOOLCHAIN_BIN):$$PATH" pulumi
# The same, saying what to do next when it fails on an error a newcomer meets here.
PULUMI_HINTED = PATH="$(TOOLCHAIN_BIN):$$PATH" scripts/pulumi-hints.sh
# The stack's config as the make targets pass it: a per-user copy of Pulumi.$(STACK).yaml, so
# that Pulumi writes its encryption salt there and never into the tracked file
# (scripts/stack-config.sh). STACK_CONFIG makes it and creates the stack when missing.
STACK_CONFIG = PATH="$(TOOLCHAIN_BIN):$$PATH" scripts/stack-config.sh
# The policy pack (policy/) on every up and preview, with the stack's own pack config when it
# has one (policy/<stack>.json): a violation stops the update before anything is created.
POLICY_ARGS = --policy-pack policy $(if $(wildcard policy/$(STACK).json),--policy-pack-config policy/$(STACK).json)

.PHONY: help venv venv-dev docs toolchain engine docker base-image lab-image state shell up check down preview test test-unit lint bench \
	policy bench-load bench-services bench-node bench-program bench-twin bench-openstack bench-openstack-dataplane edge-dry-run edge-migrate autonomic-plan autonomic-run autonomic-cleanup \
	classroom-backend classroom-up classroom-status classroom-down bench-classroom \
	k8s k8s-down openstack openstack-down proxmox servlet jre-image kubeconfig
help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
		'{ n[NR] = $$1; d[NR] = $$2; if (length($$1) > w) w = length($$1) } \
		END { for (i = 1; i <= NR; i++) printf("  make %-" w "s  %s\n", n[i], d[i]) }'

# Two layers: what the Pulumi program needs (requirements.txt; `make up` installs no more), and
# the development, test, lint and docs tools (requirements-dev.txt) for test, lint, docs, bench.
define PIP_INSTALL
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@. scripts/lib/progress.sh; PROGRESS_PREFIX=venv; t0=$$(date +%s); \
	progress_say "pip install $(1) into $(VENV) (first time ~2 min; log: $(VENV)/pip.log)"; \
	: > $(VENV)/pip.log; \
	progress_run "pip install" $(VENV)/pip.log $(VENV)/bin/pip install --disable-pip-version-check \
		--progress-bar off $(1); \
	progress_say "done in $$(progress_elapsed $$t0)"
	@touch $@
endef

$(VENV)/.installed: requirements.txt
	$(call PIP_INSTALL,-r requirements.txt)

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt
	$(call PIP_INSTALL,-r requirements.txt -r requirements-dev.txt)

venv: $(VENV)/.installed ## create the virtualenv with the pinned packages the program needs

venv-dev: $(VENV)/.installed-dev ## the same, plus the development, test, lint and docs tools

toolchain: ## find or build the Pulumi CLI, language host and plugins (cached)
	@scripts/toolchain.sh >/dev/null

engine: ## only the Pulumi CLI and language host (the Docker stacks need no plugin)
	@CLOUDLAB_TOOLCHAIN_NO_PLUGINS=1 scripts/toolchain.sh >/dev/null

# The Docker stacks run on cloudlab's own dynamic providers: their first `make up` skips the
# provider plugins' builds (about 17 minutes on a fresh machine).
NO_PLUGIN_STACKS := dev dockerlab virtualbox cloudfoundry appengine-local
STACK_TOOLCHAIN = $(if $(filter $(STACK),$(NO_PLUGIN_STACKS)),engine,toolchain)

docker: ## install and start the Docker engine if needed
	@scripts/docker-engine.sh

k8s: venv-dev ## start the local Kubernetes control plane (etcd, apiserver, kwok nodes) on 127.0.0.1
	$(VENV)/bin/python -m localcloud.k8s up

k8s-down: ## stop the local Kubernetes control plane (state kept in ~/.cloudlab/k8s)
	$$(test -x $(VENV)/bin/python && echo $(VENV)/bin/python || echo $(PYTHON)) -m localcloud.k8s down

openstack: venv-dev ## start the local OpenStack on 127.0.0.1 (then: eval the lines it prints)
	$(VENV)/bin/python -m localcloud.openstack up

openstack-down: ## stop the local OpenStack (state kept in ~/.cloudlab/openstack)
	$$(test -x $(VENV)/bin/python && echo $(VENV)/bin/python || echo $(PYTHON)) -m localcloud.openstack down

proxmox: venv-dev ## serve a Proxmox VE API on 127.0.0.1 (prints what to export; Ctrl-C stops it)
	@$(VENV)/bin/python -m localcloud.proxmox

base-image: docker ## build the local base image if missing
	@scripts/base-image.sh $(BASE_IMAGE)

lab-image: docker ## build the local image ct2 of the Docker lab is built FROM (offline)
	@scripts/lab-image.sh cloudlab/lab:bookworm

jre-image: docker ## build the Java runtime image of the Cloud Foundry stand-in (offline)
	@scripts/jre-image.sh cloudlab/jre:bookworm

# The PaaS lab's servlet: built by Maven from Maven Central (cache ~/.m2, outside the repo) only
# when a source is newer than the WAR; its JUnit tests run in the build.
SERVLET_DIR := apps/hello-servlet
SERVLET_WAR := $(SERVLET_DIR)/target/hello.war
SERVLET_SOURCES := $(SERVLET_DIR)/pom.xml $(shell find $(SERVLET_DIR)/src -type f 2>/dev/null)
$(SERVLET_WAR): $(SERVLET_SOURCES)
	@command -v mvn >/dev/null && command -v javac >/dev/null || \
		scripts/apt-install.sh --step java
	@echo "servlet: mvn package in $(SERVLET_DIR) (first time ~1 min: Maven Central into ~/.m2)"
	@cd $(SERVLET_DIR) && mkdir -p target && nice -n 10 mvn -B -l target/mvn.log package >/dev/null || \
		{ tail -n 60 target/mvn.log; echo "servlet: build failed (log: $(SERVLET_DIR)/target/mvn.log)"; exit 1; }
	@grep -h "Tests run:" $(SERVLET_DIR)/target/mvn.log | tail -n 1 | sed "s/\x1b\[[0-9;]*m//g; s/^\[INFO\] /servlet: /"
	@touch $@

servlet: $(SERVLET_WAR) ## build the PaaS lab's WAR and run its JUnit tests (skipped when current)

state: ## create the local state backend and its passphrase
	@mkdir -p $(STATE_DIR)
	@test -s $(PULUMI_CONFIG_PASSPHRASE_FILE) || \
		(umask 077; head -c 32 /dev/urandom | base64 > $(PULUMI_CONFIG_PASSPHRASE_FILE))

shell: venv toolchain state ## a shell with the project's environment (as source scripts/env.sh)
	@echo "cloudlab shell: pulumi, the venv and the local backend are set up; exit to leave" >&2
	@bash --rcfile <(printf '[ -f ~/.bashrc ] && . ~/.bashrc\n. %q\n' "$(CURDIR)/scripts/env.sh") -i

up: venv $(STACK_TOOLCHAIN) base-image state ## bring the local twin of the calculator lab up and check it
	@$(STACK_CONFIG) $(STACK) >/dev/null
	$(PULUMI) stack select $(STACK) --non-interactive
	$(PULUMI_HINTED) up --yes --non-interactive --stack $(STACK) $(POLICY_ARGS) \
		--config-file $(CLOUDLAB_STACK_CONFIG_DIR)/Pulumi.$(STACK).yaml
	@$(MAKE) --no-print-directory check STACK=$(STACK)

check: state ## ask the running lab's calculator for (5+6)*2 (expects result = 22; a just-replaced service gets 10 s)
	@url=$$($(PULUMI) stack output calculatorUrl --stack $(STACK)); \
	echo "calculator: $$url"; \
	for try in $$(seq 1 20); do \
		reply=$$(curl -sS --max-time 10 -d '(5+6)*2' -X POST "$$url" 2>&1) || true; \
		[ "$$(printf '%s' "$$reply" | tr -d '\r')" = "result = 22" ] && break; \
		sleep 0.5; \
	done; \
	echo "POST (5+6)*2 -> $$reply"; \
	test "$$(printf '%s' "$$reply" | tr -d '\r')" = "result = 22"

down: venv $(STACK_TOOLCHAIN) state ## destroy the stack
	@$(STACK_CONFIG) $(STACK) >/dev/null
	$(PULUMI_HINTED) destroy --yes --non-interactive --stack $(STACK) --config-file $(CLOUDLAB_STACK_CONFIG_DIR)/Pulumi.$(STACK).yaml
	@echo "down: to forget the stack too (its history): source scripts/env.sh &&" \
		"pulumi stack rm $(STACK) --yes --preserve-config (--preserve-config keeps the tracked Pulumi.$(STACK).yaml)"

preview: venv $(STACK_TOOLCHAIN) state ## pulumi preview of STACK (default dev)
	@$(STACK_CONFIG) $(STACK) >/dev/null
	$(PULUMI_HINTED) preview --non-interactive --stack $(STACK) $(POLICY_ARGS) \
		--config-file $(CLOUDLAB_STACK_CONFIG_DIR)/Pulumi.$(STACK).yaml

kubeconfig: toolchain state ## write STACK's kubeconfig (mode 0600, outside the clone) and print its path
	@PATH="$(TOOLCHAIN_BIN):$$PATH" scripts/kubeconfig.sh $(STACK)

policy: venv $(STACK_TOOLCHAIN) state ## preview STACK with the policy pack (fails on any violation)
	@$(STACK_CONFIG) $(STACK) >/dev/null
	$(PULUMI_HINTED) preview --non-interactive --stack $(STACK) $(POLICY_ARGS) \
		--config-file $(CLOUDLAB_STACK_CONFIG_DIR)/Pulumi.$(STACK).yaml

test: venv-dev toolchain base-image lab-image jre-image servlet ## run every test (mocks, services, real engine, Docker)
	PATH="$(TOOLCHAIN_BIN):$$PATH" $(VENV)/bin/pytest

test-unit: venv-dev ## only the tests that need neither the engine, Docker nor the local clouds
	$(VENV)/bin/pytest -m "not engine and not docker and not k8s and not openstack and not netns"

lint: venv-dev ## ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

docs: venv-dev ## build the docs site into site/ (mkdocs --strict: a broken link fails)
	$(VENV)/bin/python -m docs_tools.config_reference --check
	$(VENV)/bin/mkdocs build --strict --site-dir site

bench: bench-program bench-services bench-node bench-twin bench-load bench-openstack bench-openstack-dataplane ## run every benchmark

bench-program: venv-dev ## program evaluation under mocks, 4 vs 100 operand VMs, graph depth
	$(VENV)/bin/python -m bench.bench_program

bench-twin: venv-dev toolchain base-image ## pulumi up vs docker-compose up of the twin
	@command -v docker-compose >/dev/null || scripts/apt-install.sh --step compose
	PATH="$(TOOLCHAIN_BIN):$$PATH" $(VENV)/bin/python -m bench.bench_twin

PROXMOX_CONFIG ?= Pulumi.proxmox.yaml
autonomic-plan: venv ## print what the Proxmox autonomic manager would do (needs PROXMOX_VE_*)
	$(VENV)/bin/python -m autonomic --config $(PROXMOX_CONFIG) plan

autonomic-run: venv ## run the autonomic manager's loop against PROXMOX_VE_ENDPOINT
	$(VENV)/bin/python -m autonomic --config $(PROXMOX_CONFIG) run

autonomic-cleanup: venv ## stop and delete every container of the group
	$(VENV)/bin/python -m autonomic --config $(PROXMOX_CONFIG) cleanup

# OPENSTACK_BOOT_SECONDS=20 imitates a real cloud (nova-compute restarted, then put back).
OPENSTACK_BOOT_SECONDS ?= 0
bench-openstack-dataplane: venv-dev toolchain ## pulumi up vs openstacksdk to the first result = 22 at the floating IP
	$(VENV)/bin/python -m localcloud.openstack up >/dev/null
	PATH="$(TOOLCHAIN_BIN):$$PATH" $(VENV)/bin/python -m bench.bench_openstack_dataplane

bench-openstack: venv-dev toolchain ## pulumi up vs openstacksdk vs openstack CLI on the local OpenStack
	$(VENV)/bin/python -m localcloud.openstack up >/dev/null
	PATH="$(TOOLCHAIN_BIN):$$PATH" $(VENV)/bin/python -m bench.bench_openstack \
		--boot-seconds $(OPENSTACK_BOOT_SECONDS)

bench-services: venv-dev ## the services in-process, requests per second
	$(VENV)/bin/python -m bench.bench_services

bench-node: venv-dev ## the services vs a Node.js http reference: req/s, p50/p99, ratios (needs node)
	$(VENV)/bin/python -m bench.bench_node

bench-load: up ## 2,000 requests through the twin's 127.0.0.1:50005 vs one operand service
	$(VENV)/bin/python -m bench.bench_load --url http://127.0.0.1:50005

EDGE_STACK ?= kubernetes
edge-dry-run: venv toolchain state ## measure workers' latency, print where the app would move
	PATH="$(TOOLCHAIN_BIN):$$PATH" $(VENV)/bin/python -m edge migrate --dry-run --stack $(EDGE_STACK)

edge-migrate: venv toolchain state ## move the FastAPI app to the closest worker (pulumi up)
	PATH="$(TOOLCHAIN_BIN):$$PATH" $(VENV)/bin/python -m edge migrate --stack $(EDGE_STACK)

# A class: the classroom stack (admin credentials: OS_CLOUD or CLASSROOM_ADMIN_CLOUD) and one
# group-<id> stack per group of Pulumi.classroom.yaml's roster. CLASSROOM_WORKERS groups at once;
# the backend is PULUMI_BACKEND_URL (a shared one: make classroom-backend).
CLASSROOM_WORKERS ?= 2
CLASSROOM_ADMIN_CLOUD ?= $(or $(OS_CLOUD),cloudlab-local-admin)
CLASSROOM = PATH="$(TOOLCHAIN_BIN):$$PATH" $(VENV)/bin/python -m classroom \
	--workers $(CLASSROOM_WORKERS) --admin-cloud $(CLASSROOM_ADMIN_CLOUD)
classroom-backend: state ## start a shared PostgreSQL backend on 127.0.0.1, print its pulumi login URL
	@scripts/classroom-backend.sh up

classroom-up: venv toolchain state ## every group's project, user, quotas and lab; a handout each
	$(CLASSROOM) up

classroom-status: venv toolchain state ## each group's last update and its lab as openstacksdk sees it
	$(CLASSROOM) status

classroom-down: venv toolchain state ## destroy every group's lab, then the classroom stack; count what is left
	$(CLASSROOM) down

CLASSROOM_BENCH_GROUPS ?= 30
CLASSROOM_BENCH_WORKERS ?= 4,8
bench-classroom: venv toolchain ## N groups vs N x one group's up on the local OpenStack; peak memory
	$(VENV)/bin/python -m localcloud.openstack up >/dev/null
	PATH="$(TOOLCHAIN_BIN):$$PATH" $(VENV)/bin/python -m bench.bench_classroom \
		--groups $(CLASSROOM_BENCH_GROUPS) --workers $(CLASSROOM_BENCH_WORKERS)
