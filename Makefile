# docex — everything a fresh machine needs is installed by these targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install browser run test lint typecheck unit contract bench soak certs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Debian's headless Chromium and its driver for the browser tests (tests/api/ui), with
## apt-get when missing (as root, or through sudo); Playwright drives it and downloads
## no browser of its own.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ] || ! command -v chromedriver >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; \
	fi

## Seed the demo facilities, doctors and tokens (first run only; the tokens are printed
## once), then serve the API on http://127.0.0.1:8000 (OpenAPI docs at /docs) with the
## embedded SQLite database and object folder under var/.
run: install
	$(BIN)/docex demo-seed
	$(BIN)/docex serve

LINTED := src tests $(wildcard bench/*.py)

lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports

## mypy --strict over src/ and tests/ (the files listed in [tool.mypy] in pyproject.toml).
typecheck: install
	$(BIN)/mypy

unit: install browser
	DOCEX_TEST_REQUIRE_SERVERS=1 $(BIN)/pytest -n 2

test: lint typecheck unit

## The API's error contract alone (also part of `make unit`): the OpenAPI document checked,
## then a bounded, derandomised schemathesis run against a real uvicorn.
contract: install
	$(BIN)/pytest tests/api/test_openapi_contract.py tests/api/test_error_contract.py tests/api/test_schemathesis.py

## Benchmark verification against pyHanko and a bare signature check, then submissions
## over HTTP to PostgreSQL + SeaweedFS (bench/README.md). Options: BENCH_ARGS (verify.py),
## SUBMIT_ARGS (submit.py). PYTHONPATH: measure this checkout's src/ even if the venv has
## another one installed; "." for the tests' server fixtures.
bench: install
	PYTHONPATH=src $(BIN)/python bench/verify.py $(BENCH_ARGS)
	PYTHONPATH=src:. $(BIN)/python bench/submit.py $(SUBMIT_ARGS)

## Soak the production shape (bench/README.md): API workers, a separate webhook
## dispatcher, PostgreSQL and SeaweedFS under a steady load for 10 minutes, on loopback.
## Not part of `make test`. SOAK_ARGS, e.g. SOAK_ARGS="--minutes 2".
soak: install
	PYTHONPATH=src:. $(BIN)/python bench/soak.py $(SOAK_ARGS)

## Regenerate the development PKI and samples in certs-dev/ (development only).
certs: install
	$(BIN)/docex dev-pki --out certs-dev

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
