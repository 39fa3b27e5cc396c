"""BSIM / WBSIM on SimSiam (Chu et al., "A Unified Mixture-View Framework for Unsupervised Representation Learning",
2022, arXiv:2011.13356, supplementary sec. 2-3; ``docs/methods.md#bsim-and-wbsim``)."""
from typing import Union

import torch
from mmpretrain.models import SimSiam
from mmpretrain.registry import MODELS

from ..mixing.policies import BaseMixPolicy
from .base_mix_ssl import BSIMLatentMixin


@MODELS.register_module()
class BSIMSimSiam(BSIMLatentMixin, SimSiam):
    """SimSiam-BSIM: the prediction of ``x'_ij`` regresses (``-cos``) to
    ``sg(normalize(lam z''_i + (1 - lam) z''_j))`` of the same network, symmetrised as SimSiam
    (:class:`BSIMLatentMixin`); WBSIM adds SimSiam's own loss.

    Args:
        mix_policy: mixing policy config; default CutMix, ``alpha = 1`` (``docs/methods.md#bsim-and-wbsim``).
        pairing: ``'flip'`` (the paper's) or ``'random'``.
        w_bsim, w_sim: loss weights (BSIM 1 / 0, WBSIM 0.5 / 0.5).
        **kwargs: upstream :class:`mmpretrain.models.SimSiam` arguments.
    """
    symmetric_scale = 0.5

    def __init__(self, *args, mix_policy: Union[dict, BaseMixPolicy] = None, pairing: str = 'flip',
                 w_bsim: float = 1.0, w_sim: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_bsim(mix_policy, pairing, w_bsim, w_sim)

    def target(self, img: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """SimSiam's target is the online projection itself (stop-gradient applied by the loss)."""
        return z
