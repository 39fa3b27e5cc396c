"""BSIM / WBSIM on BYOL (Chu et al., "A Unified Mixture-View Framework for Unsupervised Representation Learning",
2022, arXiv:2011.13356, supplementary sec. 2-3 and Fig. 8; ``docs/methods.md#bsim-and-wbsim``)."""
from typing import Union

import torch
from mmpretrain.models import BYOL
from mmpretrain.registry import MODELS
from torch import nn

from ..mixing.policies import BaseMixPolicy
from .base_mix_ssl import BSIMLatentMixin


@MODELS.register_module()
class BSIMBYOL(BSIMLatentMixin, BYOL):
    """BYOL-BSIM: the online prediction of ``x'_ij`` regresses to ``normalize(lam z''_i + (1 - lam) z''_j)``
    of the target (EMA) network, symmetrised as BYOL (:class:`BSIMLatentMixin`); WBSIM adds BYOL's own loss.

    Args:
        mix_policy: mixing policy config; default CutMix, ``alpha = 1`` (``docs/methods.md#bsim-and-wbsim``).
        pairing: ``'flip'`` (the paper's) or ``'random'``.
        w_bsim, w_sim: loss weights (BSIM 1 / 0, WBSIM 0.5 / 0.5).
        **kwargs: upstream :class:`mmpretrain.models.BYOL` arguments.
    """
    symmetric_scale = 2.0

    def __init__(self, *args, mix_policy: Union[dict, BaseMixPolicy] = None, pairing: str = 'flip',
                 w_bsim: float = 1.0, w_sim: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_bsim(mix_policy, pairing, w_bsim, w_sim)

    @torch.no_grad()
    def update_target(self) -> None:
        self.target_net.update_parameters(nn.Sequential(self.backbone, self.neck))

    @torch.no_grad()
    def target(self, img: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.target_net(img)[0]
