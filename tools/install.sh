#!/usr/bin/env bash
# Create or reuse .venv (Python 3.11 by default; 3.8-3.10 with PYTHON=python3.X) and install the verified stack
# (tools/constraints.txt), then this package (editable: setup.py links mixplugins/.mim to configs/ and tools/).
# Idempotent: a second run only checks that the environment is complete (a few seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
PY="$VENV/bin/python"
STAMP="$VENV/.mixplugins-stack"
STACK_ID=$(cat tools/install.sh tools/constraints.txt setup.cfg setup.py pyproject.toml 2>/dev/null | sha1sum | cut -c1-16)

log() { printf '[install] %s\n' "$*"; }

if [ ! -x "$PY" ]; then
  log "creating $VENV with $PYTHON"
  "$PYTHON" -m venv "$VENV"
fi
"$PY" -c 'import sys; assert (3, 8) <= sys.version_info[:2] <= (3, 11), sys.version' \
  || { echo "[install] ERROR: $VENV must be Python 3.8-3.11 (python_requires in setup.cfg; set PYTHON=python3.11)"; exit 1; }

ops_check() {
  "$PY" - <<'PY'
import torch
from mmcv.ops import nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
scores = torch.tensor([0.9, 0.8, 0.7])
dets, keep = nms(boxes, scores, iou_threshold=0.5)
assert keep.tolist() == [0, 2], keep
print('[install] mmcv ops check passed: mmcv.ops.nms ->', keep.tolist())
PY
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STACK_ID" ] && ops_check 2>/dev/null; then
  log "environment up to date ($VENV)"
  exit 0
fi

PIP=("$PY" -m pip install --disable-pip-version-check --progress-bar off -c tools/constraints.txt)
log "1/5 build tools"
"${PIP[@]}" "setuptools<70" wheel ninja
log "2/5 torch==2.1.2 torchvision==0.16.2 numpy<2"
"${PIP[@]}" torch==2.1.2 torchvision==0.16.2 "numpy<2"
log "3/5 mmcv==2.1.0 with compiled ops"
if ops_check 2>/dev/null; then
  log "mmcv with working ops already importable, build skipped"
else
  MAX_JOBS=${MAX_JOBS:-$(nproc)} MMCV_WITH_OPS=1 "${PIP[@]}" --no-build-isolation mmcv==2.1.0
fi
log "4/5 mmengine mmpretrain mmdet openmim"
"${PIP[@]}" mmengine==0.10.7 mmpretrain==1.2.0 mmdet==3.3.0 openmim==0.3.9
log "5/5 mixplugins (editable) with test extras"
"${PIP[@]}" --no-build-isolation -e ".[tests]"
ops_check || { echo "[install] ERROR: mmcv.ops.nms does not run: mmcv was installed without its compiled ops (_ext)."; exit 1; }
echo "$STACK_ID" > "$STAMP"
log "done"
