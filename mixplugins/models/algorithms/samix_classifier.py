"""Supervised SAMix and AutoMix: an image classifier with a momentum copy feeding an online-trained Mixer.

SAMix ``004_efcde85b9ca00546.txt`` sec. 3.1, A.2, A.3; AMix ``001_3cc5f7e0294eb80a.txt`` sec. 2.2, 4.1; spec
``methods.md`` sections 4-6:

- the momentum copy ``(f_k, g_k)`` of backbone + neck + head gives the stage-``l`` features of the clean
  batch;
- online loss: ``CE(g(f(x)), y) + w_mix * [lam CE(g(f(x_m^1)), y_i) + (1 - lam) CE(g(f(x_m^1)), y_pi(i))]``
  with  the Mixer's mask detached;
- Mixer loss on ``x_m^2`` through the frozen momentum copy, ``p = g_k(f_k(x_m^2))``:
  SAMix: ``pBCE(p; y_i, y_j) + eta * mixupCE(p) + beta * L_mask`` (eta 0.5 small data sets, 0.1 ImageNet);
  AutoMix (``AutoMixBlock``): ``mixupCE(p) + beta * L_mean`` (``mixer_local_loss=None``, ``eta=1``);
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
        momentum_coefficient: initial ``m`` of the momentum copy (0.999 -> 1 cosine via ``AttrScheduleHook``).
        alpha: ``lam ~ Beta(alpha, alpha)`` (2).
        pairing: ``'random'`` or ``'flip'``.
        clean_loss_weight: weight of ``CE`` on the clean batch; 0 skips the clean forward (one online forward
            per step instead of two: about a third less time, off the spec's online loss).
        mix_loss_weight: weight of the online mixup CE.
        eta: global-term weight of the Mixer loss.
        mask_loss_weight: ``beta`` of ``L_mask``.
        mixer_local_loss: ``'pbce'`` (SAMix) or None (AutoMix).
        mixer_global_loss: ``'ce'``.
        test_with_momentum: ``predict`` with the momentum copy (the model SAMix / AutoMix report).
    """
    momentum_attr = 'momentum_model'
    momentum_backbone_prefix = 'momentum_model.module.backbone.'

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 mixer: dict,
                 neck: Optional[dict] = None,
                 mixer_stage: int = 2,
                 momentum_coefficient: float = 0.999,
                 alpha: float = 2.0,
                 pairing: str = 'random',
                 clean_loss_weight: float = 1.0,
                 mix_loss_weight: float = 1.0,
                 eta: float = 0.5,
                 mask_loss_weight: float = 0.1,
                 mixer_local_loss: Optional[str] = 'pbce',
                 mixer_global_loss: str = 'ce',
                 test_with_momentum: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None):
        if mixer_local_loss not in ('pbce', None) or mixer_global_loss != 'ce':
            raise ValueError("supervised Mixer losses: mixer_local_loss must be 'pbce' or None and "
                             f"mixer_global_loss 'ce', got {mixer_local_loss!r}, {mixer_global_loss!r}")
        super().__init__(backbone=backbone, neck=neck, head=head, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.momentum_model = ExponentialMovingAverage(BackboneNeckHead(self.backbone, self.neck, self.head),
                                                       momentum=1.0 - momentum_coefficient)
        self.momentum_coefficient = momentum_coefficient
        self.init_online_mixing(mixer, None, mixer_stage, alpha, pairing, eta, mask_loss_weight,
                                mixer_local_loss, mixer_global_loss, self.backbone)
        self.clean_loss_weight = clean_loss_weight
        self.mix_loss_weight = mix_loss_weight
        self.test_with_momentum = test_with_momentum

    def online_logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.extract_feat(x))

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        with torch.no_grad():
            self.momentum_model.update_parameters(BackboneNeckHead(self.backbone, self.neck, self.head))
            mixer_feat = stage_features(self.momentum_model.module.backbone, inputs, self.mixer_stage)
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
        local, global_ = self.local_global_terms(None, mixer_branch.lam, mixer_branch.index, logits=logits,
                                                 labels=labels)
        losses['loss_mixer'] = self.mixer_loss(local, global_, loss_mask)
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None, **kwargs):
        if not self.test_with_momentum:
            return super().predict(inputs, data_samples, **kwargs)
        feats = self.momentum_model.module.features(inputs)
        return self.momentum_model.module.head.predict(feats, data_samples, **kwargs)
