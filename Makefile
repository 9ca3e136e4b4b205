# Tavla — two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The seed is the Årsplan 2018: `make run` shows it as of a day in 2018 unless you say otherwise
# (`make run TAVLA_AS_OF=` for today's date). The app itself uses the real date when this is unset.
TAVLA_AS_OF ?= 2018-05-15
export TAVLA_AS_OF

.PHONY: run test chat bench fuzz clean lint migrate seed demo manifest

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

run: $(STAMP)          ## install, migrate, seed the Årsplan 2018 and serve on http://127.0.0.1:3978
	$(BIN)/tavla serve

test: $(STAMP)         ## the whole test suite (SQLite; PostgreSQL too when it runs)
	TAVLA_AS_OF= $(BIN)/python -m pytest -q $(PYTEST_ARGS)

chat: $(STAMP)         ## console chat with a running bot
	$(BIN)/tavla chat

bench: $(STAMP)        ## benchmarks (not part of `make test`)
	$(BIN)/python -m bench

fuzz: $(STAMP)         ## the hostile-body property tests with 10× the examples, new ones each run (not in `make test`)
	TAVLA_FUZZ_EXAMPLES=$${TAVLA_FUZZ_EXAMPLES:-4000} CI= $(BIN)/python -m pytest -q -p no:cacheprovider tests/resilience/test_bad_bodies.py

demo: $(STAMP)         ## add clearly marked exempeldata (people, plans, utfall, values)
	$(BIN)/tavla seed --demo

manifest: $(STAMP)     ## the Teams app package
	$(BIN)/tavla manifest build --out tavla.zip

clean:
	rm -rf $(VENV) data .pytest_cache
