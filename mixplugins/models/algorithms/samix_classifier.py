"""Supervised SAMix and AutoMix: an image classifier with a momentum copy feeding an online-trained Mixer.

SAMix (Li et al., "Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021,
arXiv:2111.15454), sec. 3.1, A.2, A.3; AMix ("Improving Discriminative Visual Representation Learning via Automatic
Mixup", anonymous ICLR 2022 submission, no arXiv id), sec. 2.2, 4.1; AutoMix (Liu et al., "AutoMix: Unveiling the Power
of Mixup for Stronger Classifiers", ECCV 2022, arXiv:2103.13027); ``docs/methods.md#supervised-samix-and-automix``:

- the momentum copy ``(f_k, g_k)`` of backbone + neck + head gives the stage-``l`` features of the clean
  batch;
- online loss: ``CE(g(f(x)), y) + w_mix * [lam CE(g(f(x_m^1)), y_i) + (1 - lam) CE(g(f(x_m^1)), y_pi(i))]``
  with  the Mixer's mask detached;
- Mixer loss on ``x_m^2`` through the frozen momentum copy, ``p = g_k(f_k(x_m^2))``:
  SAMix: ``pBCE(p; y_i, y_j) + eta * mixupCE(p) + beta * L_mask`` (eta 0.5 small data sets, 0.1 ImageNet);
  AutoMix (``AutoMixBlock``): ``mixupCE(p) + beta * L_mean`` (``loss_local=None``, ``eta=1``);
- ``predict`` evaluates the momentum (EMA) copy by default (``test_with_momentum``).
"""
from typing import List, Optional

import torch
import torch.nn as nn
from mmengine.model import ExponentialMovingAverage
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..losses import mixup_soft_cross_entropy
from ..utils import stage_features
from .samix_base import OnlineMixerMixin

#: what the Mixer losses of :class:`SAMixClassifier` may read: class logits and labels
CLASSIFIER_MIXER_INPUTS = (('logits', 'labels'), )


class BackboneNeckHead(nn.Module):
    """``head(neck(backbone(x)))`` as one module (the unit the momentum copy averages)."""

    def __init__(self, backbone: nn.Module, neck: Optional[nn.Module], head: nn.Module):
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.head = head

    def features(self, x: torch.Tensor):
        feats = self.backbone(x)
        return self.neck(feats) if self.neck is not None else feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@MODELS.register_module()
class SAMixClassifier(OnlineMixerMixin, ImageClassifier):
    """ImageClassifier trained with an online Mixer (SAMix, or AutoMix with ``AutoMixBlock``).

    Args:
        backbone, neck, head, data_preprocessor, init_cfg: as in ``ImageClassifier`` (no ``train_cfg``
            batch augments: the Mixer does the mixing).
        mixer: Mixer config, ``in_channels`` = channels of stage ``mixer_stage``.
        mixer_stage: 0-based backbone stage feeding the Mixer (paper ``l = 3`` -> 2).
        momentum: ``1 - m`` of the momentum copy, as MMEngine's ``ExponentialMovingAverage`` and MoCo take it
            (0.001; ``m`` is scheduled 0.999 -> 1 on a cosine as ``momentum_coefficient`` by
            ``AttrScheduleHook``).
        alpha: ``lam ~ Beta(alpha, alpha)`` (2).
        pairing: ``'random'`` or ``'flip'``.
        clean_loss_weight: weight of ``CE`` on the clean batch; 0 skips the clean forward (one online forward
            per step instead of two: about a third less time; not the papers' online loss).
        mix_loss_weight: weight of the online mixup CE.
        eta: global-term weight of the Mixer loss.
        mask_loss_weight: ``beta`` of ``L_mask``.
        loss_local: mixture loss config of the Mixer's local term on the class logits,
            ``dict(type='PairwiseBCELoss')`` (SAMix), or None (AutoMix).
        loss_global: the global term, ``dict(type='MixupSoftCrossEntropyLoss')``.
        test_with_momentum: ``predict`` with the momentum copy (the model SAMix / AutoMix report).
    """
    momentum_attr = 'momentum_model'

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 mixer: dict,
                 neck: Optional[dict] = None,
                 mixer_stage: int = 2,
                 momentum: float = 0.001,
                 alpha: float = 2.0,
                 pairing: str = 'random',
                 clean_loss_weight: float = 1.0,
                 mix_loss_weight: float = 1.0,
                 eta: float = 0.5,
                 mask_loss_weight: float = 0.1,
                 loss_local: Optional[dict] = dict(type='PairwiseBCELoss'),
                 loss_global: dict = dict(type='MixupSoftCrossEntropyLoss'),
                 test_with_momentum: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        super().__init__(backbone=backbone, neck=neck, head=head, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.momentum_model = ExponentialMovingAverage(BackboneNeckHead(self.backbone, self.neck, self.head),
                                                       momentum=momentum)
        self.init_online_mixing(mixer, mixer_stage, alpha, pairing, eta, mask_loss_weight, loss_local,
                                loss_global, CLASSIFIER_MIXER_INPUTS)
        self.clean_loss_weight = clean_loss_weight
        self.mix_loss_weight = mix_loss_weight
        self.test_with_momentum = test_with_momentum

    def momentum_backbone(self) -> nn.Module:
        """The backbone of the momentum copy."""
        return self.momentum_model.module.backbone

    def online_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.extract_feat(x))

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        with torch.no_grad():
            self.momentum_model.update_parameters(BackboneNeckHead(self.backbone, self.neck, self.head))
            mixer_feat = stage_features(self.momentum_backbone(), inputs, self.mixer_stage)
        online, mixer_branch, loss_mask = self.mixer_masks(mixer_feat, inputs)

        losses = dict()
        if self.clean_loss_weight > 0:
            clean = self.head.loss(self.extract_feat(inputs), data_samples)
            losses['loss'] = self.clean_loss_weight * clean.pop('loss')
            losses.update(clean)
        losses['loss_mix'] = self.mix_loss_weight * mixup_soft_cross_entropy(
            self.online_logits(online.mixed), labels, labels[online.index], online.lam)

        # frozen momentum copy: the gradient reaches the Mixer through the image only
        logits = self.momentum_model(mixer_branch.mixed)
        local, global_ = self.mixer_terms(mixer_branch, logits=logits, labels=labels)
        losses['loss_mixer'] = self.mixer_loss(local, global_, loss_mask)
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None, **kwargs):
        if not self.test_with_momentum:
            return super().predict(inputs, data_samples, **kwargs)
        feats = self.momentum_model.module.features(inputs)
        return self.momentum_model.module.head.predict(feats, data_samples, **kwargs)
