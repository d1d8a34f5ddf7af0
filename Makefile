# The two commands of README's quick start are `make bench` and `make test`; both install
# what they need first (scripts/setup.sh is idempotent and quick once done).
SHELL := /bin/bash
UV := uv run --frozen
export PATH := $(HOME)/.cargo/bin:$(HOME)/.local/bin:$(CURDIR)/.bench/tools/uv/bin:$(PATH)

.PHONY: setup build test lint test-unit test-services test-contract test-hostile test-chaos test-overload test-static test-smoke test-topology test-compose test-guest bench down clean

setup:
	scripts/setup.sh

build: setup
	$(UV) loadtest build

## The whole suite, as CI runs it (.ci/run).
test: build lint test-unit test-services test-contract test-hostile test-chaos test-overload test-static test-smoke test-topology test-compose test-guest
	$(UV) loadtest down  # leave the machine as we found it (a failing step keeps them up to look at)

# ruff over the whole tree (the root pyproject's rules; fastapi_naive and fastapi_pooled keep
# their own ruff.toml). Go and Rust are linted by their manifests' test commands.
lint: setup
	$(UV) ruff check .

# The report's page is checked in headless Chromium (Debian's package) when it is installed.
test-unit: setup
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || { apt-get -o Acquire::Retries=5 update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Retries=5 install -y -qq --no-install-recommends chromium >/dev/null; } || \
		echo "chromium could not be installed: the page check is skipped"
	$(UV) pytest -q tests/unit

# Each service's own unit tests and linters: the `test` command of its manifest.
test-services: build
	$(UV) loadtest check

# The gate of the benchmark, against every service, on the real servers.
test-contract: build
	$(UV) pytest -q tests/contract

# Hostile input, schemathesis against contract/openapi.yaml, security defaults: every service.
test-hostile: build
	$(UV) pytest -q tests/hostile tests/security

# Faults under load on servers of its own: every kind against fastapi_tuned and go_stdlib, and
# frozen PostgreSQL and MariaDB and a black-holed PostgreSQL against django too (tests/chaos).
test-chaos: build
	$(UV) pytest -q tests/chaos

# fastapi_naive under overload: 200 connections for 60 s leave fastapi_naive alive, every failure a JSON 503.
test-overload: build
	cd services/fastapi_naive && ../../.venv/bin/python -m pytest -q -p no:cacheprovider -m slow tests/test_overload.py

test-static: setup
	@if [ -d tests/static ]; then compose/install-tools.sh && $(UV) pytest -q tests/static; fi

test-smoke: build
	@if [ -d tests/smoke ]; then $(UV) pytest -q tests/smoke; fi

# Hosts as network namespaces joined by a bridge (loadtest/topology, docs/topology.md): built,
# reached, measured and torn down, leaving nothing behind; needs root. Delay profiles skip
# where the kernel has no netem.
test-topology: setup
	$(UV) pytest -q tests/topology

# docker compose for real, on a private engine under .bench/docker (compose/ci.sh).
test-compose: setup
	compose/ci.sh

# Debian 13 for real (tests/guest, scripts/guest/): a guest booted under QEMU software emulation
# proves the cgroup-v2 placement; a chroot of the same debootstrap runs setup.sh and the contract
# suite on PostgreSQL 17 and MariaDB 11.8. The guest's disk is cached in .bench/guest/. Where QEMU
# cannot run, one line says so and the step passes.
test-guest: setup
	@if scripts/guest/prepare.sh; then $(UV) pytest -q -p no:cacheprovider tests/guest; fi

## The main job: calibrate the load generators on this machine (the sweep then runs the one with
## the highest ceiling, as the reference run did), then the full sweep, which prints its plan and
## expected duration before it starts. ARGS: options of loadtest/sweep.sh (its --help lists them);
## ARGS=--dry-run prints both plans and runs nothing.
bench: build
	$(UV) loadtest calibrate $(filter --dry-run,$(ARGS))
	loadtest/sweep.sh $(ARGS)

down:
	$(UV) loadtest down

clean: down
	rm -rf .bench results
