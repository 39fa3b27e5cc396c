"""Mixup losses: functional twins (:mod:`.functional`) and registered ``loss_weight`` wrappers
(``MODELS``)."""
from .functional import (eta_balanced, extra_anchor_nt_xent, infonce, instance_bce, interpolated_cosine_loss,
                         inverse_pairing, joint_soft_infonce, label_smoothing_cross_entropy,
                         label_smoothing_targets, mixture_weights, mixup_infonce, mixup_soft_cross_entropy,
                         pairwise_bce, soft_nt_xent, soft_target_cross_entropy,
                         transposed_interpolated_cosine_loss)
from .mixup_losses import (EtaBalancedLoss, InstanceBCELoss, InterpolatedCosineLoss, JointSoftInfoNCELoss,
                           LabelSmoothingCrossEntropyLoss, MixtureLoss, MixupInfoNCELoss,
                           MixupSoftCrossEntropyLoss, PairwiseBCELoss, WeightedLoss, build_mixture_loss)

__all__ = [
    'soft_target_cross_entropy', 'mixup_soft_cross_entropy', 'pairwise_bce', 'instance_bce', 'infonce',
    'mixup_infonce', 'joint_soft_infonce', 'eta_balanced', 'interpolated_cosine_loss',
    'label_smoothing_targets', 'label_smoothing_cross_entropy', 'mixture_weights', 'inverse_pairing',
    'soft_nt_xent', 'extra_anchor_nt_xent', 'transposed_interpolated_cosine_loss', 'WeightedLoss',
    'MixtureLoss', 'MixupSoftCrossEntropyLoss', 'PairwiseBCELoss', 'InstanceBCELoss', 'MixupInfoNCELoss',
    'JointSoftInfoNCELoss', 'EtaBalancedLoss', 'InterpolatedCosineLoss', 'LabelSmoothingCrossEntropyLoss',
    'build_mixture_loss'
]
