"""Self-supervised SAMix / AMix on a MoCo v2 base: SAMix-I, SAMix-C, AMix-I, AMix-C (:class:`SAMixMoCo`) and
SAMix^P (:class:`SAMixPMoCo`).

SAMix (Li et al., "Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021,
arXiv:2111.15454), sec. 3.1, 3.2, A.2, A.4; AMix ("Improving Discriminative Visual Representation Learning via Automatic
Mixup", anonymous ICLR 2022 submission, no arXiv id), sec. 3.1, 3.3; ``docs/methods.md#samix-i-and-samix-c`` and
``docs/methods.md#pre-trained-mixer-samixp``. With ``q = f_q(x^q)``, ``k = f_k(x^k)`` (momentum encoder, L2-normalised)
and the queue of clean keys:

- online loss: ``L_theta = w_clean * infoNCE(q, k, queue) + w_mix * L_NCE(q_m, k_i, k_pi(i))`` where
  ``q_m = f_q(x_m^1)`` and ``x_m^1 = s^1 x^q + (1 - s^1) x^q[pi_1]`` with the Mixer's mask DETACHED;
  ``L_NCE = -lam log softmax_t(q_m . [k_i, queue])[k_i] - (1 - lam) log softmax_t(q_m . [k_j, queue])[k_j]``
  (AMix, Eq. 4; ``mix_loss=dict(type='MixupInfoNCELoss')``). Cross-view: the mixture is made of query views,
  its positives are the key views (AMix, sec. 3.1).
- Mixer loss on ``x_m^2`` (second draw ``lam_2``, ``pi_2``) through the frozen momentum encoder,
  ``z_m = f_k(x_m^2)``: ``l_local + eta * l_global + beta * L_mask`` with the registered losses
  ``loss_local`` / ``loss_global``:
  SAMix-I: InstanceBCELoss + eta * MixupInfoNCELoss on the keys            (SAMix, sec. 3.1, eta = 0.5)
  SAMix-C: PairwiseBCELoss + eta * MixupSoftCrossEntropyLoss on ``g(z_m)``  (pseudo labels ``y`` of an ODC
           memory, cluster head g)
  AMix-I:  InstanceBCELoss + MixupInfoNCELoss (eta = 1);  AMix-C: InstanceBCELoss + MixupSoftCrossEntropyLoss
           (eta = 1)  (AMix, sec. 3.3).
- SAMix-C also trains the cluster head on the clean keys: ``CE(g(sg(k)), y)``; the memory stores the keys.
- SAMix^P: a frozen pre-trained Mixer (``mix_policy=dict(type='PretrainedMixerPolicy', ...)``) makes ``x_m^1``,
  no Mixer loss (SAMix, sec. 3.2); the online loss is the same.
"""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmpretrain.models import MoCo
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from ..mixing.policies import BaseMixPolicy, build_mix_policy
from ..utils import ClusterMemory, stage_features
from .base_mix_ssl import MixMoCoMixin
from .samix_base import MomentumCoefficientMixin, OnlineMixerMixin, frozen_linear

#: what the Mixer losses of :class:`SAMixMoCo` may read: keys (and the queue) or cluster logits and labels
MOCO_MIXER_INPUTS = (('embedding', 'keys'), ('embedding', 'keys', 'queue'), ('logits', 'labels'))


