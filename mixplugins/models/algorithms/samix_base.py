"""What the online SAMix / AMix / AutoMix pipelines share (``docs/methods.md#samix-and-amix``).

SAMix (Li et al., "Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021,
arXiv:2111.15454), A.2; AMix ("Improving Discriminative Visual Representation Learning via Automatic Mixup",
anonymous ICLR 2022 submission, no arXiv id), sec. 2.2, 3.3; AutoMix (Liu et al., "AutoMix: Unveiling the Power
of Mixup for Stronger Classifiers", ECCV 2022, arXiv:2103.13027). Per iteration:

1. the momentum encoder gives the stage-``l`` feature maps ``Z^l`` of the images to mix (``l = 3``);
2. two independent draws ``(lam_1, pi_1)``, ``(lam_2, pi_2)``, ``lam ~ Beta(alpha, alpha)``; the Mixer
   predicts ``s^1`` (mixture for the online network, mask DETACHED) and ``s^2`` (mixture for the Mixer's
   own loss);
3. the online network minimises its loss on ``x_m^1``; the Mixer minimises ``L_cls + L_mask`` on ``x_m^2``
   seen through the FROZEN momentum encoder (gradient reaches the Mixer through the image, not the encoder):
   ``L_cls = l_local + eta * l_global`` (eta-balanced, SAMix, sec. 3.1), ``L_mask = beta * (L_mean + L_var)``;
4. momentum update ``theta_k <- m theta_k + (1 - m) theta_q``, ``m`` from 0.999 to 1 on a cosine curve.

Both pipelines return the two objectives as separate loss entries and rely on gradient routing instead of two
backward passes: the online loss never sees the Mixer (detached mask), the Mixer loss never reaches trainable
weights other than the Mixer's (momentum encoder frozen, head weights detached). One optimizer with a
``custom_keys={'mixer': ...}`` parameter group (no weight decay) then trains both with MMEngine's default
``train_step``; ``ModuleLrScheduleHook(module='mixer')`` gives that group its own lr schedule.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torch import Tensor, nn

from ..losses import build_mixture_loss, eta_balanced
from ..mixing import MixResult, pair_indices, sample_lambda
from ..mixing.functional import PAIRING_MODES, check_alpha, mix_with_mask
from ..utils import check_stage_backbone


def frozen_linear(layer: torch.nn.Linear, x: Tensor) -> Tensor:
    """``layer(x)`` with the weights detached: gradient flows to ``x`` only."""
    bias = layer.bias.detach() if layer.bias is not None else None
    return F.linear(x, layer.weight.detach(), bias)


class MomentumCoefficientMixin:
    """``momentum_coefficient``: ``m`` of the momentum update ``theta_k <- m theta_k + (1 - m) theta_q`` of the
    MMEngine ``ExponentialMovingAverage`` named ``momentum_attr``, which stores ``momentum = 1 - m`` (the
    constructor's ``momentum``, as upstream MoCo's). The SAMix configs schedule it from its initial value to 1 on
    a cosine curve (``AttrScheduleHook(attr='momentum_coefficient', curve='cosine')``)."""
    momentum_attr = 'encoder_k'

    @property
    def momentum_coefficient(self) -> float:
        """``m`` in ``theta_k <- m theta_k + (1 - m) theta_q`` (MMEngine's EMA stores ``1 - m``)."""
        return 1.0 - getattr(self, self.momentum_attr).momentum

    @momentum_coefficient.setter
    def momentum_coefficient(self, value: float) -> None:
        if not 0 <= value <= 1:
            raise ValueError(f'momentum_coefficient must lie in [0, 1], got {value}')
        getattr(self, self.momentum_attr).momentum = 1.0 - float(value)


class OnlineMixerMixin(MomentumCoefficientMixin):
    """Online-trained Mixer shared by :class:`SAMixMoCo` and :class:`SAMixClassifier`.

    The algorithm gives :meth:`momentum_backbone`, the momentum encoder's backbone whose stage
    ``mixer_stage`` feeds the Mixer (the exported SAMix^P file holds it, see
    :func:`~mixplugins.models.mixing.export_pretrained_mixer`).

    Attributes set by :meth:`init_online_mixing` and read by the hooks:
        mask_loss_weight: ``beta`` of ``L_mask`` (scheduled 0.1 -> 0 by ``AttrScheduleHook``).
        momentum_coefficient: see :class:`MomentumCoefficientMixin`.
    """

    def momentum_backbone(self) -> nn.Module:
        """The backbone of the momentum encoder."""
        raise NotImplementedError

    def init_online_mixing(self, mixer: dict, mixer_stage: int, alpha: float, pairing: str, eta: float,
                           mask_loss_weight: float, loss_local: Optional[dict], loss_global: dict,
                           inputs: Sequence[Tuple[str, ...]], temperature: Optional[float] = None) -> None:
        """Build the Mixer and its loss terms ``loss_local`` (or None: no local term) and ``loss_global``,
        registered mixture losses reading one of ``inputs`` (a temperature loss's ``temperature`` defaults to
        ``temperature``)."""
        if not isinstance(mixer, dict):
            raise ValueError(f'mixer must be a Mixer config (SAMixMixer / AutoMixBlock), got {mixer!r}')
        check_alpha(alpha)
        if pairing not in PAIRING_MODES:
            raise ValueError(f'pairing must be one of {PAIRING_MODES}, got {pairing!r}')
        if not eta >= 0:
            raise ValueError(f'eta must be >= 0 (L_cls = local + eta * global), got {eta}')
        if not mask_loss_weight >= 0:
            raise ValueError(f'mask_loss_weight must be >= 0 (beta of L_mask), got {mask_loss_weight}')
        check_stage_backbone(self.momentum_backbone(), mixer_stage)
        self.alpha = alpha
        self.pairing = pairing
        self.eta = eta
        self.mask_loss_weight = float(mask_loss_weight)
        self.mixer_stage = mixer_stage
        self.mixer = MODELS.build(mixer)
        self.loss_local = (build_mixture_loss(loss_local, 'loss_local', inputs, temperature)
                           if loss_local is not None else None)
        self.loss_global = build_mixture_loss(loss_global, 'loss_global', inputs, temperature)

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
        """``L_phi = l_local + eta * l_global + beta * mean_i(L_mean,i + L_var,i)`` (SAMix, sec. 3.1, A.2).

        Without a local term (AutoMix) ``l_local = 0``.
        """
        cls_loss = eta_balanced(local, global_, self.eta) if local is not None else self.eta * global_
        return cls_loss + self.mask_loss_weight * loss_mask.mean()

    def mixer_terms(self, mix: MixResult, **named: Tensor) -> Tuple[Optional[Tensor], Tensor]:
        """``(l_local, l_global)`` of the Mixer's mixtures ``mix`` (``l_local`` None without a local term), each
        reading its inputs from ``named`` (``embedding``, ``keys``, ``queue``, ``logits``, ``labels``; see
        :class:`~mixplugins.models.losses.MixtureLoss`)."""
        local = (self.loss_local.for_pairing(mix.index, mix.lam, **named)
                 if self.loss_local is not None else None)
        return local, self.loss_global.for_pairing(mix.index, mix.lam, **named)
