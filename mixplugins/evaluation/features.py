"""Frozen backbones and their pooled features, for every evaluation: the normalisation of a config, its backbone
built as training builds it and loaded (checked) from a checkpoint, frozen, and average-pooled stage outputs
(used by ``KNNEvalHook``, the results tables and the VOC07 SVM tool).

For the results tables: the features of the embedded digits from raw pixels, a randomly initialised backbone
(under both BN definitions) and a trained backbone loaded from a checkpoint. Everything runs on the CPU."""
import logging
import math
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from ..utils.checkpoint import CONFIG_KEYS, check_backbone_checkpoint

#: Images per forward pass (and per BN-calibration batch: the batch size of the digits kNN monitor's loader).
BATCH = 256


def normalisation(mean, std) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per-channel ``mean`` / ``std`` sequences as ``1 x C x 1 x 1`` float tensors, for ``(x - mean) / std``."""
    return (torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1),
            torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))


def preprocessor_mean_std(cfg) -> tuple:
    """``(mean, std)`` of the data preprocessor of ``cfg`` (``model.data_preprocessor`` or the top-level
    ``data_preprocessor``): the per-channel ``(x - mean) / std`` the model sees."""
    preprocessor = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor')
    if not preprocessor or 'mean' not in preprocessor or 'std' not in preprocessor:
        raise KeyError('the config needs data_preprocessor (or model.data_preprocessor) with mean and std')
    return preprocessor['mean'], preprocessor['std']


def digits_images(split: str, mean, std, image_size: int = 32, digit_scale=(0.6, 0.9)) -> tuple:
    """``(images, labels)`` of the DigitsDataset ``split`` without augmentation: ``images`` is the
    ``N x 3 x H x W`` float tensor ``(x - mean) / std`` (per channel), ``labels`` the ``N`` class indices."""
    from mixplugins.datasets.digits import DigitsDataset
    data = DigitsDataset(split=split, image_size=image_size, digit_scale=digit_scale, test_mode=True)
    items = [data.get_data_info(i) for i in range(len(data))]
    images = torch.stack([torch.from_numpy(item['img']).permute(2, 0, 1) for item in items]).float()
    mean, std = normalisation(mean, std)
    return (images - mean) / std, torch.tensor([item['gt_label'] for item in items])


def config_images(cfg, split: str) -> tuple:
    """:func:`digits_images` with the settings of a pretraining config: the mean / std of its data
    preprocessor, the ``image_size`` / ``digit_scale`` of its train dataset (a ``DigitsDataset``)."""
    dataset = cfg.train_dataloader.dataset
    if dataset.get('type') != 'DigitsDataset':
        raise ValueError(f"the results tables need a DigitsDataset train dataset, got {dataset.get('type')!r}")
    settings = {key: dataset[key] for key in ('image_size', 'digit_scale') if key in dataset}
    return digits_images(split, *preprocessor_mean_std(cfg), **settings)


def build_backbone(cfg, out_indices: Optional[Sequence[int]] = None):
    """The backbone of ``cfg.model``, built as training builds it (a ``Pretrained`` init_cfg is dropped),
    with the stage outputs ``out_indices`` (default: the config's), weights not yet initialised, in eval
    mode."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    backbone_cfg = cfg.model.backbone.copy()
    if (backbone_cfg.get('init_cfg') or {}).get('type') == 'Pretrained':
        backbone_cfg['init_cfg'] = None
    if out_indices is not None:
        backbone_cfg['out_indices'] = tuple(out_indices)
    backbone = MODELS.build(backbone_cfg)
    backbone.eval()  # not chained: mmpretrain's ResNet.train() returns None
    return backbone


def load_backbone(cfg, checkpoint: str, prefix: Optional[str] = 'backbone.', keys=CONFIG_KEYS,
                  out_indices: Optional[Sequence[int]] = None):
    """The frozen backbone of ``cfg`` (:func:`build_backbone`) with the weights of ``checkpoint`` under
    ``prefix`` (None: an extracted backbone), checked (every tensor present, none left over:
    ``check_backbone_checkpoint``, errors naming ``keys``) and loaded strictly; no gradients, eval mode."""
    backbone = build_backbone(cfg, out_indices)
    backbone.load_state_dict(check_backbone_checkpoint(backbone, checkpoint, prefix, keys), strict=True)
    backbone.requires_grad_(False)
    return backbone


def random_init_backbone(cfg, seed: int):
    """The backbone of ``cfg`` initialised by its own ``init_weights()`` after ``torch.manual_seed(seed)``,
    with the initial BN buffers (mean 0, var 1), in eval mode (MMEngine's per-tensor init log is muted)."""
    from mmengine.logging import MMLogger
    torch.manual_seed(seed)
    backbone = build_backbone(cfg)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        backbone.init_weights()
    finally:
        logger.setLevel(level)
    backbone.eval()
    return backbone


def pooled(feats: torch.Tensor, size: int = 1) -> torch.Tensor:
    """A stage output ``N x C x H x W`` average-pooled to ``size x size`` and flattened to ``N x (C size^2)``;
    an ``N x C`` output (already pooled) is returned as is."""
    return F.adaptive_avg_pool2d(feats, size).flatten(1) if feats.dim() == 4 else feats


@torch.no_grad()
def backbone_features(backbone, images: torch.Tensor, batch: int = BATCH) -> torch.Tensor:
    """Globally average-pooled last-stage features ``N x C`` of ``images`` (eval mode, no gradients)."""
    backbone.eval()
    return torch.cat([pooled(backbone(chunk)[-1]) for chunk in images.split(batch)])


def random_init_features(cfg, seed: int, train_images, val_images) -> dict:
    """Features ``(train, val)`` of the seeded random-init backbone under both BN definitions: ``'data'``, BN
    statistics estimated on ``train_images`` (``calibrate_batchnorm``; weights unchanged), and ``'default'``,
    the initial buffers mean 0 / var 1 (each BN layer the identity in eval mode; see ``KNNEvalHook``)."""
    from .batchnorm import calibrate_batchnorm
    default = random_init_backbone(cfg, seed)
    data = calibrate_batchnorm(default, train_images.split(BATCH))
    return {name: (backbone_features(backbone, train_images), backbone_features(backbone, val_images))
            for name, backbone in (('data', data), ('default', default))}


def effective_rank(features: torch.Tensor) -> tuple:
    """``(erank, top5)`` of ``N x C`` features. With ``s_k`` the singular values of the centred features
    ``F - mean(F)`` and ``p_k = s_k^2 / sum_l s_l^2`` (the share of variance along the k-th principal axis),
    ``erank = exp(-sum_k p_k ln p_k)``: 1 for one direction, ``min(N, C)`` for equal shares. It is the effective
    rank of O. Roy and M. Vetterli ("The effective rank: a measure of effective dimensionality", EUSIPCO 2007;
    no arXiv id) of the covariance matrix, whose singular values are the ``s_k^2``; a low value is the partial
    dimensional collapse of small non-contrastive models (A. C. Li et al., "Understanding Collapse in
    Non-Contrastive Siamese Representation Learning", 2022, arXiv:2209.15007). ``top5 = sum_{k<=5} p_k``."""
    centred = features.double() - features.double().mean(0)
    variance = torch.linalg.svdvals(centred)**2
    if variance.sum() <= 0:
        raise ValueError('effective_rank: the features do not vary (all rows equal)')
    p = variance / variance.sum()
    p = p[p > 0]
    return math.exp(-(p * p.log()).sum().item()), p[:5].sum().item()


def offset_share(features: torch.Tensor) -> float:
    """The share of the features' mean in their second moment, ``||mean_i f_i||^2 / mean_i ||f_i||^2``, in [0, 1]:
    1 when every row is the same vector, 0 for centred features. A cosine kNN sees the common offset ``mean_i f_i``;
    a projector that opens with ``Linear -> BN`` (BYOL, SimSiam, SimCLR) does not, since BN removes it in training
    mode."""
    features = features.double()
    second_moment = features.pow(2).sum(1).mean()
    if second_moment <= 0:
        raise ValueError('offset_share: the features are all zero')
    return (features.mean(0).pow(2).sum() / second_moment).item()


def pixel_features(images: torch.Tensor) -> torch.Tensor:
    """The (normalised) pixels of ``N`` images as ``N x (3 H W)`` features."""
    return images.flatten(1)
