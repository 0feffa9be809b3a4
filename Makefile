# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Webhooks are always signature-checked; locally the terminal phone signs with this token.
export TWILIO_AUTH_TOKEN ?= local-development-token
# That token is public: the server accepts it only in development mode.
run: export IVR_DEVELOPMENT ?= 1
# Calls to this number get relay (TTY) mode; `ivr call --relay` dials it.
export RELAY_NUMBERS ?= +18776236766
# For `make run` and `make call`: representatives are dialled into the caller's conference at
# this number, and the terminal phone is also the local stand-in for Twilio's REST API, on this
# address and account.
run call call-relay: export AGENT_NUMBER ?= +16175550199
run call call-relay: export TWILIO_API_BASE_URL ?= http://127.0.0.1:5099
run call call-relay: export TWILIO_ACCOUNT_SID ?= AC00000000000000000000000000000000
run: export SMS_FROM ?= +18775550123

.PHONY: run reset test bench bench-autopay bench-import bench-readme lint call call-relay clean mutation test-deps diagram

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/ivr db upgrade
	$(BIN)/ivr demo load
	@echo
	@echo "  The payment line is answering on http://$(HOST):$(PORT)/webhooks/voice"
	@echo "  Place a call from another terminal:   make call   (relay caller: make call-relay)"
	@echo "  (or: TWILIO_AUTH_TOKEN=$(TWILIO_AUTH_TOKEN) $(BIN)/ivr call --url http://$(HOST):$(PORT))"
	@echo "  Demo member: Subscriber ID 100000000001, date of birth 04171980 (sandbox cards: README)"
	@echo "  Agent console: http://localhost:$(PORT)/agent/ (an account: $(BIN)/ivr agents add NAME --name 'Full Name')"
	@echo
	$(BIN)/ivr serve --host $(HOST) --port $(PORT)

reset: $(VENV)/.installed
	$(BIN)/ivr demo reset

call: $(VENV)/.installed
	$(BIN)/ivr call --url http://$(HOST):$(PORT)

call-relay: $(VENV)/.installed
	$(BIN)/ivr call --url http://$(HOST):$(PORT) --relay --answer-delay 25

test: $(VENV)/.installed test-deps
	$(BIN)/pytest -q

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
test-deps:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "  no /usr/bin/chromium: the browser tests skip (CI: they fail)"

# The call flow drawn from its declaration into docs/ (needs Graphviz's dot: apt-get install graphviz).
diagram: $(VENV)/.installed
	$(BIN)/ivr flows diagram --out docs

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The webhooks under load, then the AutoPay run and ACH export at scale (BENCH_AUTOPAY_ENROLMENTS).
bench: $(VENV)/.installed
	$(BIN)/python -m bench

bench-autopay: $(VENV)/.installed
	$(BIN)/python -m bench --only autopay

bench-import: $(VENV)/.installed
	$(BIN)/python -m bench --only import

bench-readme: $(VENV)/.installed
	$(BIN)/python -m bench --readme

# Mutation testing of payments/ and ivr/flows/ against tests/unit and tests/e2e (see
# [tool.mutmut] in pyproject.toml). Slow: not part of `test`, not run in CI. Results are kept in
# mutants/ and only changed functions are tested again; `rm -rf mutants` starts over. Restrict a
# run to some mutants with e.g.  make mutation MUTANTS='payments.domain.* ivr.flows.money.*'
MUTANTS ?=
mutation: $(VENV)/.installed
	rm -rf mutants/tests  # copied afresh by mutmut: no test deleted since the last run lingers
	HYPOTHESIS_PROFILE=mutation $(BIN)/mutmut run --max-children 2 $(foreach m,$(MUTANTS),'$(m)')
	$(BIN)/mutmut results
	$(BIN)/python -m bench.mutation_score

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
