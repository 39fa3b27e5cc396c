"""Detection modules registered into mmdet's registries (``custom_imports=dict(imports=['mixplugins.det'])``).

Bag of Freebies (Zhang et al., "Bag of Freebies for Training Object Detection Neural Networks", 2019,
arXiv:1902.04103; ``docs/methods.md#bag-of-freebies``): ``VisuallyCoherentMixUp`` + ``PackDetInputsWithWeights``
(transforms), ``WeightedRPNHead`` / ``WeightedStandardRoIHead`` / ``WeightedBBoxHead`` /
``WeightedShared2FCBBoxHead`` (heads), ``LabelSmoothingCrossEntropyLoss`` (losses), ``MixUpSwitchOffHook`` (hooks).
Transfer protocol: ``C4PretrainedCheckHook`` (pretrained weights really reach backbone and shared head).
"""
from .c4_pretrained_check_hook import C4PretrainedCheckHook
from .heads import (PositiveGtWeightSampler, WeightedBBoxHead, WeightedRPNHead, WeightedShared2FCBBoxHead,
                    WeightedStandardRoIHead, positive_gt_weights)
from .hooks import MixUpSwitchOffHook
from .losses import LabelSmoothingCrossEntropyLoss
from .transforms import PackDetInputsWithWeights, VisuallyCoherentMixUp

__all__ = [
    'VisuallyCoherentMixUp', 'PackDetInputsWithWeights', 'WeightedRPNHead', 'WeightedStandardRoIHead',
    'WeightedBBoxHead', 'WeightedShared2FCBBoxHead', 'PositiveGtWeightSampler', 'positive_gt_weights',
    'LabelSmoothingCrossEntropyLoss', 'MixUpSwitchOffHook', 'C4PretrainedCheckHook'
]
