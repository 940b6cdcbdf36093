# ECG-BNN accelerator IP. `make sim` runs the main job, `make test` the test suite.
# Both create the Python environment (.venv) and install the simulators when missing.
SHELL := /bin/bash
SIM ?= verilator
WAVES ?= 0
PY := .venv/bin/python
VENV_STAMP := .venv/.installed-stamp
ECG_DATA_DIR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)
export ECG_DATA_DIR
JOBS ?= 2

.PHONY: help venv tools sim test test-py test-tb lint lint-py lint-rtl train evaluate export bench fpga readme clean

help:
	@echo "make sim   [SIM=icarus|verilator] [WAVES=1]  simulate the IP classifying real ECG"
	@echo "make test                                      run the whole test suite"
	@echo "make lint | train | evaluate | export | bench | fpga | readme | clean"

$(VENV_STAMP): pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install -q -e .
	touch $@

venv: $(VENV_STAMP)

tools:
	@bash scripts/setup_tools.sh

sim: venv tools
	$(PY) scripts/run_sim.py --sim $(SIM) $(if $(filter 1,$(WAVES)),--waves,)

test: venv tools lint
	$(PY) -m pytest -n $(JOBS) tests tb

test-py: venv
	$(PY) -m pytest -n $(JOBS) tests

test-tb: venv tools
	$(PY) -m pytest -n $(JOBS) tb

lint: lint-py lint-rtl

lint-py: venv
	.venv/bin/ruff check pymodel scripts tests tb
	.venv/bin/ruff format --check pymodel scripts tests tb

lint-rtl: tools
	bash scripts/lint_rtl.sh

# The recipes of the committed weights (BNN, then its full-precision twin, per protocol).
# bnn5_paper was started with a 300-epoch cosine schedule and, to fit this session's CPU time,
# resumed twice with a shorter one (--resume --epochs 150 at epoch 55, --epochs 110 at epoch 73;
# the checkpoint's config/history records it); 110 epochs from the start is the nearest recipe.
# It was then fine-tuned with random-shift augmentation (second line: 95.32 % validation against
# 94.83 %, so the fine-tuned weights are committed; the history holds both phases).
train: venv
	$(PY) scripts/train.py --protocol paper --epochs 110 --lr 0.01 --out runs/bnn5_paper_base.pt
	$(PY) scripts/train.py --protocol paper --epochs 60 --lr 0.003 --augment --init runs/bnn5_paper_base.pt
	$(PY) scripts/train.py --protocol interpatient --epochs 100 --lr 0.01
	$(PY) scripts/train.py --protocol ecg17 --epochs 400 --lr 0.01
	$(PY) scripts/train.py --protocol paper --full-precision --epochs 30 --lr 0.005
	$(PY) scripts/train.py --protocol interpatient --full-precision --epochs 30 --lr 0.005
	$(PY) scripts/train.py --protocol ecg17 --full-precision --epochs 100 --lr 0.005

evaluate: venv
	$(PY) -m pymodel.evaluate

export: venv
	$(PY) scripts/export.py

bench: venv tools
	$(PY) scripts/bench_train.py
	$(PY) scripts/bench_cycles.py
	$(PY) scripts/bench_rtl.py --icarus-windows 2

fpga: venv tools
	$(PY) scripts/fpga_flow.py
	$(PY) scripts/energy.py

readme: venv
	$(PY) scripts/update_readme.py

clean:
	rm -rf sim_build build runs fpga/build .pytest_cache
