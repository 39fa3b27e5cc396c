"""Micro-benchmark of ``VisuallyCoherentMixUp`` on CPU (Bag of Freebies: Zhang et al., "Bag of Freebies for Training
Object Detection Neural Networks", 2019, arXiv:1902.04103; target: <= 5 ms per 500 x 375 image pair, so the transform
never bottlenecks the data loader).

Times the transform alone (no loading, no resize) on VOC-sized uint8 pairs with 3 boxes each and writes the
``bof`` section of docs/benchmarks.md (between ``<!-- bench:bof -->`` and ``<!-- /bench:bof -->``, with
tools/benchmark.py's writer; tools/benchmark.py itself times models, policies and mixers, not transforms).

    .venv/bin/python tools/benchmark_det_transform.py [--repeats 200] [--no-write]
"""
import argparse
import copy
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from mmdet.structures.bbox import HorizontalBoxes

from benchmark import write_doc_section  # tools/benchmark.py: the shared docs/benchmarks.md writer
from mixplugins.det.transforms import VisuallyCoherentMixUp

DOC = Path(__file__).resolve().parents[1] / 'docs' / 'benchmarks.md'
SECTION = 'bof'
BUDGET_MS = 5.0
#: (h1, w1), (h2, w2): a landscape pair (canvas 375 x 500) and a landscape + portrait pair (canvas 500 x 500)
PAIRS = {'500x375 + 500x375': ((375, 500), (375, 500)), '500x375 + 375x500': ((375, 500), (500, 375))}


def make_results(rng, height, width):
    boxes = np.array([[10, 20, 110, 220], [50, 60, 300, 200], [0, 0, 80, 90]], dtype=np.float32)
    return dict(img=rng.integers(0, 256, (height, width, 3), dtype=np.uint8), img_shape=(height, width),
                gt_bboxes=HorizontalBoxes(boxes), gt_bboxes_labels=np.array([0, 5, 7]),
                gt_ignore_flags=np.zeros(3, dtype=bool))


def time_pair(transform, shape1, shape2, repeats, block=20):
    """Per pair (ms): the best mean over blocks of ``block`` calls (the transform's own cost; a shared machine
    only adds waiting time) and the median of all calls. Inputs are copied outside the timed region."""
    rng = np.random.default_rng(0)
    first, second = make_results(rng, *shape1), make_results(rng, *shape2)

    def one_call():
        results = copy.copy(first)
        results['mix_results'] = [second]
        start = time.perf_counter()
        transform(results)
        return (time.perf_counter() - start) * 1e3

    for _ in range(block):  # warm-up
        one_call()
    times = np.array([one_call() for _ in range(max(repeats // block, 1) * block)])
    return float(times.reshape(-1, block).mean(1).min()), float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--repeats', type=int, default=200)
    parser.add_argument('--no-write', action='store_true', help='print only, do not touch docs/benchmarks.md')
    args = parser.parse_args()
    torch.set_num_threads(1)
    transform = VisuallyCoherentMixUp(alpha=1.5)
    rows = []
    for name, (shape1, shape2) in PAIRS.items():
        best, median = time_pair(transform, shape1, shape2, args.repeats)
        verdict = 'ok' if best <= BUDGET_MS else 'OVER BUDGET'
        rows.append(f'| {name} | {max(shape1[0], shape2[0])} x {max(shape1[1], shape2[1])} | {best:.2f} | '
                    f'{median:.2f} | {verdict} |')
    body = '\n'.join([
        '### Bag of Freebies: `VisuallyCoherentMixUp` (CPU, one process, one thread)',
        '',
        f'Command: `.venv/bin/python tools/benchmark_det_transform.py --repeats {args.repeats}` '
        f'({platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average '
        f'{os.getloadavg()[0]:.1f}, numpy {np.__version__}). Transform only (uint8 images in and out, '
        f'3 boxes each, no resize). "best" = lowest mean over blocks of 20 calls (the cost of the transform), '
        f'"median" = median call including the waiting of a shared machine; budget {BUDGET_MS:g} ms / pair.',
        '',
        '| image pair (w x h) | canvas (h x w) | best ms / pair | median ms / pair | budget (best) |',
        '|---|---|---|---|---|',
        *rows,
    ])
    print(body)
    if not args.no_write:
        write_doc_section(DOC, SECTION, body + '\n')
        print(f'wrote section {SECTION!r} of {DOC}')


if __name__ == '__main__':
    main()
