# Everything a fresh machine needs: `make demo` and `make test` install into .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The report page's test opens it in a real headless Chromium (Debian's package); installed once, when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

demo: $(STAMP)
	$(VENV)/bin/docshield demo

test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n 2 --dist loadfile

BENCHMARKS := phone_tree simulate_throughput calling_policy_decide calendar_booking call_plumbing archive_move load_test

bench: $(STAMP)
	for name in $(BENCHMARKS); do echo "== benchmarks/$$name.py"; $(PY) -m benchmarks.$$name || exit 1; done

clean:
	rm -rf $(VENV) .docshield .pytest_cache
