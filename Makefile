# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Webhooks are always signature-checked; locally the terminal phone signs with this token.
export TWILIO_AUTH_TOKEN ?= local-development-token
# Calls to this number get relay (TTY) mode; `ivr call --relay` dials it.
export RELAY_NUMBERS ?= +18776236766

.PHONY: run test bench lint call call-relay clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/ivr db upgrade
	$(BIN)/ivr load-demo
	@echo
	@echo "  The payment line is answering on http://$(HOST):$(PORT)/webhooks/voice"
	@echo "  Place a call from another terminal:   make call   (relay caller: make call-relay)"
	@echo "  (or: TWILIO_AUTH_TOKEN=$(TWILIO_AUTH_TOKEN) $(BIN)/ivr call --url http://$(HOST):$(PORT))"
	@echo "  Demo member: Subscriber ID 100000000001, date of birth 04171980 (sandbox cards: README)"
	@echo
	$(BIN)/ivr serve --host $(HOST) --port $(PORT)

call: $(VENV)/.installed
	$(BIN)/ivr call --url http://$(HOST):$(PORT)

call-relay: $(VENV)/.installed
	$(BIN)/ivr call --url http://$(HOST):$(PORT) --relay --answer-delay 25

test: $(VENV)/.installed
	$(BIN)/pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
