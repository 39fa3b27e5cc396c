"""Results table of the self-supervised mixtures on the embedded digits (issue 4): docs/results_ssl.md.

For each base method (MoCo v2, SimCLR, BYOL, SimSiam) and its Un-Mix / BSIM / WBSIM variants, trains the CPU
config with ``tools/train.py`` (the MMEngine Runner), all with the same number of epochs and the same seed,
reads the kNN top-1 written by ``KNNEvalHook`` to ``<work_dir>/knn.json`` and writes the Markdown table with
the command that reproduces it::

    python tools/make_results_ssl.py [--epochs 1] [--image-size 32] [--num-images 0]
        [--work-dir work_dirs/results_ssl] [--out docs/results_ssl.md] [--only NAME ...]

Runs already finished under ``--work-dir`` (in a sub-directory named by the settings) are reused, so an
interrupted table can be resumed; the table is rewritten after every run. ``--only`` restricts the runs (e.g.
``--only mocov2 bsim-mocov2``). ``--image-size`` / ``--num-images`` shrink every run alike (crop size; the
first N train images, also the kNN bank) to fit a slow machine.
"""
import argparse
import json
import os
import os.path as osp
import shlex
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: (base name, [(row name, config path relative to the repo)]); the first row of each group is the base
# method.
GROUPS = [
    ('MoCo v2', [('mocov2', 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py'),
                 ('unmix-mocov2', 'configs/unmix/unmix-mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py'),
                 ('bsim-mocov2', 'configs/bsim/bsim-mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py'),
                 ('wbsim-mocov2', 'configs/bsim/wbsim-mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py')]),
    ('SimCLR', [('simclr', 'configs/bsim/simclr_resnet18-cifar_1xb64-coslr-8e_digits.py'),
                ('unmix-simclr', 'configs/unmix/unmix-simclr_resnet18-cifar_1xb64-coslr-8e_digits.py'),
                ('bsim-simclr', 'configs/bsim/bsim-simclr_resnet18-cifar_1xb64-coslr-8e_digits.py'),
                ('wbsim-simclr', 'configs/bsim/wbsim-simclr_resnet18-cifar_1xb64-coslr-8e_digits.py')]),
    ('BYOL', [('byol', 'configs/bsim/byol_resnet18-cifar_1xb64-coslr-8e_digits.py'),
              ('unmix-byol', 'configs/unmix/unmix-byol_resnet18-cifar_1xb64-coslr-8e_digits.py'),
              ('bsim-byol', 'configs/bsim/bsim-byol_resnet18-cifar_1xb64-coslr-8e_digits.py'),
              ('wbsim-byol', 'configs/bsim/wbsim-byol_resnet18-cifar_1xb64-coslr-8e_digits.py')]),
    ('SimSiam', [('simsiam', 'configs/bsim/simsiam_resnet18-cifar_1xb64-coslr-8e_digits.py'),
                 ('bsim-simsiam', 'configs/bsim/bsim-simsiam_resnet18-cifar_1xb64-coslr-8e_digits.py'),
                 ('wbsim-simsiam', 'configs/bsim/wbsim-simsiam_resnet18-cifar_1xb64-coslr-8e_digits.py')]),
]
METHOD = {'unmix': 'Un-Mix', 'bsim': 'BSIM', 'wbsim': 'WBSIM (0.5 / 0.5)'}


def train_options(epochs: int, is_base: bool, image_size: int, num_images: int) -> list:
    """``--cfg-options`` of every run: the epochs (and the cosine schedule length), no intermediate checkpoints,
    the image size (training crops and kNN images), the first ``num_images`` train images (training set and kNN
    bank; 0 = all); the kNN of the randomly initialised backbone only for the base run (the variants share its
    seed, hence its initial weights)."""
    options = [f'train_cfg.max_epochs={epochs}', f'param_scheduler.0.T_max={epochs}',
               f'param_scheduler.0.end={epochs}', 'default_hooks.checkpoint.interval=1000',
               f'custom_hooks.0.before_train={is_base}',
               f'train_dataloader.dataset.pipeline.0.transforms.0.0.scale={image_size}',
               f'train_dataloader.dataset.image_size={image_size}',
               f'custom_hooks.0.train_dataloader.dataset.image_size={image_size}',
               f'custom_hooks.0.val_dataloader.dataset.image_size={image_size}']
    if num_images:
        options += [f'train_dataloader.dataset.indices={num_images}',
                    f'custom_hooks.0.train_dataloader.dataset.indices={num_images}']
    return ['--cfg-options', *options]


def read_knn(work_dir: str, epochs: int):
    """``knn.json`` results of a finished run with ``epochs`` epochs, else None."""
    path = osp.join(work_dir, 'knn.json')
    if not osp.exists(path):
        return None
    with open(path) as f:
        results = json.load(f)['results']
    trained = results.get('trained')
    return results if trained is not None and trained['epoch'] == epochs else None


def run(name: str, config: str, work_dir: str, options: list) -> None:
    """Train ``config`` into ``work_dir`` with the extra ``tools/train.py`` arguments ``options``."""
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir, *options]
    print(f'[results_ssl] {shlex.join(cmd)}', flush=True)
    start = time.time()
    subprocess.run(cmd, cwd=REPO, check=True, env={**os.environ, 'PYTHONPATH': REPO})
    print(f'[results_ssl] {name}: {time.time() - start:.0f} s', flush=True)


