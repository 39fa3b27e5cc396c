"""BSIM / WBSIM on SimCLR (Chu et al., "A Unified Mixture-View Framework for Unsupervised Representation Learning",
2022, arXiv:2011.13356, supplementary sec. 2-3 and Fig. 6; ``docs/methods.md#bsim-and-wbsim``)."""
from typing import Dict, List, Union

import torch
from mmpretrain.models import SimCLR
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..losses import mixture_weights, soft_nt_xent
from ..mixing.policies import BaseMixPolicy
from ..utils.precision import compute_dtype
from .base_mix_ssl import MixSimCLRMixin, check_loss_weights


@MODELS.register_module()
class BSIMSimCLR(MixSimCLRMixin, SimCLR):
    """SimCLR-BSIM: the mixtures ``x'_ij`` of the first views (``j = N - 1 - i``) replace the first views;
    NT-Xent(lam) with one softmax over all other embeddings, ``x'_ij`` positive to ``x''_i`` (weight
    ``lam``) and ``x''_j`` (``1 - lam``), and each ``x''_i`` to the mixtures containing ``i`` with the same weights
    (:func:`~mixplugins.models.losses.soft_nt_xent`). With ``lam`` in {0, 1} it is SimCLR.

    BSIM forwards ``[x'_ij, x'']`` as one batch, as SimCLR forwards ``[x', x'']``. WBSIM (BSIM supplementary, Eq. 1):
    ``L = w_bsim L_BSIM + w_sim L_SimCLR``; it forwards the clean ``[x', x'']`` (SimCLR's term) and the
    mixtures on their own, the BSIM term reusing the clean ``z''``.

    Args:
        mix_policy: mixing policy config; default CutMix, ``alpha = 1`` (``docs/methods.md#bsim-and-wbsim``).
        pairing: ``'flip'`` (the paper's) or ``'random'``.
        w_bsim, w_sim: loss weights (BSIM 1 / 0, WBSIM 0.5 / 0.5).
        **kwargs: upstream :class:`mmpretrain.models.SimCLR` arguments.
    """

    def __init__(self, *args, mix_policy: Union[dict, BaseMixPolicy] = None, pairing: str = 'flip',
                 w_bsim: float = 1.0, w_sim: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_mixing(mix_policy or dict(type='CutMixPolicy', alpha=1.0), pairing)
        check_loss_weights(w_bsim, w_sim)
        self.w_bsim, self.w_sim = w_bsim, w_sim

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        losses = {}
        if self.w_sim == 0:
            mix = self.mix_batch(inputs[0])
            z_m, z_b = self.embed(mix.mixed, inputs[1])
        else:
            z_a, z_b = self.embed(inputs[0], inputs[1])
            identity = torch.eye(z_a.size(0), dtype=compute_dtype(z_a.dtype), device=z_a.device)
            losses['loss_sim'] = self.w_sim * soft_nt_xent(z_a, z_b, identity, self.head.temperature)
            if self.w_bsim == 0:
                return losses
            mix = self.mix_batch(inputs[0])
            z_m, = self.embed(mix.mixed)
        lam, index = self.gather_pairing(mix)
        weights = mixture_weights(lam.to(compute_dtype(z_m.dtype)), index)
        losses['loss_bsim'] = self.w_bsim * soft_nt_xent(z_m, z_b, weights, self.head.temperature)
        return losses
