"""What the online SAMix / AMix / AutoMix pipelines share (spec ``methods.md`` sections 4-6).

SAMix ``004_efcde85b9ca00546.txt`` A.2 (AMix ``001_3cc5f7e0294eb80a.txt`` sec. 2.2, 3.3), per iteration:

1. the momentum encoder gives the stage-``l`` feature maps ``Z^l`` of the images to mix (``l = 3``);
2. two independent draws ``(lam_1, pi_1)``, ``(lam_2, pi_2)``, ``lam ~ Beta(alpha, alpha)``; the Mixer
   predicts ``s^1`` (mixture for the online network, mask DETACHED) and ``s^2`` (mixture for the Mixer's
   own loss);
3. the online network minimises its loss on ``x_m^1``; the Mixer minimises ``L_cls + L_mask`` on ``x_m^2``
   seen through the FROZEN momentum encoder (gradient reaches the Mixer through the image, not the encoder):
   ``L_cls = l_local + eta * l_global`` (eta-balanced, 004 sec. 3.1), ``L_mask = beta * (L_mean + L_var)``;
4. momentum update ``theta_k <- m theta_k + (1 - m) theta_q``, ``m`` from 0.999 to 1 on a cosine curve.

Both pipelines return the two objectives as separate loss entries and rely on gradient routing instead of two
backward passes: the online loss never sees the Mixer (detached mask), the Mixer loss never reaches trainable
weights other than the Mixer's (momentum encoder frozen, head weights detached). One optimizer with a
``custom_keys={'mixer': ...}`` parameter group (no weight decay) then trains both with MMEngine's default
``train_step``; ``ModuleLrScheduleHook(module='mixer')`` gives that group its own lr schedule.
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor

from ..losses import eta_balanced, instance_bce, mixup_infonce, mixup_soft_cross_entropy, pairwise_bce
from ..mixing import MixResult, pair_indices, sample_lambda
from ..mixing.functional import PAIRING_MODES, check_alpha, mix_with_mask
from ..mixing.policies import build_mix_policy
from ..utils import check_stage_backbone

LOCAL_LOSSES = ('bce', 'pbce', None)
GLOBAL_LOSSES = ('infonce', 'ce')


def frozen_linear(layer: torch.nn.Linear, x: Tensor) -> Tensor:
    """``layer(x)`` with the weights detached: gradient flows to ``x`` only."""
    bias = layer.bias.detach() if layer.bias is not None else None
    return F.linear(x, layer.weight.detach(), bias)


class OnlineMixerMixin:
    """Mixer / fixed-policy handling shared by :class:`SAMixMoCo` and :class:`SAMixClassifier`.

    Attributes set by :meth:`init_online_mixing` and read by the hooks:
        mask_loss_weight: ``beta`` of ``L_mask`` (scheduled 0.1 -> 0 by ``AttrScheduleHook``).
        momentum_coefficient: ``m`` of the momentum update (scheduled 0.999 -> 1, cosine); stored in the
            momentum encoder as MMEngine's ``momentum = 1 - m``.
    """
    momentum_attr = 'encoder_k'

    def init_online_mixing(self, mixer: Optional[dict], mix_policy: Optional[dict], mixer_stage: int,
                           alpha: float, pairing: str, eta: float, mask_loss_weight: float,
                           mixer_local_loss: Optional[str], mixer_global_loss: str, backbone) -> None:
        if (mixer is None) == (mix_policy is None):
            raise ValueError('exactly one of mixer (learned Mixer, online SAMix / AutoMix) and mix_policy '
                             '(fixed policy, e.g. PretrainedMixerPolicy for SAMix^P) must be given, got '
                             f'mixer={mixer!r}, mix_policy={mix_policy!r}')
        check_alpha(alpha)
        if pairing not in PAIRING_MODES:
            raise ValueError(f'pairing must be one of {PAIRING_MODES}, got {pairing!r}')
        if mixer_local_loss not in LOCAL_LOSSES:
            raise ValueError(f'mixer_local_loss must be one of {LOCAL_LOSSES}, got {mixer_local_loss!r}')
        if mixer_global_loss not in GLOBAL_LOSSES:
            raise ValueError(f'mixer_global_loss must be one of {GLOBAL_LOSSES}, got {mixer_global_loss!r}')
        if not eta >= 0:
            raise ValueError(f'eta must be >= 0 (L_cls = local + eta * global), got {eta}')
        if not mask_loss_weight >= 0:
            raise ValueError(f'mask_loss_weight must be >= 0 (beta of L_mask), got {mask_loss_weight}')
        self.alpha = alpha
        self.pairing = pairing
        self.eta = eta
        self.mask_loss_weight = float(mask_loss_weight)
        self.mixer_local_loss = mixer_local_loss
        self.mixer_global_loss = mixer_global_loss
        self.mixer_stage = mixer_stage
        if mixer is not None:
            check_stage_backbone(backbone, mixer_stage)
            self.mixer = MODELS.build(mixer)
            self.mix_policy = None
        else:
            self.mixer = None
            self.mix_policy = build_mix_policy(mix_policy)

    @property
    def momentum_coefficient(self) -> float:
        """``m`` in ``theta_k <- m theta_k + (1 - m) theta_q`` (MMEngine's EMA stores ``1 - m``)."""
        return 1.0 - getattr(self, self.momentum_attr).momentum

    @momentum_coefficient.setter
    def momentum_coefficient(self, value: float) -> None:
        if not 0 <= value <= 1:
            raise ValueError(f'momentum_coefficient must lie in [0, 1], got {value}')
        getattr(self, self.momentum_attr).momentum = 1.0 - float(value)

    def draw_mixing(self, batch_size: int, device) -> Tuple[Tensor, Tensor]:
        """One ``(lam, pi)`` draw: ``lam ~ Beta(alpha, alpha)`` (one per batch) as Tensor[N], pairing
        ``pi``."""
        lam = sample_lambda(self.alpha, 1, device=device).expand(batch_size)
        return lam, pair_indices(batch_size, self.pairing, device=device)

    def mixer_masks(self, feat: Tensor, images: Tensor) -> Tuple[MixResult, MixResult, Tensor]:
        """Two Mixer mixtures of ``images`` from their stage features ``feat`` (one Mixer call on 2N pairs).

        Returns ``(online, mixer_branch, loss_mask)``: ``online`` has the DETACHED mask of draw 1, adjusted to
        its own ``lam_1`` (with the Mixer's ``lam_adjust``: ``lam_source='mask_mean'``; AutoMix's block is not
        adjusted and, as in AutoMix, the losses use the drawn ``lam``: ``lam_source='drawn'``);
        ``mixer_branch`` keeps the graph to the Mixer (draw 2); ``loss_mask`` is the per-sample ``L_mean +
        L_var`` of draw 2 (Tensor[N], unweighted).
        """
        n = images.size(0)
        lam_1, index_1 = self.draw_mixing(n, images.device)
        lam_2, index_2 = self.draw_mixing(n, images.device)
        out = self.mixer(torch.cat([feat, feat]), torch.cat([lam_1, lam_2]),
                         torch.cat([index_1, index_2 + n]), tuple(images.shape[-2:]))
        mask_1, mask_2 = out['mask'][:n].detach(), out['mask'][n:]
        lam_source = 'mask_mean' if self.mixer.lam_adjust else 'drawn'
        online = MixResult(mix_with_mask(images, mask_1, index_1), lam_1, index_1, mask_1, lam_source)
        mixer_branch = MixResult(mix_with_mask(images, mask_2, index_2), lam_2, index_2, mask_2, lam_source)
        return online, mixer_branch, out['loss_mask'][n:]

    def mixer_loss(self, local: Optional[Tensor], global_: Tensor, loss_mask: Tensor) -> Tensor:
        """``L_phi = l_local + eta * l_global + beta * mean_i(L_mean,i + L_var,i)`` (004 sec. 3.1, A.2).

        Without a local term (AutoMix) ``l_local = 0``.
        """
        cls_loss = eta_balanced(local, global_, self.eta) if local is not None else self.eta * global_
        return cls_loss + self.mask_loss_weight * loss_mask.mean()

    def local_global_terms(self, z_m: Tensor, lam: Tensor, index: Tensor, keys: Optional[Tensor] = None,
                           queue: Optional[Tensor] = None, temperature: float = 1.0,
                           logits: Optional[Tensor] = None,
                           labels: Optional[Tensor] = None) -> Tuple[Optional[Tensor], Tensor]:
        """The configured ``(l_local, l_global)`` of the Mixer mixture (spec sec. 5).

        bce: instance BCE of ``z_m`` against the keys ``k_i``, ``k_pi(i)``; pbce: class pBCE of ``logits``
        over ``labels``, ``labels[pi]``; infonce: mixup infoNCE against ``[k_i, queue]`` /
        ``[k_pi(i), queue]``; ce: mixup CE of ``logits``.
        """
        local = None
        if self.mixer_local_loss == 'bce':
            local = instance_bce(z_m, keys, keys[index], lam, temperature)
        elif self.mixer_local_loss == 'pbce':
            local = pairwise_bce(logits, labels, labels[index], lam)
        if self.mixer_global_loss == 'infonce':
            global_ = mixup_infonce(z_m, keys, keys[index], queue, lam, temperature)
        else:
            global_ = mixup_soft_cross_entropy(logits, labels, labels[index], lam)
        return local, global_
