# Two set-up commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The control-room demo: simulate L-Town with two leaks and let the twin watch it (once; a
# few minutes), then serve the dashboard on it at http://127.0.0.1:8050 (Ctrl-C stops it).
run: $(STAMP)
	@test -f runs/demo/summary.json || $(BIN)/twin run scenarios/control-room-demo.toml --out runs/demo
	$(BIN)/twin dash --run runs/demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check twin tests bench app.py

bench: $(STAMP)
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) runs .pytest_cache
