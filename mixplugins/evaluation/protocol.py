"""The evaluations of the results tables, each on the train / val digits of a pretraining config: a trained
checkpoint, the seeded random-init backbone (both BN definitions) and the raw pixels. Each returns its top-1 (%)
under the results.json metric names; ``checkpoint_effective_rank`` measures a checkpoint's val features instead
(``tools/feature_rank.py``)."""
from .features import (backbone_features, config_images, effective_rank, load_backbone, pixel_features,
                       random_init_features)
from .probes import probe_top1


def evaluate_checkpoint(cfg, checkpoint: str) -> dict:
    """``{'knn_top1', 'linear_top1'}`` of the backbone of ``cfg`` loaded from ``checkpoint`` (prefix
    ``backbone.``)."""
    (train, train_labels), (val, val_labels) = config_images(cfg, 'train'), config_images(cfg, 'val')
    backbone = load_backbone(cfg, checkpoint)
    return probe_top1(backbone_features(backbone, train), train_labels, backbone_features(backbone, val), val_labels)


def evaluate_random_init(cfg, seed: int) -> dict:
    """``random_init[_default_bn]_{knn,linear}_top1`` of the backbone of ``cfg`` initialised with ``seed``, with
    BN statistics of the train digits (``data``) and with the initial BN buffers (``default_bn``)."""
    (train, train_labels), (val, val_labels) = config_images(cfg, 'train'), config_images(cfg, 'val')
    scores = {}
    for bn, (train_feats, val_feats) in random_init_features(cfg, seed, train, val).items():
        prefix = 'random_init_' if bn == 'data' else 'random_init_default_bn_'
        scores.update({prefix + key: value
                       for key, value in probe_top1(train_feats, train_labels, val_feats, val_labels).items()})
    return scores


def evaluate_pixels(cfg) -> dict:
    """``{'pixel_knn_top1', 'pixel_linear_top1'}`` of the pixels normalised as the model sees them (the data
    preprocessor's mean / std). The kNN on them scores 81.1% on the digits, above the 76.3% of per-pixel
    standardised features: the stronger of the two is the baseline."""
    (train, train_labels), (val, val_labels) = config_images(cfg, 'train'), config_images(cfg, 'val')
    scores = probe_top1(pixel_features(train), train_labels, pixel_features(val), val_labels)
    return {'pixel_' + key: value for key, value in scores.items()}


def checkpoint_effective_rank(cfg, checkpoint: str) -> dict:
    """``{'effective_rank', 'top5_variance_share', 'channels'}`` of the val features of the backbone of ``cfg``
    loaded from ``checkpoint`` (prefix ``backbone.``): :func:`~.features.effective_rank`, and the feature width."""
    val, _ = config_images(cfg, 'val')
    features = backbone_features(load_backbone(cfg, checkpoint), val)
    erank, top5 = effective_rank(features)
    return {'effective_rank': erank, 'top5_variance_share': top5, 'channels': features.shape[1]}