def collect_rows(root: str, epochs: int, names=None) -> list:
    """Table rows from the finished runs under ``root``; rows not run (yet) say so."""
    rows = []
    for base, runs in GROUPS:
        base_top1 = None
        for position, (name, config) in enumerate(runs):
            if names and name not in names:
                continue
            method = 'base (upstream)' if position == 0 else METHOD[name.split('-')[0]]
            results = read_knn(osp.join(root, name), epochs)
            if results is None:
                rows.append((base, method, config, 'not run', '', ''))
                continue
            top1 = results['trained']['top1']
            if position == 0:
                base_top1 = top1
            init = results.get('random_init', {}).get('top1')
            delta = '' if position == 0 or base_top1 is None else f'{top1 - base_top1:+.2f}'
            rows.append((base, method, config, f'{top1:.2f}', delta, '' if init is None else f'{init:.2f}'))
    return rows


def table(rows: list, args, command: str) -> str:
    lines = [
        '# Self-supervised mixtures on the embedded digits',
        '',
        'kNN top-1 (%, k = 20, T = 0.07, weighted vote; digits val split, 360 images) of the backbone after '
        f'{args.epochs} epoch(s) of self-supervised training on the digits train split '
        f'({args.num_images or "all 1,437"} images, {args.image_size} px; the same images are the kNN bank), '
        'CIFAR ResNet-18, batch 64, one CPU process, seed 0 for every run. Each variant uses its base '
        'method\'s config (same data, schedule, seed and hence initial weights) with the mixture added: '
        'Un-Mix (P = 0.5, lam ~ Beta(1, 1)), BSIM (CutMix, lam ~ Beta(1, 1), j = N-1-i), WBSIM '
        '(0.5 L_BSIM + 0.5 L_base). The runs are short CPU runs: differences of a point or two are within '
        'run-to-run noise and say nothing about the ImageNet results of the papers.',
        '',
        'Reproduce (15 runs; rows already finished in the work dir are reused):',
        '',
        '```',
        command,
        '```',
        '',
        '| base | method | config | kNN top-1 | vs. base | random init |',
        '|---|---|---|---:|---:|---:|',
    ]
    for base, method, config, top1, delta, init in rows:
        lines.append(f'| {base} | {method} | `{config}` | {top1} | {delta} | {init} |')
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--work-dir', default='work_dirs/results_ssl')
    parser.add_argument('--out', default='docs/results_ssl.md')
    parser.add_argument('--image-size', type=int, default=32, help='training crop and kNN image size (px)')
    parser.add_argument('--num-images', type=int, default=0,
                        help='use the first N train images for training and as the kNN bank (0: all 1,437)')
    parser.add_argument('--only', nargs='+', help='row names to run (default: all)')
    args = parser.parse_args()
    if args.epochs < 1:
        raise ValueError(f'--epochs must be >= 1, got {args.epochs}')
    command = shlex.join(['python', 'tools/make_results_ssl.py', '--epochs', str(args.epochs), '--image-size',
                          str(args.image_size), '--num-images', str(args.num_images)])
    settings = f'e{args.epochs}-px{args.image_size}-n{args.num_images}'
    root, out = osp.join(REPO, args.work_dir, settings), osp.join(REPO, args.out)
    for base, runs in GROUPS:
        for position, (name, config) in enumerate(runs):
            if args.only and name not in args.only:
                continue
            work_dir = osp.join(root, name)
            if read_knn(work_dir, args.epochs) is None:
                run(name, config, work_dir, train_options(args.epochs, position == 0, args.image_size,
                                                          args.num_images))
            with open(out, 'w') as f:  # rewritten after every run: an interrupted table shows what is done
                f.write(table(collect_rows(root, args.epochs, args.only), args, command))
    print(f'[results_ssl] wrote {out}')


if __name__ == '__main__':
    main()
