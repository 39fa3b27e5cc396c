"""Self-supervised SAMix / AMix on a MoCo v2 base: SAMix-I, SAMix-C, AMix-I, AMix-C and SAMix^P.

SAMix ``004_efcde85b9ca00546.txt`` sec. 3.1, A.2, A.4; AMix ``001_3cc5f7e0294eb80a.txt`` sec. 3.1, 3.3; spec
``methods.md`` sections 4-6. With ``q = f_q(x^q)``, ``k = f_k(x^k)`` (momentum encoder, L2-normalised) and the
queue of clean keys:

- online loss: ``L_theta = w_clean * infoNCE(q, k, queue) + w_mix * L_NCE(q_m, k_i, k_pi(i))`` where
  ``q_m = f_q(x_m^1)`` and ``x_m^1 = s^1 x^q + (1 - s^1) x^q[pi_1]`` with the Mixer's mask DETACHED;
  ``L_NCE = -lam log softmax_t(q_m . [k_i, queue])[k_i] - (1 - lam) log softmax_t(q_m . [k_j, queue])[k_j]``
  (001 Eq. 4). Cross-view: the mixture is made of query views, its positives are the key views (001 sec. 3.1).
- Mixer loss on ``x_m^2`` (second draw ``lam_2``, ``pi_2``) through the frozen momentum encoder,
  ``z_m = f_k(x_m^2)``: ``l_local + eta * l_global + beta * L_mask`` with
  SAMix-I: BCE(z_m; k_i, k_j) + eta * L_NCE(z_m)         (004 sec. 3.1, eta = 0.5)
  SAMix-C: pBCE(g(z_m); y_i, y_j) + eta * mixupCE(g(z_m))  (pseudo labels ``y`` of an ODC memory,
           cluster head g)
  AMix-I:  BCE + L_NCE (eta = 1);  AMix-C: BCE + mixupCE (eta = 1)  (001 sec. 3.3).
- SAMix-C also trains the cluster head on the clean keys: ``CE(g(sg(k)), y)``; the memory stores the keys.
- SAMix^P: ``mix_policy=dict(type='PretrainedMixerPolicy', ...)`` instead of ``mixer`` -- a frozen pre-trained
  Mixer makes ``x_m^1``, no Mixer loss (004 sec. 3.2). Any other registered policy works the same way.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmpretrain.models import MoCo
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import ClusterMemory, stage_features
from .base_mix_ssl import MixMoCoMixin
from .samix_base import OnlineMixerMixin, frozen_linear


@MODELS.register_module()
class SAMixMoCo(OnlineMixerMixin, MixMoCoMixin, MoCo):
    """MoCo v2 with an online-trained Mixer (SAMix-I / -C, AMix-I / -C) or a fixed mixing policy (SAMix^P).

    The query / key / MoCo-term helpers are the shared ones of :class:`MixMoCoMixin` (Un-Mix / BSIM), with the
    mixed term in its ``'separate'`` form (mixup infoNCE, 001 Eq. 4).

    Args:
        backbone, neck, head, queue_len, feat_dim, data_preprocessor, init_cfg: as in mmpretrain's ``MoCo``.
        mixer: Mixer config (``SAMixMixer`` / ``AutoMixBlock``) with ``in_channels`` = channels of stage
            ``mixer_stage``; or None when ``mix_policy`` is given.
        mix_policy: a fixed mixing policy config (``PretrainedMixerPolicy`` for SAMix^P, or e.g.
            ``MixupPolicy``).
        mixer_stage: 0-based stage of the momentum backbone that feeds the Mixer (paper ``l = 3`` -> 2).
        momentum_coefficient: initial ``m`` of ``theta_k <- m theta_k + (1 - m) theta_q`` (0.999; scheduled
            to 1 by ``AttrScheduleHook(attr='momentum_coefficient', curve='cosine')``).
        alpha: ``lam ~ Beta(alpha, alpha)`` (SAMix: 2).
        pairing: ``'random'`` or ``'flip'``.
        clean_loss_weight: weight of MoCo's own term on the clean queries (1 in SAMix and SAMix^P, whose
            pre-trained Mixer only replaces the online one, 004 sec. 3.2); 0 skips the clean forward (an
            option: the mixtures replace the queries, one online forward instead of two).
        mix_loss_weight: weight ``w_mix`` of the online mixup infoNCE.
        eta: weight of the global term of the Mixer loss.
        mask_loss_weight: ``beta`` (0.1, scheduled to 0 by ``AttrScheduleHook(attr='mask_loss_weight')``).
        mixer_local_loss: ``'bce'`` (instance), ``'pbce'`` (cluster) or None.
        mixer_global_loss: ``'infonce'`` (instance) or ``'ce'`` (cluster).
        clustering: ``ClusterMemory`` arguments (``num_samples`` required, ``num_clusters`` = 200, ...) --
            required when a cluster loss (``'pbce'`` / ``'ce'``) is selected; ``ClusterMemoryInitHook``
            (enabled by the SAMix-C configs) clusters the memory before the first iteration, as ODC does.
        cluster_head: ``ClusterHead`` config; ``in_channels`` / ``num_clusters`` default to ``feat_dim`` and
            the clustering's ``num_clusters``.
    """
    momentum_backbone_prefix = 'encoder_k.module.0.'

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 mixer: Optional[dict] = None,
                 mix_policy: Optional[dict] = None,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 mixer_stage: int = 2,
                 momentum_coefficient: float = 0.999,
                 alpha: float = 2.0,
                 pairing: str = 'random',
                 clean_loss_weight: float = 1.0,
                 mix_loss_weight: float = 1.0,
                 eta: float = 0.5,
                 mask_loss_weight: float = 0.1,
                 mixer_local_loss: Optional[str] = 'bce',
                 mixer_global_loss: str = 'infonce',
                 clustering: Optional[dict] = None,
                 cluster_head: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            queue_len=queue_len,
            feat_dim=feat_dim,
            momentum=1.0 - momentum_coefficient,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.momentum_coefficient = momentum_coefficient
        self.init_online_mixing(mixer, mix_policy, mixer_stage, alpha, pairing, eta, mask_loss_weight,
                                mixer_local_loss, mixer_global_loss, self.backbone)
        self.init_mix_loss('separate')
        if not clean_loss_weight >= 0 or not mix_loss_weight > 0:
            raise ValueError(f'clean_loss_weight must be >= 0 and mix_loss_weight > 0, got '
                             f'{clean_loss_weight}, {mix_loss_weight}')
        self.clean_loss_weight = clean_loss_weight
        self.mix_loss_weight = mix_loss_weight
        uses_clusters = self.mixer is not None and ('pbce' == mixer_local_loss or 'ce' == mixer_global_loss)
        if uses_clusters and clustering is None:
            raise ValueError("clustering (dict with num_samples, num_clusters, ...) is required by the "
                             "cluster losses mixer_local_loss='pbce' / mixer_global_loss='ce', got "
                             f'({mixer_local_loss!r}, {mixer_global_loss!r}) and clustering=None')
        self.memory = None
        self.cluster_head = None
        if uses_clusters:
            self.memory = ClusterMemory(feat_dim=feat_dim, **clustering)
            head_cfg = dict(type='ClusterHead', in_channels=feat_dim, num_clusters=self.memory.num_clusters)
            head_cfg.update(cluster_head or {})
            self.cluster_head = MODELS.build(head_cfg)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        im_q, im_k = inputs[0], inputs[1]
        with torch.no_grad():
            self.update_key_encoder()
            keys = self.keys(im_k)
            if self.mixer is not None:
                mixer_feat = stage_features(self.encoder_k.module[0], im_q, self.mixer_stage)
        losses = dict()
        if self.clean_loss_weight > 0:
            losses['loss'] = self.clean_loss_weight * self.moco_term(self.query(im_q), keys, self.queue)
        if self.mixer is not None:
            online, mixer_branch, loss_mask = self.mixer_masks(mixer_feat, im_q)
        else:
            online = self.mix_policy(im_q)
        q_m = self.query(online.mixed)
        losses['loss_mix'] = self.mix_loss_weight * self.mixed_moco_term(q_m, keys, online, self.queue)
        if self.mixer is not None:
            losses.update(self.mixer_branch_losses(mixer_branch, loss_mask, keys, data_samples))
        self.enqueue(keys, self.queue, self.queue_ptr)
        return losses

    def mixer_branch_losses(self, mixer_branch, loss_mask: torch.Tensor, keys: torch.Tensor,
                            data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Mixer loss on ``x_m^2`` through the frozen momentum encoder (gradient reaches the Mixer through the
        image); SAMix-C also trains the cluster head on the clean keys and updates the memory."""
        losses = dict()
        z_m = F.normalize(self.encoder_k(mixer_branch.mixed)[0], dim=1)
        queue = self.queue.clone().detach().t()
        logits = labels = None
        if self.memory is not None:
            sample_idx = self.memory.index_tensor([s.sample_idx for s in data_samples])
            labels = self.memory.pseudo_labels(sample_idx).to(keys.device)
            logits = frozen_linear(self.cluster_head.fc, z_m)
            losses['loss_cluster'] = self.cluster_head.loss(keys, labels)
            self.memory.update(keys, sample_idx)
        local, global_ = self.local_global_terms(z_m, mixer_branch.lam, mixer_branch.index, keys, queue,
                                                 self.head.temperature, logits, labels)
        losses['loss_mixer'] = self.mixer_loss(local, global_, loss_mask)
        return losses
