"""Extract frozen, pooled backbone features of a VOC-format folder for the VOC07 SVM benchmarks.

The backbone is ``model.backbone`` of CONFIG (any mmpretrain / mixplugins config, e.g. a linear-probe config) loaded
strictly from CHECKPOINT (a full mixplugins checkpoint with ``--prefix backbone.``, the default, or an extracted
backbone with ``--prefix None``). For each image (RGB, shorter side resized to ``--resize``, centre crop ``--crop``,
normalised with the config's data_preprocessor mean/std) the output of each ``--layers`` stage (res2..res5 = ResNet
stages 1..4; the paper uses res4: BSIM, Chu et al., "A Unified Mixture-View Framework for Unsupervised Representation
Learning", 2022, arXiv:2011.13356, supplementary sec. 3.2) is average-pooled to ``--pool-size`` x ``--pool-size`` and
flattened.

Writes to WORK_DIR: ``<split>_<layer>.npy`` (N x D float32), ``<split>_labels.npy`` (N x C in {1, 0, -1}, see
voc_data.py) and ``meta.json`` (classes, settings).

Usage: python tools/benchmarks/classification/svm_voc07/extract_features.py \
           CONFIG CHECKPOINT VOC_ROOT WORK_DIR [--prefix backbone.] [--layers res4 res5] \
           [--splits trainval test] [--resize 256 --crop 224] [--pool-size 1]
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import Config
from PIL import Image

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..', '..')))
from mixplugins.evaluation.features import (load_backbone, normalisation, pooled,  # noqa: E402
                                            preprocessor_mean_std)
from voc_data import discover_classes, read_labels  # noqa: E402

LAYER_STAGES = {'res2': 0, 'res3': 1, 'res4': 2, 'res5': 3}


def build_frozen_backbone(cfg: Config, checkpoint: str, prefix, layers):
    """``cfg.model.backbone`` with the stages of ``layers`` as outputs, weights checked and loaded, frozen, in
    eval mode (:func:`mixplugins.evaluation.features.load_backbone`)."""
    unknown = [layer for layer in layers if layer not in LAYER_STAGES]
    if unknown or not layers:
        raise ValueError(f'--layers must be a non-empty subset of {list(LAYER_STAGES)}, got {layers}')
    return load_backbone(cfg, checkpoint, prefix, keys=('CHECKPOINT', '--prefix'),
                         out_indices=sorted(LAYER_STAGES[layer] for layer in layers))


def load_image(path: str, resize: int, crop: int) -> torch.Tensor:
    """3 x crop x crop float tensor (0-255, RGB): shorter side resized to ``resize`` (bilinear), centre
    crop."""
    img = Image.open(path).convert('RGB')
    scale = resize / min(img.size)
    img = img.resize((max(crop, round(img.width * scale)), max(crop, round(img.height * scale))),
                     Image.BILINEAR)
    left, top = (img.width - crop) // 2, (img.height - crop) // 2
    img = img.crop((left, top, left + crop, top + crop))
    return torch.from_numpy(np.asarray(img, dtype=np.float32).copy()).permute(2, 0, 1)


@torch.no_grad()
def extract(backbone, paths, layers, mean, std, resize=256, crop=224, pool_size=1, batch_size=32) -> dict:
    """``{layer: N x (C_layer * pool_size^2) float32 array}`` of the images at ``paths``, in order."""
    stage_order = sorted(layers, key=LAYER_STAGES.get)
    feats = {layer: [] for layer in layers}
    for start in range(0, len(paths), batch_size):
        batch = torch.stack([load_image(p, resize, crop) for p in paths[start:start + batch_size]])
        outputs = backbone((batch - mean) / std)
        for layer, out in zip(stage_order, outputs):
            feats[layer].append(pooled(out, pool_size).numpy())
    return {layer: np.concatenate(chunks).astype(np.float32) for layer, chunks in feats.items()}


def extract_voc_features(config,
                         checkpoint,
                         voc_root,
                         work_dir,
                         prefix='backbone.',
                         layers=('res4', 'res5'),
                         splits=('trainval', 'test'),
                         classes=None,
                         resize=256,
                         crop=224,
                         pool_size=1,
                         batch_size=32) -> dict:
    """Write the features and labels of ``splits`` to ``work_dir`` (module docstring); returns the meta
    dict."""
    cfg = config if isinstance(config, Config) else Config.fromfile(config)
    if pool_size < 1:
        raise ValueError(f'--pool-size must be >= 1, got {pool_size}')
    if not 0 < crop <= resize:
        raise ValueError(f'--crop must be in (0, --resize={resize}], got {crop}')
    classes = tuple(classes) if classes else discover_classes(voc_root, splits[0])
    backbone = build_frozen_backbone(cfg, checkpoint, prefix, list(layers))
    mean, std = normalisation(*preprocessor_mean_std(cfg))
    os.makedirs(work_dir, exist_ok=True)
    counts = {}
    for split in splits:
        paths, labels = read_labels(voc_root, split, classes)
        feats = extract(backbone, paths, layers, mean, std, resize, crop, pool_size, batch_size)
        np.save(osp.join(work_dir, f'{split}_labels.npy'), labels)
        for layer, layer_feats in feats.items():
            np.save(osp.join(work_dir, f'{split}_{layer}.npy'), layer_feats)
        counts[split] = len(paths)
    meta = dict(classes=list(classes),
                layers=list(layers),
                splits=counts,
                checkpoint=checkpoint,
                prefix=prefix,
                voc_root=voc_root,
                resize=resize,
                crop=crop,
                pool_size=pool_size)
    with open(osp.join(work_dir, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=2)
    return meta


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract frozen pooled features of a VOC-format folder.')
    parser.add_argument('config', help='config whose model.backbone (and data_preprocessor) are used')
    parser.add_argument('checkpoint', help='full mixplugins checkpoint or extracted backbone')
    parser.add_argument('voc_root', help='VOC-format folder, e.g. data/VOCdevkit/VOC2007')
    parser.add_argument('work_dir', help='output folder for the .npy features')
    parser.add_argument('--prefix',
                        default='backbone.',
                        help="key prefix of the backbone in the checkpoint; 'None' for an extracted backbone")
    parser.add_argument('--layers', nargs='+', default=['res4', 'res5'], choices=list(LAYER_STAGES))
    parser.add_argument('--splits', nargs='+', default=['trainval', 'test'])
    parser.add_argument('--classes', nargs='+', help='class names (default: all classes of the first split)')
    parser.add_argument('--resize', type=int, default=256)
    parser.add_argument('--crop', type=int, default=224)
    parser.add_argument('--pool-size', type=int, default=1)
    parser.add_argument('--batch-size', type=int, default=32)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    meta = extract_voc_features(args.config, args.checkpoint, args.voc_root, args.work_dir,
                                None if args.prefix == 'None' else args.prefix, args.layers, args.splits,
                                args.classes, args.resize, args.crop, args.pool_size, args.batch_size)
    print(f"features of {meta['splits']} ({', '.join(meta['layers'])}) written to {args.work_dir}")


if __name__ == '__main__':
    main()
