"""Registered mixing policies (``MODELS``): thin modules over :mod:`.functional` with one interface.

``policy(x, generator=None, index=None, lam=None) -> MixResult``: draws the pairing (``pairing``) and ``lam ~
Beta(alpha, alpha)`` (one per batch, or one per sample with ``per_sample_lam=True``) unless ``index`` / ``lam`` are
given, mixes, and returns the corrected per-sample ``lam`` (``docs/methods.md#notation-and-conventions``; each policy's
paper, title and arXiv id, is cited in :mod:`.functional` and ``docs/methods.md#papers``).
"""
from typing import Callable, List, Optional, Sequence, Union

import torch
from mmpretrain.registry import MODELS
from torch import nn

from . import functional as MF
from .functional import MixResult


class BaseMixPolicy(nn.Module):
    """Common part of every policy: validated ``alpha`` / ``pairing``, drawing of pairing and ``lam``.

    Args:
        alpha: Beta(alpha, alpha) parameter of ``lam``, > 0.
        pairing: ``'flip'`` (i with N-1-i) or ``'random'`` (random permutation).
        per_sample_lam: one ``lam`` (and one box / mask) per sample instead of one per batch.
    """
    mix_fn: Callable[..., MixResult]

    def __init__(self, alpha: float = 1.0, pairing: str = 'flip', per_sample_lam: bool = False):
        super().__init__()
        MF.check_alpha(alpha)
        if pairing not in MF.PAIRING_MODES:
            raise ValueError(f'pairing must be one of {MF.PAIRING_MODES}, got {pairing!r}')
        self.alpha = alpha
        self.pairing = pairing
        self.per_sample_lam = per_sample_lam

    def sample_lam(self, batch_size: int, generator: Optional[torch.Generator], device) -> torch.Tensor:
        """``lam ~ Beta(alpha, alpha)``: Tensor[N] on ``device`` (``per_sample_lam``), or one 0-d tensor for the
        batch drawn on the host, where the box policies compute their shared box (no device sync)."""
        if self.per_sample_lam:
            return MF.sample_lambda(self.alpha, batch_size, generator, device)
        return MF.sample_lambda(self.alpha, 1, generator, 'cpu')[0]

    def mix(self, x: torch.Tensor, lam: MF.LamLike, index: torch.Tensor,
            generator: Optional[torch.Generator]) -> MixResult:
        """Apply the policy's functional with a given ``lam`` and pairing."""
        return self.mix_fn(x, lam, index, generator=generator)

    def forward(self, x: torch.Tensor, generator: Optional[torch.Generator] = None,
                index: Optional[torch.Tensor] = None, lam: Optional[MF.LamLike] = None) -> MixResult:
        if index is None:
            index = MF.pair_indices(x.size(0), self.pairing, generator, x.device)
        if lam is None:
            lam = self.sample_lam(x.size(0), generator, x.device)
        return self.mix(x, lam, index, generator)

    def extra_repr(self) -> str:
        return f'alpha={self.alpha}, pairing={self.pairing!r}, per_sample_lam={self.per_sample_lam}'


@MODELS.register_module()
class MixupPolicy(BaseMixPolicy):
    """Mixup (Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018, arXiv:1710.09412):
    ``x_m = lam x_i + (1 - lam) x_pi(i)``."""
    mix_fn = staticmethod(MF.mixup)


@MODELS.register_module()
class CutMixPolicy(BaseMixPolicy):
    """CutMix (Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable Features",
    ICCV 2019, arXiv:1905.04899): partner box of side ratio ``sqrt(1 - lam)``, ``lam <- 1 - box_area / (H W)``."""
    mix_fn = staticmethod(MF.cutmix)


@MODELS.register_module()
class SaliencyMixPolicy(BaseMixPolicy):
    """SaliencyMix (Uddin et al., "SaliencyMix: A Saliency Guided Data Augmentation Strategy for Better
    Regularization", ICLR 2021, arXiv:2006.01791): CutMix box centred at the partner's spectral-residual saliency
    peak."""
    mix_fn = staticmethod(MF.saliencymix)


@MODELS.register_module()
class FMixPolicy(BaseMixPolicy):
    """FMix (Harris et al., "FMix: Enhancing Mixed Sample Data Augmentation", 2020, arXiv:2002.12047): binarised
    low-frequency Fourier mask with mean ``round(lam H W) / (H W)``.

    Args:
        decay_power: spectral decay power of the grey image (FMix default 3).
    """

    def __init__(self, alpha: float = 1.0, pairing: str = 'flip', per_sample_lam: bool = False,
                 decay_power: float = 3.0):
        super().__init__(alpha, pairing, per_sample_lam)
        if not decay_power > 0:
            raise ValueError(f'decay_power must be > 0 (FMix spectrum decay), got {decay_power}')
        self.decay_power = decay_power

    def mix(self, x, lam, index, generator):
        return MF.fmix(x, lam, index, decay_power=self.decay_power, generator=generator)


