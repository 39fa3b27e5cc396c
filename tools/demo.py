"""The README demo: pretrain on the embedded digits with `mim train mmpretrain`, then show what was learned.

    python tools/demo.py CONFIG [--work-dir work_dirs/demo] [--knn-interval 5] [extra `mim train` args ...]

Trains CONFIG with its kNN monitor (``KNNEvalHook``) evaluating every ``--knn-interval`` epochs, then prints,
side by side, the weighted kNN top-1 on the digits val split of the raw pixels, of the randomly initialised
backbone (BN statistics of the data, and the initial BN buffers) and of the trained backbone, with the margin of
the trained one over the best of the three. It writes ``<work_dir>/curves.png`` (the logged losses and the kNN
top-1 against the epoch) and, for a mixing method, ``<work_dir>/masks.png`` (the masks of its trained Mixer or of
its fixed mixing policy on val pairs, drawn by ``tools/visualize_mixing.py``) with the masks' mean per-sample
standard deviation (0 for a uniform blend, 0.5 for a binary half/half mask).
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import time
from collections import defaultdict

from mmengine.config import Config

TOOLS = osp.dirname(osp.abspath(__file__))


def knn_hook_index(cfg) -> int:
    """Position of the ``KNNEvalHook`` in ``cfg.custom_hooks``."""
    from mixplugins.evaluation.results import knn_hook_indices
    indices = knn_hook_indices(cfg)
    if indices:
        return indices[0]
    raise KeyError('the demo needs a config with a KNNEvalHook in custom_hooks (every self-supervised digits '
                   'config has one)')


def epoch_losses(work_dir: str) -> dict:
    """``{loss name: [mean over the iterations of epoch 1, 2, ...]}`` from MMEngine's ``scalars.json``."""
    from mixplugins.evaluation.results import read_scalars
    sums = defaultdict(lambda: defaultdict(list))
    for record in read_scalars(work_dir):
        for key, value in record.items():
            if key.startswith('loss') and 'epoch' in record:
                sums[key][record['epoch']].append(value)
    return {key: [sum(v) / len(v) for _, v in sorted(by_epoch.items())] for key, by_epoch in sums.items()}


def knn_curve(results: dict) -> tuple:
    """``(epochs, top1)`` of the kNN monitor: random init at epoch 0, every ``epoch_<e>``, the trained model."""
    points = {0: results['random_init']['top1']} if 'random_init' in results else {}
    points.update({r['epoch']: r['top1'] for tag, r in results.items() if tag.startswith('epoch_')})
    points[results['trained']['epoch']] = results['trained']['top1']
    epochs = sorted(points)
    return epochs, [points[e] for e in epochs]


def draw_curves(losses: dict, knn: tuple, baselines: dict, title: str, out: str) -> None:
    """Two panels against the epoch: the logged losses, and the kNN top-1 with the baselines as lines."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (ax_loss, ax_knn) = plt.subplots(1, 2, figsize=(10, 3.6))
    for key, values in sorted(losses.items()):
        ax_loss.plot(range(1, len(values) + 1), values, label=key)
    ax_loss.set(xlabel='epoch', ylabel='mean training loss', title='losses')
    ax_loss.legend(fontsize=8)
    ax_knn.plot(*knn, marker='o', ms=3, color='C3', label='trained backbone')
    for (label, value), style in zip(baselines.items(), ('--', ':', '-.')):
        ax_knn.axhline(value, ls=style, color='grey', lw=1)
        ax_knn.text(0, value, f' {label} {value:.1f}', va='bottom', fontsize=7, color='dimgray')
    ax_knn.set(xlabel='epoch', ylabel='kNN top-1 on val (%)', title='weighted kNN (k=20, T=0.07)')
    ax_knn.legend(fontsize=8, loc='lower right')
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def draw_masks(config: str, work_dir: str, cfg) -> float:
    """Draw the masks of the model's mixing to ``<work_dir>/masks.png``: the trained Mixer (SAMix, from the last
    checkpoint) or the fixed policy (``model.mix_policy``: Un-Mix, BSIM); returns their mean per-sample std."""
    sys.path.insert(0, TOOLS)
    import visualize_mixing
    if cfg.model.get('mixer'):
        with open(osp.join(work_dir, 'last_checkpoint')) as f:
            source = ['--mixer-checkpoint', f.read().strip()]
    else:
        source = ['--policy', repr(cfg.model.mix_policy.to_dict())]
    rows = visualize_mixing.main([*source, '--config', config, '--num-pairs', '8',
                                  '--out', osp.join(work_dir, 'masks.png')])
    return visualize_mixing.mask_spread(rows[0].mask)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--knn-interval', type=int, default=5, help='kNN monitor every N epochs (the curve)')
    args, extra = parser.parse_known_args()
    if args.knn_interval < 1:
        raise ValueError(f'--knn-interval must be >= 1, got {args.knn_interval}')
    cfg = Config.fromfile(args.config)
    hook = knn_hook_index(cfg)

    mim = osp.join(osp.dirname(sys.executable), 'mim')
    cmd = [mim, 'train', 'mmpretrain', args.config, '--work-dir', args.work_dir, *extra,
           '--cfg-options', f'custom_hooks.{hook}.interval={args.knn_interval}']
    print('[demo] ' + ' '.join(cmd), flush=True)
    start = time.time()
    subprocess.run(cmd, check=True)
    minutes = (time.time() - start) / 60

    from mixplugins.evaluation.protocol import evaluate_pixels
    with open(osp.join(args.work_dir, 'knn.json')) as f:
        knn = json.load(f)
    res = knn['results']
    baselines = {'raw pixels': evaluate_pixels(cfg)['pixel_knn_top1'],
                 'random init (BN of the data)': res['random_init']['top1'],
                 'random init (initial BN buffers)': res['random_init_default_bn']['top1']}
    trained = res['trained']['top1']
    best = max(baselines, key=baselines.get)
    losses = epoch_losses(args.work_dir)

    name = osp.basename(args.config)
    print(f"\n[demo] {name}: {cfg.train_cfg.max_epochs} epochs in {minutes:.1f} min (training, kNN monitor "
          f"included); weighted kNN top-1 on the {359} val digits (k={knn['k']}, T={knn['temperature']}, cosine)")
    for label, value in baselines.items():
        print(f'[demo]   {label:<34s} {value:6.2f}%')
    print(f"[demo]   {'trained backbone':<34s} {trained:6.2f}%  ({trained - baselines[best]:+.2f} points over "
          f'{best})')
    for key, values in sorted(losses.items()):
        print(f'[demo]   {key}: {values[0]:.3f} (epoch 1) -> {values[-1]:.3f} (epoch {len(values)})')
    curves = osp.join(args.work_dir, 'curves.png')
    draw_curves(losses, knn_curve(res), baselines, f'{name} on the embedded digits', curves)
    print(f'[demo] learning curves: {curves}')
    if cfg.model.get('mixer') or cfg.model.get('mix_policy'):
        spread = draw_masks(args.config, args.work_dir, cfg)
        what = 'the trained Mixer' if cfg.model.get('mixer') else f"the mixing policy ({cfg.model.mix_policy.type})"
        print(f"[demo] masks of {what}: {osp.join(args.work_dir, 'masks.png')} (mean per-sample std "
              f'{spread:.3f}; a uniform blend has 0, a binary half/half mask 0.5)')
    print(f'[demo] logs, checkpoints and knn.json are in {args.work_dir}')


if __name__ == '__main__':
    main()
