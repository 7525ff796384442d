# Two commands on a fresh machine: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_OUT := demo-out

.PHONY: install demo test test-perf lint bench bench-quick screenshot docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Score the bundled months in order (history builds up), then write reports and forms.
demo: $(STAMP)
	rm -rf $(DEMO_OUT) && mkdir -p $(DEMO_OUT)
	$(BIN)/svcqa check sample_data/2026-10.xlsx --out $(DEMO_OUT)/2026-10
	$(BIN)/svcqa score sample_data/2026-08.xlsx --db $(DEMO_OUT)/svcqa.db --out $(DEMO_OUT)/2026-08 --quiet
	$(BIN)/svcqa score sample_data/2026-09.xlsx --db $(DEMO_OUT)/svcqa.db --out $(DEMO_OUT)/2026-09 --quiet
	$(BIN)/svcqa score sample_data/2026-10.xlsx --db $(DEMO_OUT)/svcqa.db --out $(DEMO_OUT)/2026-10
	$(BIN)/svcqa history --db $(DEMO_OUT)/svcqa.db --months 3
	$(BIN)/svcqa report --all --db $(DEMO_OUT)/svcqa.db --out $(DEMO_OUT)/2026-10/reports
	$(BIN)/svcqa rectify --db $(DEMO_OUT)/svcqa.db --out $(DEMO_OUT)/2026-10/rectify
	@echo "Outputs in $(DEMO_OUT)/: open $(DEMO_OUT)/2026-10/reports/index.html"

# Tests run in parallel, one worker per core; each stands alone.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist worksteal

# Wall-clock guards (5x the tickets may cost at most 8x the time); run on a quiet machine.
test-perf: $(STAMP)
	$(BIN)/python -m pytest -q -m perf

# Time score / report --all against the openpyxl baseline and the fastest plain read, at 200k and
# 1M tickets (generated once into bench/cache/); writes bench/results.md and bench/results.json.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# 200k tickets only (baseline included, a minute or two); results go to bench/cache/quick/.
bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --sizes 200k --out bench/cache/quick

# Regenerate the report screenshot shown in the README (needs chromium).
screenshot: $(STAMP)
	$(BIN)/python docs/make_screenshot.py

# Regenerate docs/FINDINGS.md from the finding-code registry (svcqa/findings/) and docs/rubric.md
# from the rubric declarations (svcqa/rubric/spec.py); tests check both.
docs: $(STAMP)
	$(BIN)/python -m svcqa.findings --markdown > docs/FINDINGS.md
	$(BIN)/python -m svcqa.rubric.reference > docs/rubric.md

lint: $(STAMP)
	$(BIN)/ruff check svcqa tests bench docs
	$(BIN)/ruff format --check svcqa tests bench docs
	$(BIN)/python -m mypy

clean:
	rm -rf $(VENV) $(DEMO_OUT) build *.egg-info .pytest_cache
