"""Label-smoothing cross-entropy with mmdet's loss interface, for the RoI classification head."""
from typing import Optional

import torch
from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.registry import MODELS
from torch import nn

from ..models.losses.functional import REDUCTIONS, label_smoothing_cross_entropy


@MODELS.register_module()
class LabelSmoothingCrossEntropyLoss(nn.Module):
    """Softmax CE against smoothed targets (Zhang et al., "Bag of Freebies for Training Object Detection Neural
    Networks", 2019, arXiv:1902.04103, sec. 3.2, Eq. 3; ``docs/methods.md#bag-of-freebies``):

        q'_k = (1 - eps) q_k + eps / K,    L_i = -sum_k q'_k log softmax(z_i)_k

    ``K`` is the number of logit columns. In mmdet's RoI bbox head that is ``num_classes + 1``: the softmax
    runs over the foreground classes AND background, so background proposals get the smoothed target too
    (``q'_bg = 1 - eps + eps / K``) and every column receives ``eps / K`` (as GluonCV's Faster R-CNN, whose
    smoothed one-hot has ``num_class + 1`` entries). Per-sample losses are then weighted by mmdet's
    ``label_weights`` (which carry the mixup object weights) and reduced with ``avg_factor`` like
    ``CrossEntropyLoss``.

    Args:
        eps (float): smoothing in [0, 1); 0 gives mmdet's softmax cross-entropy.
        reduction (str): 'mean' | 'sum' | 'none'.
        loss_weight (float): multiplier of the loss.
    """

    def __init__(self, eps: float = 0.1, reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        if not 0 <= eps < 1:
            raise ValueError(f"eps must lie in [0, 1) (q' = (1 - eps) q + eps / K), got {eps}")
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
        self.eps = eps
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None) -> torch.Tensor:
        reduction = reduction_override or self.reduction
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction_override must be one of {REDUCTIONS}, got {reduction!r}')
        loss = label_smoothing_cross_entropy(cls_score, label, self.eps, reduction='none')
        if weight is not None:
            weight = weight.float()
        return self.loss_weight * weight_reduce_loss(loss, weight, reduction, avg_factor)
