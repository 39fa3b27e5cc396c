#!/usr/bin/env bash
# Fine-tune a C4 transfer config (configs/benchmarks/mmdetection/) from a backbone checkpoint with
# torch.distributed.
# Usage: GPUS=8 [PORT=29500] [NNODES=1 NODE_RANK=0 MASTER_ADDR=127.0.0.1] [WORK_DIR=...] \
#          tools/benchmarks/mmdetection/mim_dist_train_c4.sh CONFIG PRETRAIN [extra train.py args ...]
# PRETRAIN: backbone weights (tools/model_converters/extract_backbone_weights.py); they initialise the
# backbone AND the shared head (ResNet stage 5). One node: `mim train mmdet`; several nodes:
# torch.distributed.run on mmdet's train script (mim's pytorch launcher is single-node).
# Default work dir: work_dirs/benchmarks/mmdetection/<dataset>/<config name>/<PRETRAIN file name>.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: GPUS=8 $0 CONFIG PRETRAIN [extra args]" >&2
  exit 2
fi
CFG=$1
PRETRAIN=$2
shift 2
GPUS=${GPUS:-8}
PORT=${PORT:-29500}
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
WORK_DIR=${WORK_DIR:-"$(echo "${CFG%.*}" | sed -e 's/configs/work_dirs/')/$(basename "$PRETRAIN")"}
PRETRAIN_OPTS=(model.backbone.init_cfg.type=Pretrained "model.backbone.init_cfg.checkpoint=$PRETRAIN"
               model.roi_head.shared_head.init_cfg.type=Pretrained
               "model.roi_head.shared_head.init_cfg.checkpoint=$PRETRAIN")
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

if [ "$NNODES" -eq 1 ]; then
  mim train mmdet "$CFG" --launcher pytorch -G "$GPUS" --port "$PORT" --work-dir "$WORK_DIR" \
    --cfg-options "${PRETRAIN_OPTS[@]}" "$@"
else
  TRAIN_PY=$("$PYTHON" -c 'import importlib.util as u, os.path as p
print(p.join(u.find_spec("mmdet").submodule_search_locations[0], ".mim", "tools", "train.py"))')
  "$PYTHON" -m torch.distributed.run --nnodes="$NNODES" --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" --nproc_per_node="$GPUS" --master_port="$PORT" \
    "$TRAIN_PY" "$CFG" --launcher pytorch --work-dir "$WORK_DIR" --cfg-options "${PRETRAIN_OPTS[@]}" "$@"
fi
