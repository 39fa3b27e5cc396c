#!/usr/bin/env bash
# Multi-process train on one or several nodes: tools/dist_train.sh CONFIG NPROC [args...]
# NNODES, NODE_RANK, MASTER_ADDR, PORT are read from the environment. Without CUDA the processes use gloo on CPU.
CONFIG=$1
NPROC=$2
SHIFT=3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$NPROC \
    --master_port=$PORT \
    $(dirname "$0")/train.py \
    $CONFIG \
    --launcher pytorch ${@:$SHIFT}
