#!/usr/bin/env bash
# Check a CUDA machine before a long job (README "Before a long job: dry run and GPU check"):
#   (a) every real-scale config (ImageNet, CIFAR, Tiny-ImageNet, VOC, COCO) through its Runner under --amp
#       (mmengine's AmpOptimWrapper, fp16) for DRY_ITERS iterations on synthetic data (tools/dry_run.py);
#   (b) a 2-process DDP dry run (torch.distributed.run, --launcher pytorch) of one self-supervised and one
#       detection config: NCCL on 2 GPUs; with a single GPU (NCCL cannot put two ranks on one device) on CPU with
#       gloo, the detector's SyncBN set to BN;
#   (c) throughput (images/s) and peak memory of MoCo v2 against Un-Mix, BSIM, WBSIM, SAMix-I and SAMix^P at
#       ResNet-50 / 224 px, fp32 and AMP (tools/benchmark.py), written to the `gpu` section of DOC.
# Every part runs under a time limit (A_TIMEOUT, B_TIMEOUT per config, C_TIMEOUT seconds: 200 + 2 x 90 + 200)
# so the whole check ends within 10 minutes; a part that runs out of time counts as failed (exit status 124).
#
#   tools/gpu_check.sh                # on the GPU machine
#   tools/gpu_check.sh --cpu-smoke    # no GPU: the same three steps on CPU, fp32, at toy sizes (the tests)
#
# Environment: PY (python to use; default: python, else python3, on PATH), OUT_DIR (default
# work_dirs/gpu_check), DOC (default docs/benchmarks.md; --cpu-smoke: OUT_DIR/benchmarks.md), DRY_CONFIGS,
# DRY_ITERS, DDP_CONFIGS, DET_SCALE (detection image scale of a CPU DDP run), BENCH_BATCH, BENCH_IMG,
# A_TIMEOUT, B_TIMEOUT, C_TIMEOUT, PORT.
# Output: OUT_DIR/report.md (the three parts' tables) and one PASS / FAIL line per part; exit status 1 if
# any part failed.
set -u
cd "$(dirname "$0")/.."

SMOKE=0
for arg in "$@"; do
    case $arg in
        --cpu-smoke) SMOKE=1 ;;
        *) echo "usage: tools/gpu_check.sh [--cpu-smoke]" >&2; exit 2 ;;
    esac
done
PY=${PY:-$(command -v python || command -v python3)}
OUT_DIR=${OUT_DIR:-work_dirs/gpu_check}
PORT=${PORT:-29517}
mkdir -p "$OUT_DIR"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

MOCO=mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py
BENCH_TARGETS="configs/unmix/unmix-mocov2_resnet50_8xb32-coslr-200e_in1k.py
configs/bsim/bsim-mocov2_resnet50_8xb32-coslr-200e_in1k.py
configs/bsim/wbsim-mocov2_resnet50_8xb32-coslr-200e_in1k.py
configs/samix_r50_in1k.py
configs/samix/samix-p_mocov2_resnet50_8xb32-coslr-200e_in1k.py"
AMP_OPTIONS="optim_wrapper.type=AmpOptimWrapper optim_wrapper.loss_scale=dynamic"
DDP_DET_BN="--cfg-options model.backbone.norm_cfg.type=BN"
if [ "$SMOKE" = 1 ]; then
    DEVICE=cpu
    export CUDA_VISIBLE_DEVICES=
    DRY_CONFIGS=${DRY_CONFIGS:-configs/samix/samix_resnet18-cifar_1xb100-coslr-800e_cifar100.py}
    DRY_ITERS=${DRY_ITERS:-1}
    DRY_PRECISION=()
    DRY_LABEL=fp32
    AMP_OPTIONS=optim_wrapper.type=BF16AmpOptimWrapper
    DOC=${DOC:-$OUT_DIR/benchmarks.md}
    BENCH_BATCH=${BENCH_BATCH:-2}
    BENCH_IMG=${BENCH_IMG:-64}
    BENCH_TIMING=(--warmup 1 --rounds 1 --iters 1 --memory none)
    DET_SCALE=${DET_SCALE:-"133 80"}
    A_TIMEOUT=${A_TIMEOUT:-600}; B_TIMEOUT=${B_TIMEOUT:-600}; C_TIMEOUT=${C_TIMEOUT:-600}
else
    DEVICE=cuda
    DRY_CONFIGS=${DRY_CONFIGS:-$(find configs -name '*.py' -not -path '*_base_*' -not -name '*digits*' | sort)}
    DRY_ITERS=${DRY_ITERS:-3}
    DRY_PRECISION=(--amp)
    DRY_LABEL="AMP fp16"
    DOC=${DOC:-docs/benchmarks.md}
    BENCH_BATCH=${BENCH_BATCH:-32}
    BENCH_IMG=${BENCH_IMG:-224}
    BENCH_TIMING=(--warmup 2 --rounds 3 --iters 3 --memory subprocess --memory-iters 2)
    DET_SCALE=${DET_SCALE:-"333 200"}
    A_TIMEOUT=${A_TIMEOUT:-200}; B_TIMEOUT=${B_TIMEOUT:-90}; C_TIMEOUT=${C_TIMEOUT:-200}
fi
DDP_CONFIGS=${DDP_CONFIGS:-"configs/unmix/unmix-mocov2_resnet50_8xb32-coslr-200e_in1k.py configs/bof/faster-rcnn_r50_fpn_bof_voc0712.py"}

STATUS=0
RESULTS=()
pass_fail() {  # pass_fail RC NAME DETAIL
    if [ "$1" = 0 ]; then RESULTS+=("[gpu-check] $2: PASS ($3)"); else RESULTS+=("[gpu-check] $2: FAIL ($3, exit status $1)"); STATUS=1; fi
}

