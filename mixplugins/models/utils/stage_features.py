"""Stage features of ResNet-family backbones (the Mixer's input, ``docs/methods.md#mixer``)."""
from torch import Tensor


def stage_features(backbone, x: Tensor, stage: int) -> Tensor:
    """Feature map after stage ``stage`` (0-based; the papers' ``l = stage + 1``) of a ResNet-family backbone.

    Runs only the stem and the first ``stage + 1`` residual stages (mmpretrain's ResNet / ResNet_CIFAR /
    ResNeXt iterate ``res_layers`` and return the stages listed in ``out_indices``), so the later stages
    cost nothing.
    """
    res_layers, out_indices = backbone.res_layers, backbone.out_indices
    backbone.res_layers, backbone.out_indices = res_layers[:stage + 1], (stage, )
    try:
        return backbone(x)[0]
    finally:
        backbone.res_layers, backbone.out_indices = res_layers, out_indices


def check_stage_backbone(backbone, stage: int) -> None:
    """Raise ValueError unless ``backbone`` is ResNet-like and has a stage ``stage`` (key ``mixer_stage``)."""
    if not hasattr(backbone, 'res_layers') or not hasattr(backbone, 'out_indices'):
        raise ValueError('mixer_stage needs a ResNet-family backbone (with res_layers / out_indices) to '
                         f'take stage features from, got {type(backbone).__name__}')
    if not isinstance(stage, int) or not 0 <= stage < len(backbone.res_layers):
        raise ValueError(f'mixer_stage must be a 0-based stage index in [0, {len(backbone.res_layers)}) '
                         f'(paper l = 3 is mixer_stage=2), got {stage!r}')
