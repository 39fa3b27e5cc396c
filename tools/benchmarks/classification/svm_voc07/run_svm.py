"""VOC07 SVM and low-shot SVM classification on features written by extract_features.py (BSIM: Chu et al., "A Unified
Mixture-View Framework for Unsupervised Representation Learning", 2022, arXiv:2011.13356, supplementary sec. 3.2;
``docs/methods.md#transfer-and-evaluation-protocol``).

Trains per-class linear SVMs on ``trainval`` features (all images, and N positives per class for each
``--shots`` N) and reports the test mAP as mean +- std over ``--trials`` independent trials (default 3).
Writes ``WORK_DIR/svm_<layer>.json`` and prints a Markdown table.

Usage: python tools/benchmarks/classification/svm_voc07/run_svm.py WORK_DIR [--layer res4] [--trials 3]
           [--shots 1 2 4 8 16 32 64 96] [--no-full] [--costs 0.01 0.1 1 10 100] [--seed 0]
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from svm import DEFAULT_COSTS, LOW_SHOT_SIZES, svm_trials  # noqa: E402


def load_features(work_dir: str, split: str, layer: str) -> tuple:
    paths = [osp.join(work_dir, f'{split}_{layer}.npy'), osp.join(work_dir, f'{split}_labels.npy')]
    for path in paths:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path} not found: run extract_features.py with --layers {layer} first')
    return tuple(np.load(path) for path in paths)


def run_svm_benchmark(work_dir,
                      layer='res4',
                      shots=LOW_SHOT_SIZES,
                      full=True,
                      trials=3,
                      costs=DEFAULT_COSTS,
                      seed=0,
                      train_split='trainval',
                      test_split='test') -> dict:
    """Run the full and low-shot settings; returns (and writes) ``{'full': trials, 'low_shot': {N:
    trials}}``."""
    with open(osp.join(work_dir, 'meta.json')) as f:
        classes = json.load(f)['classes']
    train_feats, train_labels = load_features(work_dir, train_split, layer)
    test_feats, test_labels = load_features(work_dir, test_split, layer)
    fewest_positives = int((train_labels == 1).sum(0).min())
    too_many = [n for n in shots if n > fewest_positives]
    if too_many:
        raise ValueError(f'--shots {too_many} exceed the {fewest_positives} positives of the rarest class in '
                         f'{train_split}')
    results = dict(layer=layer, classes=classes, costs=list(costs), trials=trials, seed=seed, low_shot={})
    if full:
        results['full'] = svm_trials(train_feats, train_labels, test_feats, test_labels, classes, costs, None,
                                     trials, seed)
    for n in shots:
        results['low_shot'][n] = svm_trials(train_feats, train_labels, test_feats, test_labels, classes,
                                            costs, n, trials, seed)
    with open(osp.join(work_dir, f'svm_{layer}.json'), 'w') as f:
        json.dump(results, f, indent=2)
    return results


def markdown_table(results: dict) -> str:
    """One row per setting: ``| setting | mAP (mean +- std over trials) |``."""
    rows = [f"| VOC07 SVM, {results['layer']} | mAP (%) over {results['trials']} trials |", '|---|---|']
    if 'full' in results:
        rows.append(f"| full trainval | {results['full']['mean']:.2f} +- {results['full']['std']:.2f} |")
    for n, res in results['low_shot'].items():
        rows.append(f"| low-shot N={n} | {res['mean']:.2f} +- {res['std']:.2f} |")
    return '\n'.join(rows)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='VOC07 (low-shot) linear SVM classification on frozen features.')
    parser.add_argument('work_dir', help='folder written by extract_features.py')
    parser.add_argument('--layer', default='res4')
    parser.add_argument('--shots',
                        type=int,
                        nargs='*',
                        default=list(LOW_SHOT_SIZES),
                        help='low-shot positives per class (none: skip low-shot)')
    parser.add_argument('--no-full', action='store_true', help='skip the full-trainval setting')
    parser.add_argument('--trials', type=int, default=3)
    parser.add_argument('--costs', type=float, nargs='+', default=list(DEFAULT_COSTS))
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    results = run_svm_benchmark(args.work_dir, args.layer, args.shots, not args.no_full, args.trials,
                                args.costs, args.seed)
    print(markdown_table(results))


if __name__ == '__main__':
    main()
