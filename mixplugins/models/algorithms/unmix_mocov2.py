"""Un-Mix on MoCo (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised Visual Representation Learning",
AAAI 2022, arXiv:2003.05438, sec. 3-4, Algorithm 1; ``docs/methods.md#un-mix``)."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmpretrain.models import MoCo
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..mixing.functional import MixResult
from ..mixing.policies import BaseMixPolicy
from .base_mix_ssl import MixMoCoMixin, scale_sizes, unmix_policy


@MODELS.register_module()
class UnMixMoCo(MixMoCoMixin, MoCo):
    """Un-Mix MoCo: ``L = L_ori(x^q, x^k) + lam L_m(x_m, x^k) + (1 - lam) L_m(flip(x_m), x^k)`` (Un-Mix, Eq. 5).

    ``x_m`` is the self-mixture of the query view (flip pairing, Mixup with probability ``P`` else CutMix,
    ``lam ~ Beta(1, 1)``); ``L_m`` is MoCo's loss with the mixed query against the same keys and queue, each
    term its own softmax over ``[pos, queue]`` (``MixupInfoNCELoss``); the reversed order re-indexes the
    mixed features (see :mod:`.base_mix_ssl`). Only the clean keys are enqueued. MoCo v2 is asymmetric, so
    is this.

    Multi-scale training (Un-Mix, sec. 4.3, Fig. 7): ``scales`` lists extra input sizes; both views (and the
    mixture) are resized to each size, every size has its own queue, and the losses of all sizes are summed.

    Args:
        mix_policy: mixing policy config; default Un-Mix's (``P = 0.5``, ``alpha = 1``).
        pairing: ``'flip'`` (the paper's) or ``'random'``.
        mix_loss: mixture loss config, default ``dict(type='MixupInfoNCELoss')`` (Un-Mix); see
            :class:`MixMoCoMixin`.
        scales: extra input sizes in pixels, or None for single-scale training.
        **kwargs: upstream :class:`mmpretrain.models.MoCo` arguments.
    """

    def __init__(self, *args, mix_policy: Union[dict, BaseMixPolicy] = None, pairing: str = 'flip',
                 mix_loss: Optional[dict] = None, scales: Optional[List[int]] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_mixing(mix_policy or unmix_policy(), pairing)
        self.init_mix_loss(mix_loss or dict(type='MixupInfoNCELoss'))
        self.scales = scale_sizes(scales)
        for i in range(len(self.scales)):
            self.register_buffer(f'queue_scale{i}', F.normalize(torch.randn_like(self.queue), dim=0))
            self.register_buffer(f'queue_ptr_scale{i}', torch.zeros(1, dtype=torch.long))

    def scale_loss(self, im_q: torch.Tensor, im_k: torch.Tensor, mixed: torch.Tensor, mix: MixResult,
                   queue: torch.Tensor, queue_ptr: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``L_ori`` and the mixed terms at one input size; enqueues the clean keys into this size's queue."""
        q = self.query(im_q)
        q_m = self.query(mixed)
        k = self.keys(im_k)
        losses = dict(loss_ori=self.moco_term(q, k, queue), loss_mix=self.mixed_moco_term(q_m, k, mix, queue))
        self.enqueue(k, queue, queue_ptr)
        return losses

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        im_q, im_k = inputs[0], inputs[1]
        mix = self.mix_batch(im_q)
        with torch.no_grad():
            self.update_key_encoder()
        losses = self.scale_loss(im_q, im_k, mix.mixed, mix, self.queue, self.queue_ptr)
        for i, size in enumerate(self.scales):
            im_q_s, im_k_s, mixed_s = (
                F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False)
                for x in (im_q, im_k, mix.mixed))
            scale_losses = self.scale_loss(im_q_s, im_k_s, mixed_s, mix, getattr(self, f'queue_scale{i}'),
                                           getattr(self, f'queue_ptr_scale{i}'))
            losses.update({f'{name}_s{size}': value for name, value in scale_losses.items()})
        return losses
