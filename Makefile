# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint clean

$(BIN)/allocator: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m compileall -q allocator  # read at every start, even with PYTHONDONTWRITEBYTECODE
	touch $(BIN)/allocator

demo: $(BIN)/allocator
	$(BIN)/allocator solve scenarios/2024.yaml

test: $(BIN)/allocator
	$(BIN)/python -m pytest tests

lint: $(BIN)/allocator
	$(BIN)/ruff check allocator tests benchmarks
	$(BIN)/ruff format --check allocator tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