class MixedQueryMoCoMixin(MixMoCoMixin):
    """The online loss of SAMix on MoCo: ``w_clean * infoNCE(q, k) + w_mix * mix_loss(q_m; k_i, k_pi(i))``.

    Args (of both algorithms):
        clean_loss_weight: weight of MoCo's own term on the clean queries (1 in SAMix and SAMix^P, whose
            pre-trained Mixer only replaces the online one, SAMix, sec. 3.2); 0 skips the clean forward (an
            option: the mixtures replace the queries, one online forward instead of two).
        mix_loss_weight: weight ``w_mix`` of the mixed term, > 0.
        mix_loss: mixture loss config of the mixed term (see :class:`MixMoCoMixin`), default
            ``dict(type='MixupInfoNCELoss')`` (AMix, Eq. 4).
    """

    def init_online_loss(self, clean_loss_weight: float, mix_loss_weight: float,
                         mix_loss: Optional[dict]) -> None:
        if not clean_loss_weight >= 0 or not mix_loss_weight > 0:
            raise ValueError(f'clean_loss_weight must be >= 0 and mix_loss_weight > 0, got '
                             f'{clean_loss_weight}, {mix_loss_weight}')
        self.clean_loss_weight = clean_loss_weight
        self.mix_loss_weight = mix_loss_weight
        self.init_mix_loss(mix_loss or dict(type='MixupInfoNCELoss'))

    def online_losses(self, im_q: torch.Tensor, keys: torch.Tensor, online) -> Dict[str, torch.Tensor]:
        """``loss`` (the clean MoCo term, unless ``clean_loss_weight`` is 0) and ``loss_mix`` of the mixtures
        ``online`` of the query views ``im_q`` against the keys ``keys``."""
        losses = dict()
        if self.clean_loss_weight > 0:
            losses['loss'] = self.clean_loss_weight * self.moco_term(self.query(im_q), keys, self.queue)
        q_m = self.query(online.mixed)
        losses['loss_mix'] = self.mix_loss_weight * self.mixed_moco_term(q_m, keys, online, self.queue)
        return losses


