"""Real runs on the embedded digits for docs/results_samix.md: SSL kNN top-1 (MoCo v2 vs SAMix-I vs SAMix-C)
and supervised top-1 (vanilla vs Mixup vs AutoMix vs SAMix), all with the same epochs, image size, batch and
seed.

    python tools/make_results_samix.py [--epochs 1] [--image-size 16] [--batch-size 32] [--seed 0]
        [--threads 1] [--work-dir work_dirs/results_samix] [--out docs/results_samix.md]

Every run is ``tools/train.py CONFIG --cfg-options ...`` on the shipped CPU config, shrunk by the same
overrides (epochs, cosine length, image size, batch size, seed). SSL runs are scored by their ``KNNEvalHook``
(k = 20, T = 0.07, digits val split, features of the trained backbone); supervised runs by the final val
top-1 (the EMA model for AutoMix / SAMix, as they evaluate by default). After the SAMix-I run its Mixer is
exported to ``work_dirs/pretrained_mixers/samix-i_r18-cifar_digits_mixer.pth`` (the SAMix^P digits config
uses it). Results, settings, per-run wall time and this command are written to ``--out``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from datetime import datetime, timezone

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIXER_FILE = 'work_dirs/pretrained_mixers/samix-i_r18-cifar_digits_mixer.pth'

SSL_RUNS = [
    ('MoCo v2', 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py'),
    ('MoCo v2 + SAMix-I', 'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-8e_digits.py'),
    ('MoCo v2 + SAMix-C', 'configs/samix/samix-c_resnet18-cifar_1xb64-coslr-8e_digits.py'),
]
SL_RUNS = [
    ('Vanilla', 'configs/samix/resnet18-cifar_1xb64-coslr-8e_digits.py'),
    ('Mixup (alpha 1)', 'configs/samix/mixup_resnet18-cifar_1xb64-coslr-8e_digits.py'),
    ('AutoMix', 'configs/automix/automix_resnet18-cifar_1xb64-coslr-8e_digits.py'),
    ('SAMix', 'configs/samix/samix_resnet18-cifar_1xb64-coslr-8e_digits.py'),
]


def overrides(kind: str, args) -> dict:
    """The shared shrinking overrides of one run (``kind`` 'ssl' or 'sl')."""
    size, epochs = args.image_size, args.epochs
    opts = {
        'train_cfg.max_epochs': epochs,
        'train_dataloader.batch_size': args.batch_size,
        'train_dataloader.num_workers': 0,
        'train_dataloader.dataset.image_size': size,
        'randomness.seed': args.seed,
        'default_hooks.logger.interval': 10,
        'default_hooks.checkpoint.max_keep_ckpts': 1,
    }
    if kind == 'ssl':
        opts.update({
            'param_scheduler.0.T_max': epochs, 'param_scheduler.0.end': epochs,
            'train_dataloader.dataset.pipeline.0.transforms.0.0.scale': size,
            'custom_hooks.0.train_dataloader.dataset.image_size': size,
            'custom_hooks.0.val_dataloader.dataset.image_size': size,
        })
    else:
        opts.update({
            'param_scheduler.T_max': epochs, 'param_scheduler.end': epochs,
            'train_dataloader.dataset.pipeline.0.crop_size': size,
            'val_dataloader.dataset.image_size': size,
            'test_dataloader.dataset.image_size': size,
            'train_cfg.val_interval': epochs,
        })
    return opts


def run_env(args) -> dict:
    """Environment of the training subprocesses: the repo on the path, ``--threads`` OpenMP threads."""
    return {**os.environ, 'PYTHONPATH': REPO, 'OMP_NUM_THREADS': str(args.threads)}


def run(name: str, config: str, kind: str, args) -> dict:
    work_dir = osp.join(args.work_dir, osp.splitext(osp.basename(config))[0])
    opts = overrides(kind, args)
    if 'samix-c' in config:  # two centroid updates per epoch
        opts['model.clustering.update_interval'] = max(1, 1438 // args.batch_size // 2)
    cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work_dir, '--cfg-options']
    cmd += [f'{k}={v}' for k, v in opts.items()]
    print(f'[results] {name}: ' + ' '.join(cmd[1:]), flush=True)
    start = time.time()
    with open(osp.join(REPO, args.work_dir, osp.basename(work_dir) + '.log'), 'w') as log:
        subprocess.run(cmd, cwd=REPO, check=True, stdout=log, stderr=subprocess.STDOUT, env=run_env(args))
    result = dict(name=name, config=config, kind=kind, minutes=(time.time() - start) / 60, work_dir=work_dir)
    if kind == 'ssl':
        with open(osp.join(REPO, work_dir, 'knn.json')) as f:
            knn = json.load(f)['results']
        result.update(random_init=knn['random_init']['top1'], top1=knn['trained']['top1'])
    else:
        result['top1'] = last_val_top1(osp.join(REPO, work_dir))
    print(f"[results] {name}: top-1 {result['top1']:.2f} ({result['minutes']:.1f} min)", flush=True)
    return result


def last_val_top1(work_dir: str) -> float:
    """Final ``accuracy/top1`` in the run's ``vis_data/scalars.json``."""
    top1 = None
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'accuracy/top1' in record:
                    top1 = record['accuracy/top1']
    if top1 is None:
        raise RuntimeError(f'no accuracy/top1 in {work_dir}/*/vis_data/scalars.json')
    return top1


