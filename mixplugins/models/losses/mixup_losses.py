"""Registered (``MODELS``) mixup losses: thin ``loss_weight``-scaled wrappers of :mod:`.functional`.

Each forward takes the functional's tensor arguments (``lam`` a float or Tensor[N]) and returns
``loss_weight * functional(...)``; constructor arguments hold the hyper-parameters (temperature, mode, eps,
eta).
"""
from typing import Callable

import torch
from mmpretrain.registry import MODELS
from torch import nn

from . import functional as LF


class WeightedLoss(nn.Module):
    """``loss_weight * loss_fn(*inputs, **hyper_parameters, reduction=reduction)``.

    Args:
        loss_weight: multiplier of the loss.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.
    """
    loss_fn: Callable[..., torch.Tensor]

    def __init__(self, loss_weight: float = 1.0, reduction: str = 'mean', **hyper_parameters):
        super().__init__()
        if reduction not in LF.REDUCTIONS:
            raise ValueError(f'reduction must be one of {LF.REDUCTIONS}, got {reduction!r}')
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.hyper_parameters = hyper_parameters

    def forward(self, *inputs, **kwargs) -> torch.Tensor:
        return self.loss_weight * self.loss_fn(*inputs, reduction=self.reduction, **self.hyper_parameters,
                                               **kwargs)

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}, reduction={self.reduction!r}, {self.hyper_parameters}'


class TemperatureLoss(WeightedLoss):
    """A :class:`WeightedLoss` with a softmax ``temperature`` (> 0)."""

    def __init__(self, temperature: float = 0.2, loss_weight: float = 1.0, reduction: str = 'mean'):
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        super().__init__(loss_weight, reduction, temperature=temperature)


@MODELS.register_module()
class MixupSoftCrossEntropyLoss(WeightedLoss):
    """``lam CE(logits, y_a) + (1 - lam) CE(logits, y_b)``; forward(logits, label_a, label_b, lam)."""
    loss_fn = staticmethod(LF.mixup_soft_cross_entropy)


@MODELS.register_module()
class PairwiseBCELoss(WeightedLoss):
    """pBCE over the two mixed classes; forward(logits, label_a, label_b, lam)."""
    loss_fn = staticmethod(LF.pairwise_bce)


@MODELS.register_module()
class InstanceBCELoss(TemperatureLoss):
    """Instance-level BCE; forward(z_m, z_i, z_j, lam)."""
    loss_fn = staticmethod(LF.instance_bce)


@MODELS.register_module()
class MixupInfoNCELoss(TemperatureLoss):
    """Mixup infoNCE, one softmax per parent; forward(q_m, k_i, k_j, queue, lam); ``queue`` K x D."""
    loss_fn = staticmethod(LF.mixup_infonce)


@MODELS.register_module()
class JointSoftInfoNCELoss(TemperatureLoss):
    """BSIM joint soft-target infoNCE over ``[k_i, k_j, queue]``; forward(q_m, k_i, k_j, queue, lam)."""
    loss_fn = staticmethod(LF.joint_soft_infonce)


@MODELS.register_module()
class InterpolatedCosineLoss(WeightedLoss):
    """BYOL / SimSiam-BSIM interpolated-target cosine loss; forward(pred, z_i, z_j, lam).

    Args:
        mode: ``'byol'`` (``2 - 2 cos``) or ``'simsiam'`` (``-cos``).
    """
    loss_fn = staticmethod(LF.interpolated_cosine_loss)

    def __init__(self, mode: str = 'byol', loss_weight: float = 1.0, reduction: str = 'mean'):
        if mode not in LF.COSINE_MODES:
            raise ValueError(f'mode must be one of {LF.COSINE_MODES}, got {mode!r}')
        super().__init__(loss_weight, reduction, mode=mode)


@MODELS.register_module()
class LabelSmoothingCrossEntropyLoss(WeightedLoss):
    """CE with targets ``(1 - eps) q + eps / K`` (Bag of Freebies); forward(logits, labels).

    Args:
        eps: smoothing, in [0, 1).
    """
    loss_fn = staticmethod(LF.label_smoothing_cross_entropy)

    def __init__(self, eps: float = 0.1, loss_weight: float = 1.0, reduction: str = 'mean'):
        if not 0 <= eps < 1:
            raise ValueError(f'eps must lie in [0, 1) (label smoothing q\' = (1 - eps) q + eps / K), '
                             f'got {eps}')
        super().__init__(loss_weight, reduction, eps=eps)


@MODELS.register_module()
class EtaBalancedLoss(nn.Module):
    """``loss_weight * (local + eta * global)`` (spec sec. 5); holds only ``eta``: the caller computes the two
    terms with its own losses (e.g. :class:`PairwiseBCELoss` and :class:`MixupSoftCrossEntropyLoss`) and
    passes them to forward(local, global_).

    Args:
        eta: weight of the global term, >= 0 (0.5 small data / SSL, 0.1 large supervised; 004 A.5.3).
        loss_weight: multiplier of the sum.
    """

    def __init__(self, eta: float = 0.5, loss_weight: float = 1.0):
        super().__init__()
        if not eta >= 0:
            raise ValueError(f'eta must be >= 0 (L = local + eta * global), got {eta}')
        self.eta = eta
        self.loss_weight = loss_weight

    def forward(self, local: torch.Tensor, global_: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * LF.eta_balanced(local, global_, self.eta)

    def extra_repr(self) -> str:
        return f'eta={self.eta}, loss_weight={self.loss_weight}'
