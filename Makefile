# mixplugins: the two commands of the README quick start, and the install both of them run first.
PY := .venv/bin/python
DEMO ?= configs/demo/mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py
WORK_DIR ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: install demo test

install:
	bash tools/install.sh

demo: install
	$(PY) tools/demo.py $(DEMO) --work-dir $(WORK_DIR)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)
