"""BSIM / WBSIM on MoCo (Chu et al., "A Unified Mixture-View Framework for Unsupervised Representation Learning",
2022, arXiv:2011.13356, supplementary sec. 2-3.4; ``docs/methods.md#bsim-and-wbsim``)."""
from typing import Dict, List, Optional, Union

import torch
from mmpretrain.models import MoCo
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..mixing.policies import BaseMixPolicy
from .base_mix_ssl import MixMoCoMixin, check_loss_weights


@MODELS.register_module()
class BSIMMoCo(MixMoCoMixin, MoCo):
    """MoCo-BSIM: the mixtures ``x'_ij`` of the first views (``j = N - 1 - i``) replace the queries; one
    softmax over ``[q.k_i, q.k_j, q.queue] / t`` with soft target ``(lam, 1 - lam)`` (``JointSoftInfoNCELoss``);
    the keys are the clean second views, and only they are enqueued -- MoCo's memory and cost (BSIM
    supplementary, Table 4).

    WBSIM (BSIM supplementary, Eq. 1): ``L = w_bsim L_BSIM + w_sim L_MoCo``; ``w_sim > 0`` keeps the clean queries
    (one more query forward, more memory); ``w_sim = 0`` is BSIM, ``w_bsim = 0`` is MoCo.

    Args:
        mix_policy: mixing policy config; default CutMix, ``alpha = 1`` (``docs/methods.md#bsim-and-wbsim``).
        pairing: ``'flip'`` (the paper's) or ``'random'``.
        mix_loss: mixture loss config, default ``dict(type='JointSoftInfoNCELoss')`` (BSIM); see
            :class:`MixMoCoMixin`.
        w_bsim, w_sim: loss weights (BSIM 1 / 0, WBSIM 0.5 / 0.5).
        **kwargs: upstream :class:`mmpretrain.models.MoCo` arguments.
    """

    def __init__(self, *args, mix_policy: Union[dict, BaseMixPolicy] = None, pairing: str = 'flip',
                 mix_loss: Optional[dict] = None, w_bsim: float = 1.0, w_sim: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_mixing(mix_policy or dict(type='CutMixPolicy', alpha=1.0), pairing)
        self.init_mix_loss(mix_loss or dict(type='JointSoftInfoNCELoss'))
        check_loss_weights(w_bsim, w_sim)
        self.w_bsim, self.w_sim = w_bsim, w_sim

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        im_q, im_k = inputs[0], inputs[1]
        losses = {}
        if self.w_sim > 0:
            q = self.query(im_q)
        if self.w_bsim > 0:
            mix = self.mix_batch(im_q)
            q_m = self.query(mix.mixed)
        with torch.no_grad():
            self.update_key_encoder()
        k = self.keys(im_k)
        if self.w_sim > 0:
            losses['loss_sim'] = self.w_sim * self.moco_term(q, k, self.queue)
        if self.w_bsim > 0:
            losses['loss_bsim'] = self.w_bsim * self.mixed_moco_term(q_m, k, mix, self.queue)
        self.enqueue(k, self.queue, self.queue_ptr)
        return losses
