# yhteistuumin-survey: `make demo` runs a whole survey round on the embedded defaults,
# `make test` runs the whole test suite. Both set everything up first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
APT_PACKAGES := postgresql chromium libreoffice-calc-nogui fonts-dejavu-core libvoikko1 voikko-fi \
                dovecot-imapd nodejs

.PHONY: all install demo test lint smoke bench system-deps clean lock

all: test

# requirements.lock pins what CI tested; pip takes it as constraints, so a fresh machine gets
# the same versions (a dependency the lock does not name still resolves from pyproject.toml).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e . --group dev
	touch $(STAMP)

install: $(STAMP)

# The machine's packages the tests use: PostgreSQL's binaries, Debian's Chromium (the published
# site in a real browser), LibreOffice Calc (review workbooks re-saved as a reviewer would) and
# Voikko with its Finnish dictionary (the tests check the inflected municipality names with it)
# Dovecot (the mailbox that 'fetch' reads) and Node.js (checks the Google Forms script parses).
system-deps:
	@missing=""; \
	command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v libreoffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc-nogui"; \
	ldconfig -p 2>/dev/null | grep -q 'libvoikko\.so\.1' || missing="$$missing libvoikko1"; \
	test -d /usr/lib/voikko/5/mor-standard || test -d /usr/share/voikko/5/mor-standard || missing="$$missing voikko-fi"; \
	command -v dovecot >/dev/null 2>&1 || test -x /usr/sbin/dovecot || missing="$$missing dovecot-imapd"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing system packages:$$missing; install them with: sudo apt-get install$$missing"; exit 1; \
	  fi; \
	fi

demo: install
	$(BIN)/yhteistuumin demo

# The suite runs in four pytest-xdist workers (tests/fixtures_suite.py), a test module to a worker
# (its module fixtures built once). Four, not one per core: many tests wait (a 30-second lock,
# subprocesses, LibreOffice, Chromium), and on 2 cores 4 workers ran it in 3:28, 2 in 4:08.
# The longest modules go first (tests/fixtures_suite.py), in the order collected
# (--no-loadscope-reorder: xdist would sort them by their number of tests).
# 'make test PYTEST_PARALLEL=' runs it in one process.
PYTEST_PARALLEL ?= -n 4 --dist loadfile --no-loadscope-reorder

# PYTHONDONTWRITEBYTECODE emptied: Python keeps compiled modules in __pycache__ (git ignores
# them), so the four workers and the CLI subprocesses of the tests read the test modules
# pytest rewrote, the package and its migrations compiled once instead of each compiling
# them again (2.5 s instead of 6 s CPU a worker only to collect the tests).
test: install system-deps
	PYTHONDONTWRITEBYTECODE= PATH="$$PATH:$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)" $(BIN)/python -m pytest $(PYTEST_PARALLEL)

lint: install
	$(BIN)/ruff check yhteistuumin_survey tests bench
	$(BIN)/mypy
	$(BIN)/mypy bench

# The CLI starts and finds its bundled register with only the runtime dependencies installed
# from a built wheel (no dev or test groups, no source tree on the path).
smoke:
	rm -rf .venv-smoke && $(PYTHON) -m venv .venv-smoke
	.venv-smoke/bin/python -m pip install --quiet --upgrade "pip>=25.1"
	.venv-smoke/bin/python -m pip install --quiet -c requirements.lock .
	cd /tmp && $(CURDIR)/.venv-smoke/bin/yhteistuumin --help >/dev/null
	tmp=$$(mktemp -d) && cd $$tmp && $(CURDIR)/.venv-smoke/bin/yhteistuumin init . >/dev/null \
	  && test "$$($(CURDIR)/.venv-smoke/bin/yhteistuumin register list --format csv | wc -l)" = 309 \
	  && echo "smoke: the installed CLI starts and lists 308 municipalities" && rm -rf $$tmp

# Refresh the lock after changing dependencies: upgrade the dev environment to what pyproject.toml
# allows, run the tests, then freeze it.
lock:
	$(BIN)/python -m pip install --quiet --upgrade -e . --group dev
	{ echo "# The versions CI tested: 'make install' installs with these as constraints (pip -c)."; \
	  echo "# Refresh after changing pyproject.toml: make lock  (pip freeze of the dev environment)"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^yhteistuumin'; } > requirements.lock

# Every benchmark in turn (helpers named _*.py and the summary excluded), then one table of
# every ratio against its target from the BENCH lines they print.
# PYTHONDONTWRITEBYTECODE emptied, as for 'test': with it set (some shells and CI images set
# it) no __pycache__ is written, so every measured process (an ingest and its worker process
# each) compiled the package's modules again, about 0.1 s of an ingest's 4 s that no
# installed copy pays (a wheel's modules are compiled when it is installed).
bench: install
	$(BIN)/python -m pip install --quiet -c requirements.lock --group bench
	mkdir -p outputs && : > outputs/bench.log && rm -f outputs/bench.failed
	for script in bench/[!_]*.py; do case $$script in bench/summary.py|bench/*_golden.py) continue;; esac; \
		{ PYTHONDONTWRITEBYTECODE= $(BIN)/python $$script 2>&1 || echo $$script > outputs/bench.failed; } \
		| tee -a outputs/bench.log; [ ! -e outputs/bench.failed ] || exit 1; done
	$(BIN)/python bench/summary.py outputs/bench.log

clean:
	rm -rf $(VENV) .venv-smoke outputs/demo .pytest_cache .mypy_cache .ruff_cache
