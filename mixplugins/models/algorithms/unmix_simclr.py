"""Un-Mix on SimCLR (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised Visual Representation
Learning", AAAI 2022, arXiv:2003.05438, sec. 4.2-4.3; ``docs/methods.md#un-mix``)."""
from typing import Dict, List, Union

import torch
from mmpretrain.models import SimCLR
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..losses import extra_anchor_nt_xent, soft_nt_xent
from ..mixing.policies import BaseMixPolicy
from ..utils.precision import compute_dtype
from .base_mix_ssl import MixSimCLRMixin, unmix_policy


@MODELS.register_module()
class UnMixSimCLR(MixSimCLRMixin, SimCLR):
    """Un-Mix SimCLR: ``L = L_SimCLR(x', x'') + lam L_m(x_m) + (1 - lam) L_m(flip(x_m))`` (Un-Mix, Eq. 5).

    ``x_m`` is the self-mixture of the first view; its embeddings are extra anchors whose positive is the
    second view of each parent and whose negatives are those of that parent's clean anchor (Un-Mix, Eq. 3: the
    distance of negative pairs is unchanged) -- :func:`~mixplugins.models.losses.extra_anchor_nt_xent`. The
    clean views are forwarded together as upstream SimCLR does, the mixtures on their own (no second forward
    for the reversed order).

    Args:
        mix_policy: mixing policy config; default Un-Mix's (``P = 0.5``, ``alpha = 1``).
        pairing: ``'flip'`` (the paper's) or ``'random'``.
        **kwargs: upstream :class:`mmpretrain.models.SimCLR` arguments.
    """

    def __init__(self, *args, mix_policy: Union[dict, BaseMixPolicy] = None, pairing: str = 'flip',
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_mixing(mix_policy or unmix_policy(), pairing)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        mix = self.mix_batch(inputs[0])
        z_a, z_b = self.embed(inputs[0], inputs[1])
        z_m, = self.embed(mix.mixed)
        lam, index = self.gather_pairing(mix)
        identity = torch.eye(z_a.size(0), dtype=compute_dtype(z_a.dtype), device=z_a.device)
        temperature = self.head.temperature
        return dict(loss_ori=soft_nt_xent(z_a, z_b, identity, temperature),
                    loss_mix=extra_anchor_nt_xent(z_m, z_a, z_b, lam.to(compute_dtype(z_m.dtype)), index,
                                                  temperature))
