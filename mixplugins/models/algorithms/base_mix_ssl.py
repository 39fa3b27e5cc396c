"""Shared machinery of the self-supervised mixture algorithms on mmpretrain's MoCo, SimCLR, BYOL and SimSiam:
Un-Mix (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised Visual Representation Learning", AAAI 2022,
arXiv:2003.05438) and BSIM / WBSIM (Chu et al., "A Unified Mixture-View Framework for Unsupervised Representation
Learning", 2022, arXiv:2011.13356, and its supplementary); ``docs/methods.md#un-mix``,
``docs/methods.md#bsim-and-wbsim``.
Mixins, combined with the upstream algorithm by subclassing (``class BSIMMoCo(MixMoCoMixin, MoCo)``), so the
upstream ``backbone`` / ``neck`` / ``head`` / EMA config keys are unchanged and upstream configs inherit:

* :class:`MixSSLMixin` -- the mixing policy, the pairing and the mixing of a view (every algorithm);
* :class:`MixMoCoMixin` -- queries, momentum keys (mmpretrain's batch shuffle), per-queue enqueue of
  the global batch, the MoCo term and the mixed term (``mix_loss``, a registered mixture loss);
* :class:`MixSimCLRMixin` -- globally gathered embeddings;
* :class:`MixLatentMixin` -- BYOL / SimSiam: projections, predictions and the cosine form read from the head;
* :class:`BSIMLatentMixin` -- the BSIM / WBSIM loss shared by BYOL and SimSiam.

Conventions: a mixture ``k`` is ``m_k = lam_k x_k + (1 - lam_k) x_index[k]`` (``MixResult`` of the mixing
library, ``lam`` already corrected by CutMix); it is positive to image ``k`` with weight ``lam_k`` and to
image ``index[k]`` with weight ``1 - lam_k``. Read from the other side, image ``i`` is in mixture ``i``
(weight ``lam_i``) and in mixture ``inv[i]`` (weight ``1 - lam_inv[i]``), ``inv`` the inverse pairing (``inv =
index`` for the flip pairing).

Un-Mix's reversed order (Un-Mix, Eq. 5, Algorithm 1): the term of ``flip(x_m)`` pairs ``m_{N-1-i}`` with key
``i``; as the batch mean is invariant to re-indexing, it equals pairing ``m_k`` with the key of ``index[k]``
-- the reversed features are the mixed features re-indexed, no second forward (and by BN's permutation
invariance equal to forwarding ``flip(x_m)``).
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank, get_world_size
from mmpretrain.models.selfsup.simclr import GatherLayer
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from torch import nn

from ..losses import build_mixture_loss, interpolated_cosine_loss, transposed_interpolated_cosine_loss
from ..mixing.functional import PAIRING_MODES, MixResult, pair_indices
from ..mixing.policies import BaseMixPolicy, build_mix_policy


def unmix_policy(mix_prob: float = 0.5, alpha: float = 1.0) -> dict:
    """Un-Mix's policy (Un-Mix, sec. 3.2, Fig. 3): Mixup with probability ``P = mix_prob``, else CutMix,
    ``lam ~ Beta(alpha, alpha)``."""
    return dict(type='RandomChoicePolicy', probs=[mix_prob, 1 - mix_prob],
                policies=[dict(type='MixupPolicy', alpha=alpha), dict(type='CutMixPolicy', alpha=alpha)])


def check_loss_weights(w_bsim: float, w_sim: float) -> None:
    """WBSIM weights (BSIM supplementary, Eq. 1: ``L = w_bsim L_BSIM + w_sim L_SIM``): both >= 0, not both 0."""
    if not (w_bsim >= 0 and w_sim >= 0) or w_bsim + w_sim == 0:
        raise ValueError(f'w_bsim and w_sim must be >= 0 and not both 0 (L = w_bsim L_BSIM + w_sim L_SIM), '
                         f'got w_bsim={w_bsim}, w_sim={w_sim}')


class MixSSLMixin:
    """Mixing policy and pairing of a self-supervised mixture algorithm.

    Args (of every algorithm using it):
        mix_policy: a mixing policy config (``MODELS``, see ``mixplugins.models.mixing``) or a built policy.
        pairing: ``'flip'`` (``j = N - 1 - i``, the papers') or ``'random'``; overrides the policy's
            own pairing.
    """
    mix_policy: BaseMixPolicy
    pairing: str

    def init_mixing(self, mix_policy: Union[dict, BaseMixPolicy], pairing: str) -> None:
        if pairing not in PAIRING_MODES:
            raise ValueError(f'pairing must be one of {PAIRING_MODES}, got {pairing!r}')
        self.pairing = pairing
        self.mix_policy = build_mix_policy(mix_policy)

    def mix_batch(self, x: torch.Tensor) -> MixResult:
        """Mix a view with itself under the pairing (``docs/methods.md#notation-and-conventions``): the flip pairing
        needs an even batch >= 2 (an odd batch would pair its middle sample with itself)."""
        n = x.size(0)
        if n < 2 or (self.pairing == 'flip' and n % 2):
            raise ValueError(f'the per-process batch size must be even and >= 2 to pair sample i with N-1-i '
                             f'(pairing={self.pairing!r}); set train_dataloader.batch_size to such a value '
                             f'with drop_last=True, got {n}')
        index = pair_indices(n, self.pairing, device=x.device)
        return self.mix_policy(x, index=index)

    @staticmethod
    def gather_pairing(mix: MixResult) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(lam, index)`` of the global batch: each process pairs within its local batch and draws its own ``lam``
        (``docs/methods.md#notation-and-conventions``); ``index`` is shifted to global positions. Identity at world
        size 1."""
        if get_world_size() == 1:
            return mix.lam, mix.index
        n = mix.index.numel()
        lam = torch.cat(all_gather(mix.lam.contiguous()))
        index = torch.cat(all_gather((mix.index + get_rank() * n).contiguous()))
        return lam, index


class MixMoCoMixin(MixSSLMixin):
    """MoCo parts shared by Un-Mix and BSIM; mixed into :class:`mmpretrain.models.MoCo`.

    Args:
        mix_loss: config of the mixed term, a registered mixture loss of the mixed query against the keys
            ``k_i = k``, ``k_j = k[index]`` and the queue: ``dict(type='MixupInfoNCELoss')`` -- each parent its
            own softmax over ``[pos, queue]`` (Un-Mix, Eq. 5); ``dict(type='JointSoftInfoNCELoss')`` -- one
            softmax over ``[k_i, k_j, queue]`` with soft target ``(lam, 1 - lam)`` (MoCo-BSIM, BSIM supplementary
            sec. 3). Its ``temperature`` defaults to the head's.
    """

    def init_mix_loss(self, mix_loss: dict) -> None:
        self.mix_loss = build_mixture_loss(mix_loss, 'mix_loss', [('embedding', 'keys', 'queue')],
                                           self.head.temperature)

    def query(self, img: torch.Tensor) -> torch.Tensor:
        """``q = normalize(neck(backbone(img)))`` (MoCo's query encoder)."""
        return F.normalize(self.neck(self.backbone(img))[0], dim=1)

    def update_key_encoder(self) -> None:
        """Momentum update of the key encoder (once per step)."""
        self.encoder_k.update_parameters(nn.Sequential(self.backbone, self.neck))

    @torch.no_grad()
    def keys(self, img: torch.Tensor) -> torch.Tensor:
        """``k = normalize(f_k(img))`` with mmpretrain's DDP batch shuffle for BN (a no-op permutation at
        world size 1)."""
        img, idx_unshuffle = batch_shuffle_ddp(img)
        k = F.normalize(self.encoder_k(img)[0], dim=1)
        return batch_unshuffle_ddp(k, idx_unshuffle)

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor, queue: torch.Tensor, queue_ptr: torch.Tensor) -> None:
        """Write the keys of the global batch into ``queue`` (D x K) at ``queue_ptr`` (MoCo's
        dequeue-enqueue). The pointer stays on the device: columns ``(ptr + 0..B-1) mod K`` are written by index
        (the same columns as ``ptr:ptr + B``, as ``K`` is a multiple of ``B``), without reading ``ptr`` on the
        host."""
        keys = torch.cat(all_gather(keys), dim=0)
        batch_size, queue_len = keys.size(0), queue.size(1)
        if queue_len % batch_size:
            raise ValueError(f'queue_len must be a multiple of the global batch size {batch_size}, '
                             f'got {queue_len}')
        columns = (queue_ptr + torch.arange(batch_size, device=queue_ptr.device)) % queue_len
        queue.index_copy_(1, columns, keys.t().to(queue.dtype))
        queue_ptr.copy_((queue_ptr + batch_size) % queue_len)

    def moco_term(self, q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor) -> torch.Tensor:
        """MoCo's loss through the upstream head: ``-log softmax([q.k, q.queue] / t)[0]`` (queue D x K)."""
        l_pos = (q * k).sum(1, keepdim=True)
        l_neg = q @ queue.clone().detach()
        return self.head.loss(l_pos, l_neg)

    def mixed_moco_term(self, q_m: torch.Tensor, k: torch.Tensor, mix: MixResult,
                        queue: torch.Tensor) -> torch.Tensor:
        """Mixed query ``q_m`` against the parents' keys ``k_i = k``, ``k_j = k[index]`` and the queue,
        weights ``(lam, 1 - lam)`` (the loss ``mix_loss``). Pairing and keys are local."""
        return self.mix_loss.for_pairing(mix.index, mix.lam, embedding=q_m, keys=k,
                                         queue=queue.clone().detach().t())


class MixSimCLRMixin(MixSSLMixin):
    """SimCLR parts; mixed into :class:`mmpretrain.models.SimCLR`. Embeddings are gathered
    over processes with mmpretrain's ``GatherLayer`` and every process computes the loss of the global batch,
    as upstream SimCLR does."""

    def embed(self, *views: torch.Tensor) -> List[torch.Tensor]:
        """Globally gathered ``z = g(f(x)) / (||.|| + 1e-10)`` of each view, the views forwarded as ONE
        batch (BN statistics over all of them, as upstream SimCLR forwards its two views)."""
        z = self.neck(self.backbone(torch.cat(views)))[0]
        z = z / (torch.norm(z, p=2, dim=1, keepdim=True) + 1e-10)
        return [torch.cat(GatherLayer.apply(part), dim=0) for part in z.chunk(len(views))]


class MixLatentMixin(MixSSLMixin):
    """BYOL / SimSiam parts; mixed into :class:`mmpretrain.models.BYOL` / ``SimSiam``.

    The cosine form is the head's own ``CosineSimilarityLoss``: ``(shift_factor, scale_factor) = (0, 1)`` is
    ``-cos`` (mmpretrain's BYOL and SimSiam configs; BYOL scales each term by 2, so ``2 * (-cos)`` is BYOL's
    ``2 - 2 cos`` up to a constant) and ``(2, 2)`` is ``2 - 2 cos``.
    """
    COSINE_FORMS = {(0.0, 1.0): 'simsiam', (2.0, 2.0): 'byol'}
    #: weight of the symmetrised sum of the two view terms in the upstream loss (BYOL 2, SimSiam 0.5)
    symmetric_scale: float

    def init_cosine_form(self) -> None:
        loss_module = self.head.loss_module
        form = (float(getattr(loss_module, 'shift_factor', float('nan'))),
                float(getattr(loss_module, 'scale_factor', float('nan'))))
        if form not in self.COSINE_FORMS:
            raise ValueError(f'head.loss must be a CosineSimilarityLoss with (shift_factor, scale_factor) in '
                             f'{list(self.COSINE_FORMS)} (-cos or 2 - 2 cos), got '
                             f'{type(loss_module).__name__} '
                             f'with {form}')
        self.cosine_mode = self.COSINE_FORMS[form]

    def project(self, img: torch.Tensor) -> torch.Tensor:
        """Online projection ``z = g(f(img))``."""
        return self.neck(self.backbone(img))[0]

    def predict(self, z: torch.Tensor) -> torch.Tensor:
        """Online prediction ``q(z)`` (the head's predictor)."""
        return self.head.predictor([z])[0]

    def cosine_term(self, pred: torch.Tensor, target_i: torch.Tensor, target_j: torch.Tensor,
                    lam: torch.Tensor, reduction: str = 'mean') -> torch.Tensor:
        """BSIM regression (BSIM supplementary, sec. 3): ``D(pred, sg(normalize(lam z_i + (1 - lam) z_j)))`` in the
        head's form; with ``target_j = target_i`` (or ``lam = 1``) the base BYOL / SimSiam term ``D(pred,
        sg(z_i))``."""
        return interpolated_cosine_loss(pred, target_i, target_j, lam, self.cosine_mode, reduction)

    def two_parent_term(self, pred: torch.Tensor, target: torch.Tensor, partner: torch.Tensor,
                        w_self: torch.Tensor, w_partner: torch.Tensor) -> torch.Tensor:
        """Un-Mix regression to each parent's clean target (Un-Mix, Eq. 5):
        ``mean_k [w_self,k D(pred_k, target_k) + w_partner,k D(pred_k, target_partner[k])]``."""
        d_self = self.cosine_term(pred, target, target, 1.0, reduction='none')
        d_partner = self.cosine_term(pred, target[partner], target[partner], 1.0, reduction='none')
        return (w_self * d_self + w_partner * d_partner).mean()


def scale_sizes(scales: Optional[List[int]]) -> List[int]:
    """Validated extra input sizes of Un-Mix's multi-scale training (Un-Mix, sec. 4.3)."""
    scales = list(scales or [])
    if any(not (isinstance(s, int) and s > 0) for s in scales):
        raise ValueError(f'scales must be a list of positive image sizes in pixels (one queue each), '
                         f'got {scales}')
    return scales


class BSIMLatentMixin(MixLatentMixin):
    """BSIM / WBSIM on BYOL and SimSiam (BSIM supplementary, sec. 3); the algorithm supplies ``target(img, z)``.

    BSIM: the mixtures ``x'_ij`` replace the first views: ``L_BSIM = s [D(q(z'_ij), z_bar) + D_T]`` with
    ``z_bar = sg(normalize(lam z''_i + (1 - lam) z''_j))`` from the target branch, ``D_T`` the same pairs read
    from the second view (:func:`~mixplugins.models.losses.transposed_interpolated_cosine_loss`), ``s`` the
    base's scale of its symmetric sum; the same forwards as the base. WBSIM (BSIM supplementary, Eq. 1): ``w_bsim
    L_BSIM + w_sim L_base`` (the clean first views are forwarded too when ``w_sim > 0``).
    """

    def init_bsim(self, mix_policy: Union[dict, BaseMixPolicy], pairing: str, w_bsim: float,
                  w_sim: float) -> None:
        self.init_mixing(mix_policy or dict(type='CutMixPolicy', alpha=1.0), pairing)
        self.init_cosine_form()
        check_loss_weights(w_bsim, w_sim)
        self.w_bsim, self.w_sim = w_bsim, w_sim

    def target(self, img: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Target projection of ``img`` whose online projection is ``z`` (BYOL: the EMA network)."""
        raise NotImplementedError

    def update_target(self) -> None:
        """Per-step update of the target branch (BYOL: EMA; SimSiam: none)."""

    def loss(self, inputs: List[torch.Tensor], data_samples, **kwargs) -> Dict[str, torch.Tensor]:
        img_v1, img_v2 = inputs[0], inputs[1]
        self.update_target()
        z2 = self.project(img_v2)
        t2 = self.target(img_v2, z2)
        p2 = self.predict(z2)
        losses = {}
        if self.w_bsim > 0:
            mix = self.mix_batch(img_v1)
            z_m = self.project(mix.mixed)
            bsim = (self.cosine_term(self.predict(z_m), t2, t2[mix.index], mix.lam)
                    + transposed_interpolated_cosine_loss(p2, self.target(mix.mixed, z_m), mix.lam, mix.index,
                                                          self.cosine_mode))
            losses['loss_bsim'] = self.w_bsim * self.symmetric_scale * bsim
        if self.w_sim > 0:
            z1 = self.project(img_v1)
            t1 = self.target(img_v1, z1)
            sim = self.cosine_term(self.predict(z1), t2, t2, 1.0) + self.cosine_term(p2, t1, t1, 1.0)
            losses['loss_sim'] = self.w_sim * self.symmetric_scale * sim
        return losses
