# mixplugins: the two commands of the README quick start, and the install both of them run first.
PY := .venv/bin/python
# Un-Mix SimCLR on the embedded digits (the table's row at 14 epochs);
# `make demo DEMO=configs/demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py` runs plain MoCo v2 (any config works)
DEMO ?= configs/demo/unmix-simclr_resnet18-cifar_1xb64-coslr-14e_digits.py
WORK_DIR ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: install demo test

install:
	bash tools/install.sh

demo: install
	$(PY) tools/demo.py $(DEMO) --work-dir $(WORK_DIR)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)
