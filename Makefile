# handoff: `make demo` shows the bundle at work, `make test` is what CI runs.
# Everything the project needs is installed by these targets; nothing by hand.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.setup-stamp
CLI_STAMP   := .tools/claude/.installed-2.1.329
CCUSAGE_STAMP := .tools/ccusage/.installed-20.0.24

.PHONY: setup cli ccusage chromium test test-fast lint bench demo install uninstall clean

setup: $(SETUP_STAMP)

# Re-runs only when the requirement lists change (idempotent and instant otherwise).
$(SETUP_STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "handoff needs Python 3.10+ for the helpers")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# The real Claude Code CLI (npm, pinned) for the end-to-end tests in tests/e2e/.
cli: $(CLI_STAMP)

$(CLI_STAMP): tests/e2e/install_cli.sh
	bash tests/e2e/install_cli.sh
	@mkdir -p $(dir $@) && touch $@

# ccusage (npm, pinned): the usage tests check our token counts equal its own (tests/usage/).
ccusage: $(CCUSAGE_STAMP)

$(CCUSAGE_STAMP): tests/usage/install_ccusage.sh
	bash tests/usage/install_ccusage.sh
	@mkdir -p $(dir $@) && touch $@

# Headless Chromium (Debian's package) for the chart tests in tests/digest/ (issue 12):
# a no-op when `chromium` is on PATH; apt-get (root in CI, else sudo) otherwise.
chromium:
	@bash tests/digest/install_chromium.sh

lint: setup
	$(PY) -m ruff check .

test: setup cli ccusage chromium lint
	$(PY) -m pytest -q
	$(PY) scripts/handoff_helpers.py validate --root .

# Unit tests only (no real CLI): quick inner loop.
test-fast: setup
	$(PY) -m pytest -q -m "not e2e"

bench: setup ccusage
	$(PY) tests/bench/run_bench.py

# The story runs through the real CLI (installed as for `make test`); without npm it replays
# recorded hook payloads instead, and says so.
demo: setup
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory cli; \
	else echo "make demo: npm not found, so no real Claude Code CLI: replaying recorded hook payloads"; fi
	$(PY) scripts/demo.py

install: setup
	@test -n "$(TARGET)" || (echo "usage: make install TARGET=/path/to/repo" >&2; exit 2)
	$(PY) scripts/install.py "$(TARGET)"

uninstall: setup
	@test -n "$(TARGET)" || (echo "usage: make uninstall TARGET=/path/to/repo" >&2; exit 2)
	$(PY) scripts/install.py --uninstall "$(TARGET)"

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache
