# Two commands do all set-up:  `make lab` opens the notebooks, `make test` runs every test.
# Both create the virtual environment .venv/ first if it is missing or out of date.

VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: lab test test-package test-notebooks lint clean

$(BIN)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	touch $@

# --allow-root only where Jupyter needs it: a container whose user is root
lab: $(BIN)/.installed
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

test: lint test-package test-notebooks

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/nbstripout --verify notebooks/*.ipynb

test-package: $(BIN)/.installed
	$(BIN)/pytest

# Notebook 03 needs only a few images in smoke mode: the CIFAR-10 samples beside the data, when there.
SMOKE_DATASET := $(if $(wildcard $(GAN_DATA_DIR)/cifar10-samples),$(GAN_DATA_DIR)/cifar10-samples,cifar10)

# Every notebook, top to bottom, in smoke mode (a few training steps each).
test-notebooks: $(BIN)/.installed
	GAN_SMOKE=1 GAN_DATASET=$(SMOKE_DATASET) $(BIN)/pytest --nbval-lax --nbval-current-env notebooks/

clean:
	rm -rf $(VENV) checkpoints .pytest_cache .ruff_cache
