# Every target bootstraps .venv itself: uv is installed with pip when missing,
# then `uv sync --frozen` installs exactly what uv.lock pins.
SHELL := /bin/bash
export RUNTIME__DLTHUB_TELEMETRY := false
export DO_NOT_TRACK := 1

UV = $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN = $(UV) run --frozen --no-sync

.PHONY: demo test ui bench lint format venv clean browser

venv: .venv/.synced

.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet --disable-pip-version-check uv
	@$(UV) sync --frozen --quiet
	@touch $@

demo: venv
	$(RUN) snapmart demo

# Two workers (pytest-xdist), each with its own embedded server, a test file at a time on
# one worker (a module's database and fixtures stay together). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: venv browser
	$(RUN) pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The page tests drive Debian's Chromium headless (Playwright, no browser download): installed
# from the distribution when missing (as root, or through sudo).
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the page tests"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

ui: venv
	$(RUN) snapmart ui

bench: venv
	$(RUN) snapmart bench --scale full

# sqlfluff leaves dbt_project/macros out: under the jinja templater a file of macro
# definitions renders to no SQL (nothing calls the macros there), so nothing in it is
# parsed, and the only findings (LT02) would un-indent the Jinja control lines.
lint: venv
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) sqlfluff lint dbt_project/models dbt_project/tests

format: venv
	$(RUN) ruff format .
	$(RUN) ruff check --fix .
	$(RUN) sqlfluff fix -f dbt_project/models dbt_project/tests

clean:
	$(RUN) snapmart db stop || true
	rm -rf .snapmart data target logs
