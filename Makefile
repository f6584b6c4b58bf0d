# Two commands do all set-up:  `make lab` opens the notebooks, `make test` runs every test.
# Both create the virtual environment .venv/ first if it is missing or out of date.

VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: lab lock data student test test-package test-notebooks test-browser screenshots lint outputs clean hub hub-proxy \
  hub-proxy-for-tests

$(BIN)/.installed: requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# The lock: every installed distribution at its version in this environment (after the tests passed with it). Run it
# in a fresh one (make clean lock), so that nothing installed by hand gets locked.
lock: $(BIN)/.installed
	{ echo "# The versions the tests ran with (make lock; requirements.txt applies them). Python 3.11, Linux x86_64;"; \
	  echo "# a pin for a package your platform does not install (the nvidia-* CUDA libraries) changes nothing."; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

# JupyterLab's settings for a class (lab-settings/overrides.json5: no news pop-up, no update checks, no "Select
# Kernel" dialog), installed into the environment: they change JupyterLab's defaults here, not in your home.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d/gan-notebooks.json5
# nbgrader (`make student`, and grading) brings its own JupyterLab menus and a Validate button, which a class
# does not need: they are turned off here (docs/teaching.md says how a teacher turns them on).
$(LAB_SETTINGS): lab-settings/overrides.json5 $(BIN)/.installed
	mkdir -p $(@D)
	cp $< $@
	$(BIN)/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader > /dev/null 2>&1

# The server's root is the repository (so that the notebooks' pictures in docs/images/ show); it opens on notebooks/.
# --allow-root only where Jupyter needs it: a container whose user is root
lab: $(LAB_SETTINGS)
	$(BIN)/jupyter lab --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

# Before class: every dataset of the series into $(GAN_DATA_DIR) (default data/), downloaded if missing and verified,
# so that the notebooks then run without a network. A read-only folder is only checked (docs/teaching.md).
data: $(BIN)/.installed
	$(BIN)/python tools/prepare.py

# The student edition of the lessons: the "Your turn" answers cleared by nbgrader's preprocessors, as nbgrader
# releases an assignment (tools/student_edition.py; docs/teaching.md: handing it out and grading it).
STUDENT_DIR := build/student
student: $(BIN)/.installed
	$(BIN)/python tools/student_edition.py notebooks/0*.ipynb --out $(STUDENT_DIR)

test: lint test-package test-notebooks test-browser

# Notebooks are committed without outputs, except the cells marked # NBVAL_CHECK_OUTPUT (tests/notebook_outputs.py).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(BIN)/nbstripout --verify --keep-count notebooks/*.ipynb notebooks/solutions/*.ipynb || \
	  { echo "A notebook has outputs outside its marked cells: run 'make outputs', then commit."; exit 1; }

# The package's tests, under a minute: those marked slow (they train for seconds or run a notebook) run with the
# notebooks. Both print their ten slowest tests.
test-package: $(BIN)/.installed
	$(BIN)/pytest -m "not slow" --durations=10 --ignore=tests/browser

# Notebook 03 needs only a few images in smoke mode: the CIFAR-10 samples beside the data, when there.
SMOKE_DATASET := $(if $(wildcard $(GAN_DATA_DIR)/cifar10-samples),$(GAN_DATA_DIR)/cifar10-samples,cifar10)

# Each notebook runs once per setting. Top to bottom in smoke mode (a few training steps each), the worked solutions
# in notebooks/solutions/ included (pytest finds them in the subfolder): nbval compares the stored outputs of the
# cells marked # NBVAL_CHECK_OUTPUT, and its plugin tests/notebook_outputs.py checks that each of those comparisons
# would fail a changed output. Then the tests marked slow: each lesson with half a minute of training, the student
# edition with GAN_TRAIN=0 and graded by nbgrader (tests/lessons/), and the package's tests that train for seconds:
# two files at a time (pytest-xdist; each notebook's kernel uses one thread; a file's tests share one worker, so the
# fresh environments of tests/test_package.py are built once).
test-notebooks: $(BIN)/.installed
	GAN_SMOKE=1 GAN_DATASET=$(SMOKE_DATASET) $(BIN)/python -m pytest -p tests.notebook_outputs --nbval-lax \
	  --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/
	$(BIN)/pytest -m slow -n 2 --dist loadfile --durations=10 --ignore=tests/browser

# The notebooks in JupyterLab in headless Chromium, as a student sees them (tests/browser/, about 2 minutes):
# widgets and progress bars display, the live figure updates in place, the digit picker reacts. Skipped, with
# the reason in red, where no Chromium is found (Debian: apt-get install chromium).
test-browser: $(LAB_SETTINGS) hub-proxy-for-tests
	$(BIN)/pytest tests/browser

# The README's pictures (docs/images/) from real runs of the notebooks in JupyterLab (about 12 minutes).
screenshots: $(LAB_SETTINGS)
	$(BIN)/python tests/browser/screenshots.py

# After an intended change to what a marked cell prints: run the notebooks in smoke mode and store the
# outputs of the marked cells (and only those) in the notebooks.
outputs: $(BIN)/.installed
	$(BIN)/python tests/notebook_outputs.py notebooks/*.ipynb
	$(BIN)/nbstripout --keep-count notebooks/*.ipynb notebooks/solutions/*.ipynb

# A class on one server (docs/class-server.md): JupyterHub with every student's own JupyterLab of this environment,
# the lessons copied into each home on first start, the datasets read-only from $(GAN_DATA_DIR), the teacher as
# admin. Settings: class-server/jupyterhub_config.py. Its proxy is the npm package configurable-http-proxy, pinned
# by class-server/node/package-lock.json and installed into class-server/node/node_modules (Node.js and npm:
# Debian's nodejs and npm).
HUB_PROXY := class-server/node/node_modules/.bin/configurable-http-proxy
$(HUB_PROXY): class-server/node/package.json class-server/node/package-lock.json
	npm ci --prefix class-server/node --no-audit --no-fund --loglevel=error
	touch $@

hub-proxy: $(HUB_PROXY)

# As root: every student's server runs as a Unix user of their own (class-server/class_spawner.py). run_hub.py
# starts `jupyterhub -f class-server/jupyterhub_config.py` (in a mount namespace where Python lies in root's home).
hub: $(LAB_SETTINGS) $(HUB_PROXY)
	$(BIN)/python class-server/run_hub.py

# The browser test through the hub needs the proxy: installed here (seconds), or that test is skipped in red
hub-proxy-for-tests:
	@command -v npm > /dev/null && $(MAKE) --no-print-directory $(HUB_PROXY) || \
	  echo "Could not install configurable-http-proxy (npm): the browser test through the class hub will be skipped."

clean:
	rm -rf $(VENV) checkpoints .pytest_cache .ruff_cache
