# The two set-up commands of the README:
#   make demo   virtual environment + package + dataset, then train and evaluate the default CNN
#   make test   virtual environment + package + dataset, then the test suite (which also
#               builds the docs with warnings as errors, running every example)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: demo test test-fast data install docs clean

demo: data
	$(BIN)/skfmnist train --model cnn --out cnn-demo --report

# Two pytest workers with one TensorFlow thread each keep both cores busy; a worker takes whole
# test modules (--dist loadfile), so each module's fitted-model fixtures are built once.
test: data
	SKFMNIST_NUM_THREADS=1 $(BIN)/python -m pytest tests skfmnist --doctest-modules -q \
	  --durations=15 -n 2 --dist loadfile

# The fast lane, before every commit: the logic tests on toy images, no dataset needed.
test-fast: install
	SKFMNIST_NUM_THREADS=1 $(BIN)/python -m pytest tests -m "not slow" -q -n 2 --dist loadfile

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dask,docs,export]"
	touch $@

# The dataset: an existing copy (data_home, Keras's cache, Debian's package), else Debian's
# package where apt-get exists, else the official download. Verified and cached either way.
data: install
	@$(BIN)/python -c "from skfmnist._datasets import find_fashion_mnist as f; raise SystemExit(f() is None)" \
	  || ! command -v apt-get >/dev/null \
	  || $(SUDO) sh -c 'apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist' \
	  || echo "apt-get could not install dataset-fashion-mnist; downloading the official files instead"
	$(BIN)/python -c "from skfmnist import fetch_fashion_mnist as f; f(subset='all')"

# The Sphinx site, warnings as errors; runs every example (sphinx-gallery).
docs: data
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) cnn-demo docs/_build docs/auto_examples docs/generated
