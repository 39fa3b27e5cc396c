"""Frozen features of the embedded digits for the results tables: raw pixels, a randomly initialised backbone
(under both BN definitions) and a trained backbone loaded from a checkpoint. Everything runs on the CPU."""
import logging

import torch
import torch.nn.functional as F

#: Images per forward pass (and per BN-calibration batch: the batch size of the digits kNN monitor's loader).
BATCH = 256


def digits_images(split: str, mean, std, image_size: int = 32, digit_scale=(0.6, 0.9)) -> tuple:
    """``(images, labels)`` of the DigitsDataset ``split`` without augmentation: ``images`` is the
    ``N x 3 x H x W`` float tensor ``(x - mean) / std`` (per channel), ``labels`` the ``N`` class indices."""
    from mixplugins.datasets.digits import DigitsDataset
    data = DigitsDataset(split=split, image_size=image_size, digit_scale=digit_scale, test_mode=True)
    items = [data.get_data_info(i) for i in range(len(data))]
    images = torch.stack([torch.from_numpy(item['img']).permute(2, 0, 1) for item in items]).float()
    mean = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return (images - mean) / std, torch.tensor([item['gt_label'] for item in items])


def config_images(cfg, split: str) -> tuple:
    """:func:`digits_images` with the settings of a pretraining config: the mean / std of its data
    preprocessor, the ``image_size`` / ``digit_scale`` of its train dataset (a ``DigitsDataset``)."""
    dataset = cfg.train_dataloader.dataset
    if dataset.get('type') != 'DigitsDataset':
        raise ValueError(f"the results tables need a DigitsDataset train dataset, got {dataset.get('type')!r}")
    preprocessor = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor')
    settings = {key: dataset[key] for key in ('image_size', 'digit_scale') if key in dataset}
    return digits_images(split, preprocessor['mean'], preprocessor['std'], **settings)


def build_backbone(cfg):
    """The backbone of ``cfg.model``, built as training builds it (a ``Pretrained`` init_cfg is dropped),
    weights not yet initialised, in eval mode."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    backbone_cfg = cfg.model.backbone.copy()
    if (backbone_cfg.get('init_cfg') or {}).get('type') == 'Pretrained':
        backbone_cfg['init_cfg'] = None
    backbone = MODELS.build(backbone_cfg)
    backbone.eval()  # not chained: mmpretrain's ResNet.train() returns None
    return backbone


def load_backbone(cfg, checkpoint: str, prefix='backbone.'):
    """The backbone of ``cfg`` with the weights of ``checkpoint`` under ``prefix`` (checked: every tensor
    present, none left over; ``check_backbone_checkpoint``), in eval mode."""
    from mixplugins.engine.hooks.backbone_checkpoint_hook import check_backbone_checkpoint
    backbone = build_backbone(cfg)
    backbone.load_state_dict(check_backbone_checkpoint(backbone, checkpoint, prefix), strict=True)
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


@torch.no_grad()
def backbone_features(backbone, images: torch.Tensor, batch: int = BATCH) -> torch.Tensor:
    """Globally average-pooled last-stage features ``N x C`` of ``images`` (eval mode, no gradients)."""
    backbone.eval()
    feats = torch.cat([backbone(chunk)[-1] for chunk in images.split(batch)])
    return F.adaptive_avg_pool2d(feats, 1).flatten(1) if feats.dim() == 4 else feats


def random_init_features(cfg, seed: int, train_images, val_images) -> dict:
    """Features ``(train, val)`` of the seeded random-init backbone under both BN definitions: ``'data'``, BN
    statistics estimated on ``train_images`` (``calibrate_batchnorm``; weights unchanged), and ``'default'``,
    the initial buffers mean 0 / var 1 (each BN layer the identity in eval mode; see ``KNNEvalHook``)."""
    from .batchnorm import calibrate_batchnorm
    default = random_init_backbone(cfg, seed)
    data = calibrate_batchnorm(default, train_images.split(BATCH))
    return {name: (backbone_features(backbone, train_images), backbone_features(backbone, val_images))
            for name, backbone in (('data', data), ('default', default))}


def pixel_features(images: torch.Tensor) -> torch.Tensor:
    """The (normalised) pixels of ``N`` images as ``N x (3 H W)`` features."""
    return images.flatten(1)
