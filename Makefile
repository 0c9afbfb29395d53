# eksiam: `make run` and `make test` are the two commands a fresh machine needs (see README).
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV ?= .venv
OUT ?= cdktf.out
OPA_BINDINGS := opa-golib-python-bindings==0.4.4

# jsii and cdktf-cli use the supported Node that package.json installs, never an end-of-life
# system Node; Terraform uses the CLI config the project writes into .eksiam/.
NODE_BIN := $(CURDIR)/node_modules/node/bin
export JSII_NODE := $(NODE_BIN)/node
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export TF_CLI_CONFIG_FILE := $(CURDIR)/.eksiam/terraform.rc
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_TELEMETRY := true

PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: run test test-fast test-compat setup synth deploy destroy bench wheel clean

setup: $(PY_STAMP) $(NODE_STAMP) .eksiam/terraform.rc

$(PY_STAMP): pyproject.toml constraints.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@echo "installing Python dependencies into $(VENV)"
	@$(VENV)/bin/python -m pip install -q -c constraints.txt -e '.[test]' 2>&1 | grep -v 'is ignored: it is neither' || true
	@$(VENV)/bin/python -m pip install -q --no-deps --ignore-requires-python $(OPA_BINDINGS) 2>&1 | grep -v 'is ignored: it is neither' || true
	@$(VENV)/bin/python -c 'import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ("cdktf", "cdktf_cdktf_provider_aws", "opa_bindings", "opa_client", "checkov", "moto")))' \
		|| { echo "Python dependencies did not install: see the pip output above" >&2; exit 1; }
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@echo "installing Node tooling into node_modules (cdktf-cli, Node 22 for jsii)"
	@npm ci --no-audit --no-fund --loglevel=error
	@test -x $(NODE_BIN)/node || { echo "node_modules/node did not install a Node binary" >&2; exit 1; }
	@touch $@

.eksiam/terraform.rc: $(PY_STAMP)
	@$(VENV)/bin/python -m eksiam.gate.terraform > /dev/null

synth: setup
	@$(VENV)/bin/eksiam synth --out $(OUT)

run: setup
	@$(VENV)/bin/eksiam check --out $(OUT)

wheel: $(PY_STAMP)
	@$(VENV)/bin/python -m pip wheel -q --no-deps -w dist .

# The suite's Go code (OPA's engine in the test processes; terraform and its provider, as the
# gate runs them: eksiam/gate/terraform.py) collects garbage at GOGC=400: ~15% less CPU.
test test-fast: export GOGC ?= 400

# mypy checks types beside the suite (its output follows the suite's); either failing fails.
test: setup
	@typecheck="$$(mktemp)"; trap 'rm -f "$$typecheck"' EXIT; \
	$(VENV)/bin/mypy > "$$typecheck" 2>&1 & mypy_pid=$$!; \
	$(VENV)/bin/python -m pytest -n auto --dist loadgroup; tests=$$?; \
	wait $$mypy_pid; typed=$$?; cat "$$typecheck"; \
	[ $$tests -eq 0 ] && [ $$typed -eq 0 ] || exit $$(( tests ? tests : typed ))

# Feedback in about a minute: the unit, Rego, report and input tests, which start no terraform,
# cdktf (jsii), moto or checkov process (tests/conftest.py: --fast). `make test` runs them all.
FAST_TESTS := tests/policy tests/gate tests/stacks/test_config.py

test-fast: $(PY_STAMP)
	@$(VENV)/bin/python -m pytest --fast -n auto --dist loadgroup $(FAST_TESTS)

# The wheel at both ends of each dependency range (tests/package/compat.py); the first run
# installs each end's venv under .eksiam/compat/, later runs reuse them.
test-compat: setup
	@$(VENV)/bin/python -m tests.package.compat

# An account that already has the connector's service-linked role keeps it (stacks/account.py).
deploy: setup
	@settings="$$($(VENV)/bin/python -m stacks.account)" && env $$settings cdktf deploy --auto-approve --skip-provider-lock --output $(OUT) '*'

destroy: setup
	@cdktf destroy --auto-approve --skip-provider-lock --output $(OUT) '*'

bench: setup
	@$(VENV)/bin/python -m bench

clean:
	rm -rf $(OUT) .eksiam .pytest_cache dist
