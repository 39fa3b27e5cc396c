"""Draw a PNG grid of mixed samples: source pairs, then for every policy its mixed images and masks.

Examples::

    python tools/visualize_mixing.py --out docs/mixing_grid.png
    python tools/visualize_mixing.py --policy "dict(type='CutMixPolicy', alpha=1.0)" \
        --policy "[dict(type='MixupPolicy', alpha=0.2), dict(type='FMixPolicy')]" --num-pairs 8 --out grid.png
    python tools/visualize_mixing.py --mixer-checkpoint work_dirs/samix/mixer.pth --config CFG --out grid.png

Each column is one pair ``(x_i, x_j)`` mixed as a batch of two, so every column draws its own ``lam``; the
mask row shows the weight of ``x_i`` (white = ``x_i``) with the returned (corrected) ``lam`` in the title. The
images come from the ``val_dataloader`` dataset of ``--config`` without its final packing step, or, for configs
without one (self-supervised), from the ``train_dataloader`` dataset with only its loading steps; the default is
the embedded digits.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, NamedTuple, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

DEFAULT_CONFIG = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', '_base_', 'datasets', 'digits_bs64.py')
DEFAULT_POLICIES = [
    dict(type='MixupPolicy', alpha=1.0),
    dict(type='CutMixPolicy', alpha=1.0),
    dict(type='ResizeMixPolicy', alpha=1.0),
    dict(type='FMixPolicy', alpha=1.0),
    dict(type='SaliencyMixPolicy', alpha=1.0),
]
UNTRAINED_MIXER_LABEL = 'SAMixMixer, UNTRAINED\n(random init, random R-18)'


class MixRow(NamedTuple):
    """One policy's results for every pair: ``mixed`` N x 3 x H x W, ``mask`` N x 1 x H x W, ``lam`` N."""
    label: str
    mixed: torch.Tensor
    mask: torch.Tensor
    lam: torch.Tensor


def parse_policy_cfgs(text: str) -> List[dict]:
    """Parse ``--policy``: one ``dict(type=...)`` / ``{'type': ...}`` or a list of them
    (:func:`mixplugins.utils.literals.parse_module_cfgs`)."""
    from mixplugins.utils.literals import parse_module_cfgs
    return parse_module_cfgs(text, '--policy')


def policy_label(cfg: dict) -> str:
    args = ', '.join(f'{k}={v!r}' for k, v in cfg.items() if k != 'type')
    return f"{cfg['type']}({args})"


class DataSource(NamedTuple):
    """Dataset config, BGR -> RGB flag and the model's normalisation (RGB, in [0, 1] units, 3 x 1 x 1)."""
    dataset: dict
    to_rgb: bool
    mean: torch.Tensor
    std: torch.Tensor


def read_data_config(config: Optional[str]) -> DataSource:
    """The ``val_dataloader`` dataset of ``config`` without its ``Pack*`` step (else the ``train_dataloader``
    dataset with only its ``Load*`` steps), and the ``data_preprocessor`` mean / std / ``to_rgb``. ``None``: the embedded ``DigitsDataset(split='val')``."""
    import mixplugins  # noqa: F401  (registers DigitsDataset and the policies)
    from mmengine.config import Config

    if config is None:
        return DataSource(dict(type='DigitsDataset', split='val'), False, torch.zeros(3, 1, 1), torch.ones(3, 1, 1))
    if not osp.isfile(config):
        raise FileNotFoundError(f'--config file not found: {config}')
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader = cfg.get('val_dataloader')
    # a training pipeline (e.g. multi-view SSL crops) is reduced to its loading steps: the grid shows whole images
    keep = (lambda t: not t['type'].startswith('Pack')) if loader else (lambda t: t['type'].startswith('Load'))
    loader = loader or cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        raise KeyError(f'--config {config} has no val_dataloader.dataset or train_dataloader.dataset')
    dataset = loader['dataset'].to_dict() if hasattr(loader['dataset'], 'to_dict') else dict(loader['dataset'])
    dataset['pipeline'] = [t for t in dataset.get('pipeline', []) if keep(t)]
    preprocessor = cfg.get('data_preprocessor') or {}
    mean = torch.tensor(preprocessor.get('mean', [0.0] * 3), dtype=torch.float32).view(-1, 1, 1) / 255
    std = torch.tensor(preprocessor.get('std', [255.0] * 3), dtype=torch.float32).view(-1, 1, 1) / 255
    return DataSource(dataset, bool(preprocessor.get('to_rgb', False)), mean, std)


