"""The evaluations of the results tables, each on the train / val digits of a pretraining config: a trained
checkpoint, the seeded random-init backbone (both BN definitions) and the raw pixels. Each returns its top-1 (%)
under the results.json metric names. ``backbone_effective_rank`` measures a loaded backbone's val features instead,
and ``backbone_knn_checks`` its kNN under other readings (``tools/feature_rank.py``)."""
from .batchnorm import calibrate_batchnorm
from .features import (BATCH, backbone_features, config_images, effective_rank, load_backbone, offset_share,
                       pixel_features, random_init_features)
from .probes import knn_probe_top1, probe_top1


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


def backbone_effective_rank(cfg, backbone) -> dict:
    """``{'effective_rank', 'top5_variance_share', 'channels'}`` of the val features of ``backbone`` (of ``cfg``,
    loaded with :func:`~.features.load_backbone`): :func:`~.features.effective_rank`, and the feature width."""
    val, _ = config_images(cfg, 'val')
    features = backbone_features(backbone, val)
    erank, top5 = effective_rank(features)
    return {'effective_rank': erank, 'top5_variance_share': top5, 'channels': features.shape[1]}


def backbone_knn_checks(cfg, backbone) -> dict:
    """The kNN top-1 of ``backbone`` (of ``cfg``, loaded with :func:`~.features.load_backbone`) as the tables
    measure it (``knn_top1``: the stored BN statistics) beside two other readings of the same weights:
    ``knn_top1_data_bn``, BN statistics re-estimated on the clean train digits
    (:func:`~.batchnorm.calibrate_batchnorm`, the random-init baseline's ``data`` definition), and
    ``knn_top1_centred``, the features minus the mean of the train features; with the ``offset_share``
    (:func:`~.features.offset_share`) of the train features. A diagnostic, not a metric of the tables."""
    (train, train_labels), (val, val_labels) = config_images(cfg, 'train'), config_images(cfg, 'val')
    train_feats, val_feats = backbone_features(backbone, train), backbone_features(backbone, val)
    data_bn = calibrate_batchnorm(backbone, train.split(BATCH))
    mean = train_feats.mean(0)
    return dict(knn_top1=knn_probe_top1(train_feats, train_labels, val_feats, val_labels),
                knn_top1_data_bn=knn_probe_top1(backbone_features(data_bn, train), train_labels,
                                                backbone_features(data_bn, val), val_labels),
                knn_top1_centred=knn_probe_top1(train_feats - mean, train_labels, val_feats - mean, val_labels),
                offset_share=offset_share(train_feats))
