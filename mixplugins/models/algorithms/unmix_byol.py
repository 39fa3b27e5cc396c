"""Un-Mix on BYOL (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised Visual Representation Learning",
AAAI 2022, arXiv:2003.05438, sec. 4, Algorithm 1; ``docs/methods.md#un-mix``)."""
from typing import Dict, List, Union

import torch
from mmpretrain.models import BYOL
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..mixing.policies import BaseMixPolicy
from ..losses import inverse_pairing
from .base_mix_ssl import MixLatentMixin, unmix_policy


@MODELS.register_module()
class UnMixBYOL(MixLatentMixin, BYOL):
    """Un-Mix BYOL: ``L = L_BYOL(x', x'') + lam L_m(x_m, x'') + (1 - lam) L_m(flip(x_m), x'')`` (Un-Mix, Eq. 5).

    ``L_m`` is BYOL's symmetric loss on the pair (mixture, second view), as Algorithm 1's ``model([x[1],
    mixed])``: the mixture's prediction regresses to the clean target of each parent, and each second view's
    prediction to the target of each mixture containing it, with the mixture weights; the reversed order
    re-indexes the mixed features (:mod:`.base_mix_ssl`). One extra online and one extra target forward.

    Args:
        mix_policy: mixing policy config; default Un-Mix's (``P = 0.5``, ``alpha = 1``).
        pairing: ``'flip'`` (the paper's) or ``'random'``.
        **kwargs: upstream :class:`mmpretrain.models.BYOL` arguments.
    """
    symmetric_scale = 2.0

    def __init__(self, *args, mix_policy: Union[dict, BaseMixPolicy] = None, pairing: str = 'flip',
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_mixing(mix_policy or unmix_policy(), pairing)
        self.init_cosine_form()

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        img_v1, img_v2 = inputs[0], inputs[1]
        mix = self.mix_batch(img_v1)
        p1, p2, p_m = (self.predict(self.project(img)) for img in (img_v1, img_v2, mix.mixed))
        with torch.no_grad():
            self.target_net.update_parameters(nn.Sequential(self.backbone, self.neck))
            t1, t2, t_m = (self.target_net(img)[0] for img in (img_v1, img_v2, mix.mixed))
        loss_ori = self.cosine_term(p1, t2, t2, 1.0) + self.cosine_term(p2, t1, t1, 1.0)
        inverse = inverse_pairing(mix.index)
        loss_mix = (self.two_parent_term(p_m, t2, mix.index, mix.lam, 1 - mix.lam)
                    + self.two_parent_term(p2, t_m, inverse, mix.lam, 1 - mix.lam[inverse]))
        return dict(loss_ori=self.symmetric_scale * loss_ori, loss_mix=self.symmetric_scale * loss_mix)