def load_images(source: DataSource, num_images: int, seed: int) -> torch.Tensor:
    """``num_images`` images (seeded choice) of ``source``, N x 3 x H x W RGB in [0, 1] (resized to the first
    image's size when sizes differ)."""
    from mmpretrain.registry import DATASETS
    dataset = DATASETS.build(source.dataset)
    if len(dataset) < num_images:
        raise ValueError(f'--num-pairs needs {num_images} images, the dataset has {len(dataset)}')
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:num_images]
    images = []
    for idx in order.tolist():
        img = torch.as_tensor(dataset[idx]['img']).permute(2, 0, 1).float() / 255
        img = img.flip(0) if source.to_rgb else img
        if images and img.shape[1:] != images[0].shape[1:]:
            img = F.interpolate(img[None], size=images[0].shape[1:], mode='bilinear', align_corners=False)[0]
        images.append(img)
    return torch.stack(images)


class UntrainedMixerPreview(nn.Module):
    """A randomly initialised SAMixMixer on randomly initialised ResNet-18 stage-3 features, with the policy
    interface ``(x, generator, index, lam) -> MixResult``. Shows the mask pipeline's shapes and lambda
    adjusting only: untrained masks carry no learned semantics."""

    def __init__(self, alpha: float = 2.0):
        super().__init__()
        from mmpretrain.models import ResNet
        from mixplugins.models.mixers import SAMixMixer
        self.alpha = alpha
        self.backbone = ResNet(depth=18)
        self.mixer = SAMixMixer(in_channels=256)

    @torch.no_grad()
    def forward(self, x, generator=None, index=None, lam=None):
        from mixplugins.models.mixing import functional as MF
        from mixplugins.models.utils import stage_features
        index = MF.pair_indices(x.size(0), 'flip', generator, x.device) if index is None else index
        lam = MF.sample_lambda(self.alpha, 1, generator, x.device).expand(x.size(0)) if lam is None else lam
        mask = self.mixer(stage_features(self.backbone, x, 2), lam, index, tuple(x.shape[-2:]))['mask']
        return MF.MixResult(MF.mix_with_mask(x, mask, index), MF.lam_vector(lam, x.size(0), x.device), index, mask)


def build_policies(policy_cfgs: Sequence[dict], mixer_checkpoints: Sequence[str], untrained_mixer: bool):
    """(label, policy) pairs. Policy configs are built with ``build_mix_policy`` (unknown type: KeyError), a
    checkpoint becomes ``dict(type='PretrainedMixerPolicy', checkpoint=...)`` (SAMix^P)."""
    from mixplugins.models.mixing.policies import build_mix_policy
    policies = [(policy_label(cfg), build_mix_policy(cfg)) for cfg in policy_cfgs]
    for checkpoint in mixer_checkpoints:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'--mixer-checkpoint file not found: {checkpoint}')
        policy = build_mix_policy(dict(type='PretrainedMixerPolicy', checkpoint=checkpoint))
        policies.append((f'PretrainedMixerPolicy\n{osp.basename(checkpoint)}', policy))
    if untrained_mixer:
        policies.append((UNTRAINED_MIXER_LABEL, UntrainedMixerPreview()))
    return policies


def mix_pairs(label: str, policy, first: torch.Tensor, second: torch.Tensor, generator: torch.Generator,
              mean: torch.Tensor, std: torch.Tensor) -> MixRow:
    """Mix each pair ``(first[k], second[k])`` as a batch of two (partner index [1, 0]); keep the first.

    Policies see the images normalised as the model sees them, ``(x - mean) / std`` (a learned Mixer needs it);
    the mixed images are mapped back for display (mixing and the per-channel affine map commute).
    """
    if hasattr(policy, 'eval'):
        policy.eval()
    results = [policy((torch.stack([a, b]) - mean) / std, generator=generator, index=torch.tensor([1, 0]))
               for a, b in zip(first, second)]
    return MixRow(label, torch.stack([r.mixed[0] for r in results]) * std + mean,
                  torch.stack([r.mask[0] for r in results]), torch.stack([r.lam[0] for r in results]))