def export_mixer(result: dict, args) -> None:
    checkpoint = osp.join(REPO, result['work_dir'], f'epoch_{args.epochs}.pth')
    cmd = [sys.executable, 'tools/model_converters/export_mixer.py', checkpoint, MIXER_FILE]
    subprocess.run(cmd, cwd=REPO, check=True, env={**os.environ, 'PYTHONPATH': REPO})


def write_markdown(results, args, command: str, started: str) -> None:
    ssl = [r for r in results if r['kind'] == 'ssl']
    sl = [r for r in results if r['kind'] == 'sl']
    lines = [
        '# SAMix / AutoMix results on the embedded digits',
        '',
        'Generated by `tools/make_results_samix.py` from real CPU runs (no hand-edited figures). '
        'Scikit-learn digits (1,438 train / 359 val), rendered at '
        f'{args.image_size} px; ResNet_CIFAR-18; {args.epochs} epochs, batch {args.batch_size}, '
        f'seed {args.seed} for every run; the shipped CPU configs with only these settings overridden (the '
        'cosine schedule follows the epochs). One seed, tiny budget: differences of a point or two are '
        'within run-to-run noise and say nothing about the papers\' ImageNet-scale claims.',
        '',
        f'Command: `{command}`  ',
        f'Started {started}, finished {datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}.',
        '',
        '## Self-supervised (kNN top-1 on the val split, k = 20, T = 0.07, backbone features)',
        '',
        '| method | config | kNN top-1, random init | kNN top-1, trained | wall time (min) |',
        '|---|---|---|---|---|',
    ]
    lines += [f"| {r['name']} | `{r['config']}` | {r['random_init']:.2f} | {r['top1']:.2f} | "
              f"{r['minutes']:.1f} |" for r in ssl]
    lines += [
        '',
        '## Supervised (val top-1; AutoMix and SAMix evaluate their EMA model)',
        '',
        '| method | config | top-1 | wall time (min) |',
        '|---|---|---|---|',
    ]
    lines += [f"| {r['name']} | `{r['config']}` | {r['top1']:.2f} | {r['minutes']:.1f} |" for r in sl]
    lines += ['', f'The SAMix-I Mixer of this run was exported to `{MIXER_FILE}` (SAMix^P digits config).', '']
    with open(osp.join(REPO, args.out), 'w') as f:
        f.write('\n'.join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=1)
    parser.add_argument('--image-size', type=int, default=16)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=1,
                        help='OpenMP threads per run (1: robust on a shared machine)')
    parser.add_argument('--work-dir', default='work_dirs/results_samix')
    parser.add_argument('--out', default='docs/results_samix.md')
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.image_size < 8 or args.batch_size < 2:
        raise ValueError('--epochs must be >= 1, --image-size >= 8 and --batch-size >= 2, got '
                         f'{args.epochs}, {args.image_size}, {args.batch_size}')
    command = 'python tools/make_results_samix.py ' + ' '.join(sys.argv[1:] if argv is None else argv)
    started = datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    os.makedirs(osp.join(REPO, args.work_dir), exist_ok=True)
    results = []
    for name, config in SSL_RUNS:
        results.append(run(name, config, 'ssl', args))
        if 'samix-i' in config:
            export_mixer(results[-1], args)
    for name, config in SL_RUNS:
        results.append(run(name, config, 'sl', args))
    write_markdown(results, args, command.strip(), started)
    print(f'[results] written to {args.out}')


if __name__ == '__main__':
    main()
