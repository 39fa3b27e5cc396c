"""Mixup losses: functional twins (:mod:`.functional`) and registered ``loss_weight`` wrappers
(``MODELS``)."""
from .functional import (eta_balanced, infonce, instance_bce, interpolated_cosine_loss, joint_soft_infonce,
                         label_smoothing_cross_entropy, label_smoothing_targets, mixup_infonce,
                         mixup_soft_cross_entropy, pairwise_bce, soft_target_cross_entropy)
from .mixup_losses import (EtaBalancedLoss, InstanceBCELoss, InterpolatedCosineLoss, JointSoftInfoNCELoss,
                           LabelSmoothingCrossEntropyLoss, MixupInfoNCELoss, MixupSoftCrossEntropyLoss,
                           PairwiseBCELoss, WeightedLoss)

__all__ = [
    'soft_target_cross_entropy', 'mixup_soft_cross_entropy', 'pairwise_bce', 'instance_bce', 'infonce',
    'mixup_infonce', 'joint_soft_infonce', 'eta_balanced', 'interpolated_cosine_loss',
    'label_smoothing_targets', 'label_smoothing_cross_entropy', 'WeightedLoss', 'MixupSoftCrossEntropyLoss',
    'PairwiseBCELoss', 'InstanceBCELoss', 'MixupInfoNCELoss', 'JointSoftInfoNCELoss', 'EtaBalancedLoss',
    'InterpolatedCosineLoss', 'LabelSmoothingCrossEntropyLoss'
]