def mask_spread(mask: torch.Tensor) -> float:
    """Mean over samples of the std of each N x 1 x H x W mask's pixels: 0 for a uniform blend (Mixup), 0.5 for a
    binary half/half mask; how much structure a policy's masks have."""
    return float(mask.flatten(1).std(1, unbiased=False).mean())


def draw_grid(first: torch.Tensor, second: torch.Tensor, rows: Sequence[MixRow], out: str) -> None:
    """Rows: x_i, x_j, then per policy its mixed images and its masks (lam in the titles); columns: pairs."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    num_pairs = first.size(0)
    num_rows = 2 + 2 * len(rows)
    fig, axes = plt.subplots(
        num_rows, num_pairs, figsize=(1.3 * num_pairs + 1.6, 1.45 * num_rows), squeeze=False)
    panels = [('x_i', first, None), ('x_j', second, None)]
    for row in rows:
        panels.append((f'{row.label}\nmixed', row.mixed, None))
        panels.append(('mask of x_i', row.mask, row.lam))
    for r, (ylabel, images, lams) in enumerate(panels):
        for c in range(num_pairs):
            ax = axes[r, c]
            img = images[c].detach().clamp(0, 1)
            if img.size(0) == 1:
                ax.imshow(img[0].numpy(), cmap='gray', vmin=0, vmax=1, interpolation='nearest')
            else:
                ax.imshow(img.permute(1, 2, 0).numpy(), interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if lams is not None:
                ax.set_title(f'lam={float(lams[c]):.2f}', fontsize=8, pad=2)
            if c == 0:
                ax.set_ylabel(ylabel, fontsize=7, rotation=0, ha='right', va='center', labelpad=4)
    fig.tight_layout(h_pad=0.4, w_pad=0.2)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--policy',
        action='append',
        default=[],
        help="policy config, e.g. \"dict(type='CutMixPolicy', alpha=1.0)\", or a list of them; "
        'repeatable (default: Mixup, CutMix, ResizeMix, FMix, SaliencyMix)')
    parser.add_argument(
        '--mixer-checkpoint',
        action='append',
        default=[],
        help='trained Mixer checkpoint, shown through PretrainedMixerPolicy (SAMix^P); repeatable')
    parser.add_argument(
        '--untrained-mixer',
        action='store_true',
        help='add a row from a randomly initialised SAMixMixer on random ResNet-18 features')
    parser.add_argument(
        '--config',
        default=None,
        help='dataset config (val_dataloader.dataset is used; default: the embedded digits, '
        f'{osp.relpath(DEFAULT_CONFIG)})')
    parser.add_argument('--num-pairs', type=int, default=6, help='number of pairs (columns)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the image choice, pairing and lambdas')
    parser.add_argument('--out', required=True, help='output PNG')
    return parser.parse_args(argv)


def main(argv=None) -> List[MixRow]:
    args = parse_args(argv)
    if args.num_pairs < 1:
        raise ValueError(f'--num-pairs must be >= 1, got {args.num_pairs}')
    policy_cfgs = [cfg for text in args.policy for cfg in parse_policy_cfgs(text)]
    if not policy_cfgs and not args.mixer_checkpoint:
        policy_cfgs = DEFAULT_POLICIES
    config = args.config if args.config is not None else (DEFAULT_CONFIG if osp.isfile(DEFAULT_CONFIG) else None)
    source = read_data_config(config)
    torch.manual_seed(args.seed)  # initialisation of the untrained mixer preview
    policies = build_policies(policy_cfgs, args.mixer_checkpoint, args.untrained_mixer)
    images = load_images(source, 2 * args.num_pairs, args.seed)
    first, second = images[:args.num_pairs], images[args.num_pairs:]
    generator = torch.Generator().manual_seed(args.seed)
    rows = [
        mix_pairs(label, policy, first, second, generator, source.mean, source.std) for label, policy in policies
    ]
    draw_grid(first, second, rows, args.out)
    print(f'wrote {args.out}: {len(rows)} policies x {args.num_pairs} pairs')
    for row in rows:
        print(f"  {row.label.splitlines()[0]}: mean per-sample mask std {mask_spread(row.mask):.3f} (a uniform blend "
              'has 0, a binary half/half mask 0.5)')
    return rows


if __name__ == '__main__':
    main(sys.argv[1:])
