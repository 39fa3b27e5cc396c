"""Supervised batch augments (``BATCH_AUGMENTS``, mmpretrain's ``(inputs, scores) -> (inputs, scores)``) for
the policies mmpretrain 1.2.0 lacks: FMix and SaliencyMix; :class:`PolicyBatchAugment` wraps any mixing
policy (``docs/methods.md#mixing-policies``).

Scores are mixed with the corrected per-sample ``lam``: ``s_m = lam_i s_i + (1 - lam_i) s_pi(i)``. Pairing is
a random permutation (as mmpretrain's Mixup / CutMix) and the draws use torch's global RNG.
"""
from typing import Tuple

import torch
from mmpretrain.registry import BATCH_AUGMENTS

from .functional import mix_scores
from .policies import build_mix_policy


@BATCH_AUGMENTS.register_module()
class PolicyBatchAugment:
    """Any registered mixing policy as a batch augment, e.g. ``dict(type='PolicyBatchAugment',
    policy=dict(type='CutMixPolicy', alpha=1.0, pairing='random'))``."""

    def __init__(self, policy: dict):
        self.policy = build_mix_policy(policy)

    def __call__(self, batch_inputs: torch.Tensor,
                 batch_scores: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if batch_scores.ndim != 2:
            raise ValueError(f'batch_scores must be one-hot / soft scores of shape (N, num_classes), '
                             f'got shape {tuple(batch_scores.shape)}')
        result = self.policy(batch_inputs)
        return result.mixed, mix_scores(batch_scores.float(), result.lam, result.index)


@BATCH_AUGMENTS.register_module()
class FMix(PolicyBatchAugment):
    """FMix batch augment (Harris et al., "FMix: Enhancing Mixed Sample Data Augmentation", 2020, arXiv:2002.12047;
    ``docs/methods.md#mixing-policies``): ``alpha`` of Beta(alpha, alpha), ``decay_power`` of the spectrum."""

    def __init__(self, alpha: float = 1.0, decay_power: float = 3.0):
        super().__init__(dict(type='FMixPolicy', alpha=alpha, decay_power=decay_power, pairing='random'))


@BATCH_AUGMENTS.register_module()
class SaliencyMix(PolicyBatchAugment):
    """SaliencyMix batch augment (Uddin et al., "SaliencyMix: A Saliency Guided Data Augmentation Strategy for Better
    Regularization", ICLR 2021, arXiv:2006.01791; ``docs/methods.md#mixing-policies``): ``alpha`` of Beta(alpha,
    alpha)."""

    def __init__(self, alpha: float = 1.0):
        super().__init__(dict(type='SaliencyMixPolicy', alpha=alpha, pairing='random'))
