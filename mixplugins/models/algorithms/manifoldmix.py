"""ManifoldMix (Verma et al., "Manifold Mixup: Better Representations by Interpolating Hidden States", ICML 2019,
arXiv:1806.05236) as a method: supervised, and on MoCo v2 as one of the mixups the SAMix paper compares (Li et
al., "Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", arXiv:2111.15454,
Table 5 and A.4; ``docs/methods.md#mixing-policies``).

Per step: ``lam ~ Beta(alpha, alpha)`` (one per batch), a pairing ``pi`` and a stage ``k`` drawn uniformly from
``stages`` (0 = the input image, ``s`` = the output of residual stage ``s``; the paper's and OpenMixup's
``k in {0, 1, 2}``); the online backbone mixes its stage-``k`` output ``h_m = lam h_i + (1 - lam) h_pi(i)`` and
runs the rest of the network on it (:func:`~mixplugins.models.mixing.manifold_mix_forward`).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier, MoCo
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..mixing.functional import (PAIRING_MODES, MixResult, check_alpha, mix_scores, pair_indices, sample_lambda,
                                 sample_stage)
from ..mixing.manifold import check_manifold_stages, manifold_mix_forward
from .base_mix_ssl import MixMoCoMixin


class ManifoldMixMixin:
    """The draw ``(lam, pi, k)`` and the mixed forward of the online backbone (``self.backbone``).

    Args (of both algorithms):
        alpha: ``lam ~ Beta(alpha, alpha)`` (2, the ManifoldMix paper's CIFAR setting).
        stages: stages to draw ``k`` from, 0 = the input, ``s`` = output of residual stage ``s``.
        pairing: ``'random'`` (a permutation, as mmpretrain's Mixup) or ``'flip'``.
    """

    def init_manifold_mix(self, alpha: float, stages: Sequence[int], pairing: str) -> None:
        check_alpha(alpha)
        if pairing not in PAIRING_MODES:
            raise ValueError(f'pairing must be one of {PAIRING_MODES}, got {pairing!r}')
        self.alpha = alpha
        self.pairing = pairing
        self.stages = check_manifold_stages(self.backbone, stages)

    def draw_manifold_mix(self, batch_size: int, device) -> Tuple[torch.Tensor, torch.Tensor, int]:
        """One draw: ``lam`` (Tensor[1]), the pairing (LongTensor[N]) and the stage ``k``."""
        lam = sample_lambda(self.alpha, 1, device=device)
        index = pair_indices(batch_size, self.pairing, device=device)
        return lam, index, self.stages[sample_stage(len(self.stages))]

    def manifold_mix_backbone(self, x: torch.Tensor) -> Tuple[tuple, MixResult]:
        """Backbone outputs of the batch mixed at the drawn stage, and the :class:`MixResult` of that stage."""
        lam, index, stage = self.draw_manifold_mix(x.size(0), x.device)
        return manifold_mix_forward(self.backbone, x, stage, lam, index)


@MODELS.register_module()
class ManifoldMixClassifier(ManifoldMixMixin, ImageClassifier):
    """Supervised ManifoldMix, the SAMix paper's baseline: the mixed forward and mixup cross-entropy through the
    head's own loss, with soft targets ``s_m = lam onehot(y_i) + (1 - lam) onehot(y_pi(i))`` (as mmpretrain's
    Mixup batch augment feeds them). Prediction is the upstream ``ImageClassifier``'s.

    Args:
        backbone, neck, head, data_preprocessor, init_cfg: as in ``ImageClassifier`` (no ``train_cfg`` batch
            augments: the hidden features are mixed instead).
        alpha, stages, pairing: see :class:`ManifoldMixMixin`.
    """

    def __init__(self, backbone: dict, head: dict, neck=None, alpha: float = 2.0,
                 stages: Sequence[int] = (0, 1, 2), pairing: str = 'random', data_preprocessor=None,
                 init_cfg=None):
        super().__init__(backbone=backbone, neck=neck, head=head, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.init_manifold_mix(alpha, stages, pairing)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        outs, mix = self.manifold_mix_backbone(inputs)
        feats = self.neck(outs) if self.with_neck else outs
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        scores = mix_scores(F.one_hot(labels, self.head.num_classes).float(), mix.lam, mix.index)
        for sample, score in zip(data_samples, scores):
            sample.set_gt_score(score)
        return self.head.loss(feats, data_samples)


@MODELS.register_module()
class ManifoldMixMoCo(ManifoldMixMixin, MixMoCoMixin, MoCo):
    """ManifoldMix on MoCo v2, as the other MoCo mixtures: ``L = infoNCE(q, k, queue) + L_mix(q_m)`` with
    ``q_m = normalize(g(f(x^q) mixed at stage k))`` the query of the hidden-feature mixture and ``L_mix`` the
    mixup infoNCE against the parents' keys ``k_i``, ``k_pi(i)`` and the queue (``mix_loss``, see
    :class:`MixMoCoMixin`); only the clean keys are enqueued.

    Args:
        alpha, stages, pairing: see :class:`ManifoldMixMixin`.
        mix_loss: mixture loss config, default ``dict(type='MixupInfoNCELoss')`` (mixup infoNCE, each parent
            its own softmax); see :class:`MixMoCoMixin`.
        **kwargs: upstream :class:`mmpretrain.models.MoCo` arguments.
    """

    def __init__(self, *args, alpha: float = 2.0, stages: Sequence[int] = (0, 1, 2), pairing: str = 'random',
                 mix_loss: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.init_manifold_mix(alpha, stages, pairing)
        self.init_mix_loss(mix_loss or dict(type='MixupInfoNCELoss'))

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        im_q, im_k = inputs[0], inputs[1]
        with torch.no_grad():
            self.update_key_encoder()
        k = self.keys(im_k)
        outs, mix = self.manifold_mix_backbone(im_q)
        q_m = F.normalize(self.neck(outs)[0], dim=1)
        losses = dict(loss=self.moco_term(self.query(im_q), k, self.queue),
                      loss_mix=self.mixed_moco_term(q_m, k, mix, self.queue))
        self.enqueue(k, self.queue, self.queue_ptr)
        return losses
