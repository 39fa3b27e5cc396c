#!/usr/bin/env bash
# Evaluate a fine-tuned detector on a Slurm cluster (`mim test mmdet --launcher slurm`).
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS="" PORT=29500] \
#          tools/benchmarks/mmdetection/mim_slurm_test.sh PARTITION CONFIG CHECKPOINT [extra args ...]
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: GPUS=8 $0 PARTITION CONFIG CHECKPOINT [extra args]" >&2
  exit 2
fi
PARTITION=$1
CFG=$2
CHECKPOINT=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PORT=${PORT:-29500}
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

mim test mmdet "$CFG" --checkpoint "$CHECKPOINT" --launcher slurm -G "$GPUS" \
  --gpus-per-node "$GPUS_PER_NODE" --cpus-per-task "$CPUS_PER_TASK" --partition "$PARTITION" \
  --srun-args "$SRUN_ARGS" --port "$PORT" "$@"
