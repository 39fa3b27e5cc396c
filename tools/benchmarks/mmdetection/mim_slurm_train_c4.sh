#!/usr/bin/env bash
# Fine-tune a C4 transfer config from a backbone checkpoint on a Slurm cluster
# (`mim train mmdet --launcher slurm`).
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS="" PORT=29500 WORK_DIR=...] \
#          tools/benchmarks/mmdetection/mim_slurm_train_c4.sh PARTITION CONFIG PRETRAIN [extra args ...]
# PRETRAIN initialises the backbone AND the shared head (ResNet stage 5); GPUS may span several nodes.
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: GPUS=8 $0 PARTITION CONFIG PRETRAIN [extra args]" >&2
  exit 2
fi
PARTITION=$1
CFG=$2
PRETRAIN=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PORT=${PORT:-29500}
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
WORK_DIR=${WORK_DIR:-"$(echo "${CFG%.*}" | sed -e 's/configs/work_dirs/')/$(basename "$PRETRAIN")"}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

mim train mmdet "$CFG" --launcher slurm -G "$GPUS" --gpus-per-node "$GPUS_PER_NODE" \
  --cpus-per-task "$CPUS_PER_TASK" --partition "$PARTITION" --srun-args "$SRUN_ARGS" --port "$PORT" \
  --work-dir "$WORK_DIR" \
  --cfg-options model.backbone.init_cfg.type=Pretrained "model.backbone.init_cfg.checkpoint=$PRETRAIN" \
  model.roi_head.shared_head.init_cfg.type=Pretrained \
  "model.roi_head.shared_head.init_cfg.checkpoint=$PRETRAIN" \
  "$@"