"$PY" -c "import torch; assert torch.cuda.is_available() or '$DEVICE' == 'cpu', 'torch finds no CUDA device: run tools/gpu_check.sh on the GPU machine (or --cpu-smoke)'" || exit 1
NGPU=$("$PY" -c "import torch; print(torch.cuda.device_count())")
ENV_LINE=$("$PY" -c "import platform, torch; print(f'torch {torch.__version__}, Python {platform.python_version()}, ' + (f'{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}' if torch.cuda.is_available() else 'no GPU (CPU smoke run)'))")
echo "[gpu-check] $ENV_LINE; reports in $OUT_DIR"

# (a) dry runs
timeout "$A_TIMEOUT" "$PY" tools/dry_run.py $DRY_CONFIGS ${DRY_PRECISION[@]+"${DRY_PRECISION[@]}"} --device $DEVICE \
    --iters "$DRY_ITERS" --batch-size 2 --no-checkpoint --summary "$OUT_DIR/dry_run.md" > "$OUT_DIR/dry_run.log" 2>&1
RC=$?
pass_fail $RC "(a) dry runs ($DRY_LABEL, $DRY_ITERS iterations)" \
    "$(head -1 "$OUT_DIR/dry_run.md" 2>/dev/null | cut -d: -f1 || echo no summary); log $OUT_DIR/dry_run.log"

# (b) 2-process DDP
if [ "$DEVICE" = cuda ] && [ "$NGPU" -ge 2 ]; then
    DDP_ENV=(); DDP_DEVICE=cuda; DDP_WHERE="NCCL on 2 GPUs"
else
    DDP_ENV=(env CUDA_VISIBLE_DEVICES=); DDP_DEVICE=cpu; DDP_WHERE="gloo on CPU: $NGPU GPU(s) visible"
fi
: > "$OUT_DIR/ddp.md"
DDP_OK=0; DDP_N=0; DDP_RC=0; I=0
for CONFIG in $DDP_CONFIGS; do
    EXTRA=()
    case $CONFIG in *bof*|*mmdetection*) [ "$DDP_DEVICE" = cpu ] && EXTRA=(--img-scale $DET_SCALE $DDP_DET_BN) ;; esac
    timeout "$B_TIMEOUT" ${DDP_ENV[@]+"${DDP_ENV[@]}"} "$PY" -m torch.distributed.run --nproc_per_node 2 \
        --master_port $((PORT + I)) tools/dry_run.py "$CONFIG" --launcher pytorch --device $DDP_DEVICE --iters 2 \
        --batch-size 2 --summary "$OUT_DIR/ddp_$I.md" ${EXTRA[@]+"${EXTRA[@]}"} > "$OUT_DIR/ddp_$I.log" 2>&1
    RC=$?
    DDP_N=$((DDP_N + 1)); I=$((I + 1))
    if [ $RC = 0 ]; then DDP_OK=$((DDP_OK + 1)); else DDP_RC=$RC; fi
    { [ -f "$OUT_DIR/ddp_$((I - 1)).md" ] && cat "$OUT_DIR/ddp_$((I - 1)).md" || echo "$CONFIG: no summary (exit status $RC)"; echo; } >> "$OUT_DIR/ddp.md"
done
pass_fail $DDP_RC "(b) DDP, 2 processes ($DDP_WHERE)" "$DDP_OK of $DDP_N configs OK; logs $OUT_DIR/ddp_*.log"

# (c) benchmark: every method in fp32 and AMP (--cpu-smoke: bf16 autocast, as tools/train.py --amp on CPU)
# the plain targets first: each --variant takes every word up to the next option
BENCH_ARGS=(--base "$MOCO" $BENCH_TARGETS)
for CONFIG in $MOCO $BENCH_TARGETS; do BENCH_ARGS+=(--variant "$CONFIG" $AMP_OPTIONS); done
timeout "$C_TIMEOUT" "$PY" tools/benchmark.py "${BENCH_ARGS[@]}" --device $DEVICE --batch-size "$BENCH_BATCH" \
    --img-size "$BENCH_IMG" "${BENCH_TIMING[@]}" --json "$OUT_DIR/benchmark.json" \
    --markdown "$OUT_DIR/benchmark.md" --doc "$DOC" --section gpu > "$OUT_DIR/benchmark.log" 2>&1
RC=$?
N_TARGETS=$(grep -c '^| `' "$OUT_DIR/benchmark.md" 2>/dev/null || echo 0)
pass_fail $RC "(c) benchmark" "$N_TARGETS targets, batch $BENCH_BATCH, $BENCH_IMG px; section gpu of $DOC; log $OUT_DIR/benchmark.log"

{
    echo "# GPU check"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'): $ENV_LINE"
    echo
    printf '%s\n' "${RESULTS[@]}"
    echo
    echo "## (a) dry runs"
    echo
    cat "$OUT_DIR/dry_run.md" 2>/dev/null || echo "no summary: see $OUT_DIR/dry_run.log"
    echo
    echo "## (b) 2-process DDP ($DDP_WHERE)"
    echo
    cat "$OUT_DIR/ddp.md"
    echo "## (c) benchmark"
    echo
    cat "$OUT_DIR/benchmark.md" 2>/dev/null || echo "no table: see $OUT_DIR/benchmark.log"
} > "$OUT_DIR/report.md"

printf '%s\n' "${RESULTS[@]}"
if [ $STATUS = 0 ]; then echo "gpu check PASS: report $OUT_DIR/report.md"; else echo "gpu check FAIL: report $OUT_DIR/report.md"; fi
exit $STATUS
