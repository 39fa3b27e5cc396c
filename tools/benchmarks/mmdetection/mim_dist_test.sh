#!/usr/bin/env bash
# Evaluate a fine-tuned detector with torch.distributed (single node, `mim test mmdet`).
# Usage: GPUS=8 [PORT=29500] \
#          tools/benchmarks/mmdetection/mim_dist_test.sh CONFIG CHECKPOINT [extra test.py args ...]
# CHECKPOINT is the fine-tuned detector (e.g. work_dirs/.../iter_24000.pth), not the backbone weights.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: GPUS=8 $0 CONFIG CHECKPOINT [extra args]" >&2
  exit 2
fi
CFG=$1
CHECKPOINT=$2
shift 2
GPUS=${GPUS:-8}
PORT=${PORT:-29500}
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

mim test mmdet "$CFG" --checkpoint "$CHECKPOINT" --launcher pytorch -G "$GPUS" --port "$PORT" "$@"
