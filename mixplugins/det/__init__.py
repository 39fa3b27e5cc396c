"""Detection modules registered into mmdet's registries (``custom_imports=dict(imports=['mixplugins.det'])``).

Bag of Freebies (002_74282626285b4c29.txt): ``VisuallyCoherentMixUp`` + ``PackDetInputsWithWeights``
(transforms), ``WeightedRPNHead`` / ``WeightedStandardRoIHead`` / ``WeightedBBoxHead`` /
``WeightedShared2FCBBoxHead`` (heads), ``LabelSmoothingCrossEntropyLoss`` (losses), ``MixUpSwitchOffHook``
(hooks). Transfer protocol: ``C4PretrainedCheckHook`` (pretrained weights really reach backbone and shared
head).
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
