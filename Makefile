# Two commands do all set-up:  `make lab` opens the notebooks, `make test` runs every test.
# Both create the virtual environment .venv/ first if it is missing or out of date.

VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: lab test test-package test-notebooks lint outputs clean

$(BIN)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	touch $@

# --allow-root only where Jupyter needs it: a container whose user is root
lab: $(BIN)/.installed
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

test: lint test-package test-notebooks

# Notebooks are committed without outputs, except the cells marked # NBVAL_CHECK_OUTPUT (tests/notebook_outputs.py).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(BIN)/nbstripout --verify --keep-count notebooks/*.ipynb || \
	  { echo "A notebook has outputs outside its marked cells: run 'make outputs', then commit."; exit 1; }

test-package: $(BIN)/.installed
	$(BIN)/pytest

# Notebook 03 needs only a few images in smoke mode: the CIFAR-10 samples beside the data, when there.
SMOKE_DATASET := $(if $(wildcard $(GAN_DATA_DIR)/cifar10-samples),$(GAN_DATA_DIR)/cifar10-samples,cifar10)

# Every notebook, top to bottom, in smoke mode (a few training steps each); nbval compares the stored
# outputs of the cells marked # NBVAL_CHECK_OUTPUT.
test-notebooks: $(BIN)/.installed
	GAN_SMOKE=1 GAN_DATASET=$(SMOKE_DATASET) $(BIN)/pytest --nbval-lax --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/

# After an intended change to what a marked cell prints: run the notebooks in smoke mode and store the
# outputs of the marked cells (and only those) in the notebooks.
outputs: $(BIN)/.installed
	$(BIN)/python tests/notebook_outputs.py notebooks/*.ipynb
	$(BIN)/nbstripout --keep-count notebooks/*.ipynb

clean:
	rm -rf $(VENV) checkpoints .pytest_cache .ruff_cache
