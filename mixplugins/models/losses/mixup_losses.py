"""Registered (``MODELS``) mixup losses: thin ``loss_weight``-scaled wrappers of :mod:`.functional`.

Each forward takes the functional's tensor arguments (``lam`` a float or Tensor[N]) and returns
``loss_weight * functional(...)``; constructor arguments hold the hyper-parameters (temperature, mode, eps,
eta).

The losses of a mixture against its two parents (:class:`MixtureLoss`) are the parts an algorithm's config
chooses (``mix_loss=dict(type=...)`` of the MoCo mixtures, ``loss_local`` / ``loss_global`` of the SAMix
Mixer): each names the inputs it reads (``inputs``), so the algorithm calls any of them the same way
(:meth:`MixtureLoss.for_pairing`), and :func:`build_mixture_loss` checks the config against the inputs the
algorithm has.

The papers are cited by their short names, as in :mod:`.functional` (full titles and arXiv ids there and in
``docs/methods.md#papers``).
"""
from typing import Callable, Sequence, Tuple

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


class MixtureLoss(WeightedLoss):
    """A loss of the mixtures ``x_m,k = lam_k x_k + (1 - lam_k) x_index[k]`` against their two parents.

    ``forward(pred, target_i, target_j, *context, lam)``: ``pred`` is what the model outputs for the mixtures,
    ``target_i`` / ``target_j`` the targets of the parents ``k`` and ``index[k]``. ``inputs`` names them:

    - ``('logits', 'labels')``: class logits of the mixtures, class labels of the parents;
    - ``('embedding', 'keys')``: L2-normalised embeddings of the mixtures, keys of the parents;
    - ``('embedding', 'keys', 'queue')``: the same and a K x D queue of negative keys as context.
    """
    inputs: Tuple[str, ...]

    def for_pairing(self, index: torch.Tensor, lam: LF.LamLike, **named: torch.Tensor) -> torch.Tensor:
        """The loss of the mixtures of the pairing ``index`` (LongTensor[N]) with ratios ``lam``, reading its
        ``inputs`` from ``named`` (e.g. ``logits=..., labels=...``): the parents' targets are ``target`` and
        ``target[index]``."""
        missing = [name for name in self.inputs if named.get(name) is None]
        if missing:
            raise ValueError(f'{type(self).__name__} reads {list(self.inputs)}; {missing} not given')
        pred, target = named[self.inputs[0]], named[self.inputs[1]]
        return self(pred, target, target[index], *(named[name] for name in self.inputs[2:]), lam)


class TemperatureLoss(MixtureLoss):
    """A :class:`WeightedLoss` with a softmax ``temperature`` (> 0)."""

    def __init__(self, temperature: float = 0.2, loss_weight: float = 1.0, reduction: str = 'mean'):
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        super().__init__(loss_weight, reduction, temperature=temperature)


@MODELS.register_module()
class MixupSoftCrossEntropyLoss(MixtureLoss):
    """``lam CE(logits, y_a) + (1 - lam) CE(logits, y_b)``; forward(logits, label_a, label_b, lam)."""
    loss_fn = staticmethod(LF.mixup_soft_cross_entropy)
    inputs = ('logits', 'labels')


@MODELS.register_module()
class PairwiseBCELoss(MixtureLoss):
    """pBCE over the two mixed classes; forward(logits, label_a, label_b, lam)."""
    loss_fn = staticmethod(LF.pairwise_bce)
    inputs = ('logits', 'labels')


@MODELS.register_module()
class InstanceBCELoss(TemperatureLoss):
    """Instance-level BCE; forward(z_m, z_i, z_j, lam)."""
    loss_fn = staticmethod(LF.instance_bce)
    inputs = ('embedding', 'keys')


@MODELS.register_module()
class MixupInfoNCELoss(TemperatureLoss):
    """Mixup infoNCE, one softmax per parent; forward(q_m, k_i, k_j, queue, lam); ``queue`` K x D."""
    loss_fn = staticmethod(LF.mixup_infonce)
    inputs = ('embedding', 'keys', 'queue')


@MODELS.register_module()
class JointSoftInfoNCELoss(TemperatureLoss):
    """BSIM joint soft-target infoNCE over ``[k_i, k_j, queue]``; forward(q_m, k_i, k_j, queue, lam)."""
    loss_fn = staticmethod(LF.joint_soft_infonce)
    inputs = ('embedding', 'keys', 'queue')


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
    """``loss_weight * (local + eta * global)`` (SAMix, sec. 3.1); holds only ``eta``: the caller computes the two
    terms with its own losses (e.g. :class:`PairwiseBCELoss` and :class:`MixupSoftCrossEntropyLoss`) and
    passes them to forward(local, global_).

    Args:
        eta: weight of the global term, >= 0 (0.5 small data / SSL, 0.1 large supervised; SAMix, A.5.3).
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


def build_mixture_loss(cfg, key: str, inputs: Sequence[Tuple[str, ...]],
                       temperature: float = None) -> MixtureLoss:
    """Build the :class:`MixtureLoss` config ``cfg`` given as the algorithm argument ``key``.

    Args:
        cfg: ``dict(type=..., **arguments)`` of a registered :class:`MixtureLoss`.
        key: the argument's name, for the error message.
        inputs: the ``inputs`` the algorithm can give; a loss reading anything else is refused.
        temperature: default of a temperature loss's ``temperature`` when ``cfg`` has none (the temperature of
            the algorithm's contrastive head).
    """
    allowed = sorted(name for name, cls in MODELS.module_dict.items()
                     if isinstance(cls, type) and issubclass(cls, MixtureLoss) and cls.inputs in inputs)
    loss_type = cfg.get('type') if isinstance(cfg, dict) else None
    if loss_type not in allowed:
        raise ValueError(f'{key} must be a dict with type one of {allowed}, got {cfg!r}')
    cfg = dict(cfg)
    if temperature is not None and issubclass(MODELS.get(loss_type), TemperatureLoss):
        cfg.setdefault('temperature', temperature)
    return MODELS.build(cfg)