@MODELS.register_module()
class ResizeMixPolicy(BaseMixPolicy):
    """ResizeMix (Qin et al., "ResizeMix: Mixing Data with Preserved Object Information and True Labels", 2020,
    arXiv:2012.11101): the partner resized into a box of side ratio ``tau``.

    ``tau = scale[0] + (scale[1] - scale[0]) * Beta(alpha, alpha)``: with ``alpha = 1`` this is the paper's
    ``tau ~ U(0.1, 0.8)`` (mmpretrain's ResizeMix draws the same way). The functional takes
    ``lam = 1 - tau^2``; a ``lam`` override is used as is.

    Args:
        scale: (min, max) box side ratio, ``0 < min <= max <= 1``.
        interpolation: ``F.interpolate`` mode for the resized partner.
    """

    def __init__(self, alpha: float = 1.0, pairing: str = 'flip', per_sample_lam: bool = False,
                 scale: Sequence[float] = (0.1, 0.8), interpolation: str = 'bilinear'):
        super().__init__(alpha, pairing, per_sample_lam)
        if len(scale) != 2 or not 0 < scale[0] <= scale[1] <= 1:
            raise ValueError(f'scale must be (min, max) with 0 < min <= max <= 1 (ResizeMix box side ratio), '
                             f'got {scale}')
        self.scale = tuple(scale)
        self.interpolation = interpolation

    def sample_lam(self, batch_size, generator, device):
        low, high = self.scale
        tau = low + (high - low) * super().sample_lam(batch_size, generator, device)
        return 1 - tau ** 2

    def mix(self, x, lam, index, generator):
        return MF.resizemix(x, lam, index, generator=generator, interpolation=self.interpolation)


def mix_policy_types() -> List[str]:
    """Names of the registered mixing policies (subclasses of :class:`BaseMixPolicy` in ``MODELS``)."""
    return sorted(name for name, cls in MODELS.module_dict.items()
                  if isinstance(cls, type) and issubclass(cls, BaseMixPolicy))


def build_mix_policy(cfg: Union[dict, BaseMixPolicy]) -> BaseMixPolicy:
    """Build a policy from a config dict; an unknown ``type`` raises KeyError listing the allowed ones."""
    if isinstance(cfg, BaseMixPolicy):
        return cfg
    allowed = mix_policy_types()
    policy_type = cfg.get('type') if isinstance(cfg, dict) else None
    if policy_type not in allowed:
        raise KeyError(f'policy type must be one of {allowed}, got {policy_type!r}')
    return MODELS.build(cfg)


@MODELS.register_module()
class RandomChoicePolicy(BaseMixPolicy):
    """Draw one policy per call: policy ``k`` with probability ``probs[k]`` (Un-Mix's ``P``:
    ``policies=[Mixup, CutMix], probs=[P, 1 - P]``, ``docs/methods.md#un-mix``).

    ``probs`` must lie in [0, 1] and sum to at most 1; the remainder ``1 - sum(probs)`` is the probability of
    NOT mixing (as in mmpretrain's ``RandomBatchAugment``): the batch is returned unchanged with ``lam = 1``
    and ``mask = 1`` (a ``lam`` override is ignored on that branch). ``probs=None`` means uniform over the
    policies. ``alpha`` / ``per_sample_lam`` are the sub-policies' business; ``pairing`` is used on the no-mix
    branch.

    Args:
        policies: policy configs (or built policies).
        probs: one probability per policy.
    """

    def __init__(self,
                 policies: Sequence[Union[dict, BaseMixPolicy]],
                 probs: Optional[Sequence[float]] = None,
                 pairing: str = 'flip'):
        super().__init__(alpha=1.0, pairing=pairing)
        if len(policies) == 0:
            raise ValueError('policies must list at least one policy config')
        self.policies = nn.ModuleList(build_mix_policy(cfg) for cfg in policies)
        if probs is None:
            probs = [1.0 / len(policies)] * len(policies)
        probs = [float(p) for p in probs]
        if len(probs) != len(policies):
            raise ValueError(f'probs must have one entry per policy ({len(policies)}), got {len(probs)}')
        if any(not 0 <= p <= 1 for p in probs):
            raise ValueError(f'probs must each lie in [0, 1], got {probs}')
        if sum(probs) > 1 + 1e-6:
            raise ValueError(f'probs must sum to at most 1 (remainder = no mixing), got sum {sum(probs)}')
        self.probs = probs

    def forward(self, x, generator=None, index=None, lam=None) -> MixResult:
        draw = float(MF.uniform(1, generator))  # made on the host without a generator: no device sync
        cumulative = 0.0
        for policy, prob in zip(self.policies, self.probs):
            cumulative += prob
            if draw < cumulative:
                return policy(x, generator=generator, index=index, lam=lam)
        if index is None:
            index = MF.pair_indices(x.size(0), self.pairing, generator, x.device)
        return MF.mixup(x, 1.0, index)

    def extra_repr(self) -> str:
        return f'probs={self.probs}, pairing={self.pairing!r}'