@MODELS.register_module()
class SAMixMoCo(OnlineMixerMixin, MixedQueryMoCoMixin, MoCo):
    """MoCo v2 with an online-trained Mixer: SAMix-I / -C, AMix-I / -C.

    Args:
        *args, **kwargs: upstream :class:`mmpretrain.models.MoCo` arguments (``backbone``, ``neck``, ``head``,
            ``queue_len``, ``feat_dim``, ``momentum`` = ``1 - m``, ...); ``m`` is scheduled as
            ``momentum_coefficient`` (:class:`MomentumCoefficientMixin`).
        mixer: Mixer config (``SAMixMixer`` / ``AutoMixBlock``) with ``in_channels`` = channels of stage
            ``mixer_stage``.
        mixer_stage: 0-based stage of the momentum backbone that feeds the Mixer (paper ``l = 3`` -> 2).
        alpha: ``lam ~ Beta(alpha, alpha)`` (SAMix: 2).
        pairing: ``'random'`` or ``'flip'``.
        clean_loss_weight, mix_loss_weight, mix_loss: the online loss (:class:`MixedQueryMoCoMixin`).
        eta: weight of the global term of the Mixer loss.
        mask_loss_weight: ``beta`` (0.1, scheduled to 0 by ``AttrScheduleHook(attr='mask_loss_weight')``).
        loss_local: mixture loss config of the Mixer's local term, or None (no local term): on the keys
            ``dict(type='InstanceBCELoss')`` (SAMix-I, AMix), on the clusters ``dict(type='PairwiseBCELoss')``
            (SAMix-C). A temperature loss's ``temperature`` defaults to the head's.
        loss_global: the global term: ``dict(type='MixupInfoNCELoss')`` (instance) or
            ``dict(type='MixupSoftCrossEntropyLoss')`` (cluster).
        clustering: ``ClusterMemory`` arguments (``num_samples`` required, ``num_clusters`` = 200, ...) --
            required when a Mixer loss reads cluster logits and labels; ``ClusterMemoryInitHook`` (enabled by
            the SAMix-C configs) clusters the memory before the first iteration, as ODC does.
        cluster_head: ``ClusterHead`` config; ``in_channels`` / ``num_clusters`` default to ``feat_dim`` and
            the clustering's ``num_clusters``.
    """

    def __init__(self,
                 *args,
                 mixer: dict,
                 mixer_stage: int = 2,
                 alpha: float = 2.0,
                 pairing: str = 'random',
                 clean_loss_weight: float = 1.0,
                 mix_loss_weight: float = 1.0,
                 mix_loss: Optional[dict] = None,
                 eta: float = 0.5,
                 mask_loss_weight: float = 0.1,
                 loss_local: Optional[dict] = dict(type='InstanceBCELoss'),
                 loss_global: dict = dict(type='MixupInfoNCELoss'),
                 clustering: Optional[dict] = None,
                 cluster_head: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_online_mixing(mixer, mixer_stage, alpha, pairing, eta, mask_loss_weight, loss_local,
                                loss_global, MOCO_MIXER_INPUTS, self.head.temperature)
        self.init_online_loss(clean_loss_weight, mix_loss_weight, mix_loss)
        uses_clusters = any(loss is not None and 'labels' in loss.inputs
                            for loss in (self.loss_local, self.loss_global))
        if uses_clusters and clustering is None:
            raise ValueError('clustering (dict with num_samples, num_clusters, ...) is required by Mixer losses '
                             'on cluster labels, got loss_local='
                             f'{loss_local!r}, loss_global={loss_global!r} and clustering=None')
        self.memory = None
        self.cluster_head = None
        if uses_clusters:
            feat_dim = self.queue.size(0)
            self.memory = ClusterMemory(feat_dim=feat_dim, **clustering)
            head_cfg = dict(type='ClusterHead', in_channels=feat_dim, num_clusters=self.memory.num_clusters)
            head_cfg.update(cluster_head or {})
            self.cluster_head = MODELS.build(head_cfg)

    def momentum_backbone(self) -> nn.Module:
        """The backbone of MoCo's momentum encoder ``encoder_k = EMA(Sequential(backbone, neck))``."""
        return self.encoder_k.module[0]

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        im_q, im_k = inputs[0], inputs[1]
        with torch.no_grad():
            self.update_key_encoder()
            keys = self.keys(im_k)
            mixer_feat = stage_features(self.momentum_backbone(), im_q, self.mixer_stage)
        online, mixer_branch, loss_mask = self.mixer_masks(mixer_feat, im_q)
        losses = self.online_losses(im_q, keys, online)
        losses.update(self.mixer_branch_losses(mixer_branch, loss_mask, keys, data_samples))
        self.enqueue(keys, self.queue, self.queue_ptr)
        return losses

    def mixer_branch_losses(self, mixer_branch, loss_mask: torch.Tensor, keys: torch.Tensor,
                            data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Mixer loss on ``x_m^2`` through the frozen momentum encoder (gradient reaches the Mixer through the
        image); SAMix-C also trains the cluster head on the clean keys and updates the memory."""
        losses = dict()
        z_m = F.normalize(self.encoder_k(mixer_branch.mixed)[0], dim=1)
        logits = labels = None
        if self.memory is not None:
            sample_idx = self.memory.index_tensor([s.sample_idx for s in data_samples])
            labels = self.memory.pseudo_labels(sample_idx).to(keys.device)
            logits = frozen_linear(self.cluster_head.fc, z_m)
            losses['loss_cluster'] = self.cluster_head.loss(keys, labels)
            self.memory.update(keys, sample_idx)
        local, global_ = self.mixer_terms(mixer_branch, embedding=z_m, keys=keys,
                                          queue=self.queue.clone().detach().t(), logits=logits, labels=labels)
        losses['loss_mixer'] = self.mixer_loss(local, global_, loss_mask)
        return losses


@MODELS.register_module()
class SAMixPMoCo(MomentumCoefficientMixin, MixedQueryMoCoMixin, MoCo):
    """SAMix^P on MoCo v2: SAMix's online loss on the mixtures of a fixed mixing policy, typically a frozen
    pre-trained Mixer (``dict(type='PretrainedMixerPolicy', checkpoint=...)``, SAMix, sec. 3.2); no Mixer loss.

    Args:
        *args, **kwargs: upstream :class:`mmpretrain.models.MoCo` arguments; ``m`` is scheduled as
            ``momentum_coefficient`` (:class:`MomentumCoefficientMixin`).
        mix_policy: the mixing policy config (``MODELS``) or a built policy; it draws its own ``lam`` and
            pairing.
        clean_loss_weight, mix_loss_weight, mix_loss: the online loss (:class:`MixedQueryMoCoMixin`).
    """

    def __init__(self,
                 *args,
                 mix_policy: Union[dict, BaseMixPolicy],
                 clean_loss_weight: float = 1.0,
                 mix_loss_weight: float = 1.0,
                 mix_loss: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mix_policy = build_mix_policy(mix_policy)
        self.init_online_loss(clean_loss_weight, mix_loss_weight, mix_loss)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        im_q, im_k = inputs[0], inputs[1]
        with torch.no_grad():
            self.update_key_encoder()
            keys = self.keys(im_k)
        losses = self.online_losses(im_q, keys, self.mix_policy(im_q))
        self.enqueue(keys, self.queue, self.queue_ptr)
        return losses
