"""Functional mixup objectives (``docs/methods.md#mixer-objectives``; the Un-Mix, BSIM and Bag of Freebies terms
as their sections of docs/methods.md define them).

The papers, cited below by their short names: Mixup (Zhang et al., "mixup: Beyond Empirical Risk Minimization",
ICLR 2018, arXiv:1710.09412); Un-Mix (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised Visual
Representation Learning", AAAI 2022, arXiv:2003.05438); BSIM (Chu et al., "A Unified Mixture-View Framework for
Unsupervised Representation Learning", 2022, arXiv:2011.13356; its section numbers are those of its
supplementary, "BSIM supplementary"); AMix ("Improving Discriminative Visual Representation Learning via
Automatic Mixup", anonymous ICLR 2022 submission, no arXiv id); SAMix (Li et al., "Boosting Discriminative Visual
Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454); Bag of Freebies (Zhang et al.,
"Bag of Freebies for Training Object Detection Neural Networks", 2019, arXiv:1902.04103).

Every loss takes ``lam`` as a float or a per-sample Tensor[N] (the weight of ``x_i`` / label ``a`` / key
``k_i``, i.e. the CORRECTED lam of :class:`~mixplugins.models.mixing.MixResult`) and returns the mean over
samples, or the per-sample values with ``reduction='none'`` (``'sum'`` sums them). All of them are soft-target
cross-entropies, built on :func:`soft_target_cross_entropy`. Every loss runs in at least float32 with autocast
off (:func:`~mixplugins.models.utils.full_precision`): under mixed precision its fp16 / bf16 inputs are upcast,
so the log-softmax, the soft targets and the lam weights never see a low-precision rounding.
"""
from typing import Optional

import torch
import torch.nn.functional as F

from ..mixing.functional import LamLike, full_like_lam
from ..utils.precision import full_precision

REDUCTIONS = ('mean', 'sum', 'none')
COSINE_MODES = ('byol', 'simsiam')


def reduce_loss(loss: torch.Tensor, reduction: str = 'mean') -> torch.Tensor:
    """Reduce per-sample losses: ``'mean'`` | ``'sum'`` | ``'none'``."""
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    if reduction == 'none':
        return loss
    raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')


def _lam_column(lam: LamLike, reference: torch.Tensor) -> torch.Tensor:
    """``lam`` as an N x 1 tensor on ``reference``'s device and dtype (a float broadcasts)."""
    return full_like_lam(lam, reference.dtype, reference.device).reshape(-1, 1)


@full_precision
def soft_target_cross_entropy(logits: torch.Tensor, target_probs: torch.Tensor,
                              reduction: str = 'mean') -> torch.Tensor:
    """``CE(p, q) = -sum_k q_k log softmax(logits)_k`` per sample (N x K logits, N x K target
    probabilities)."""
    return reduce_loss(-(target_probs * F.log_softmax(logits, dim=-1)).sum(-1), reduction)


@full_precision
def two_target_cross_entropy(logits: torch.Tensor, lam: LamLike, reduction: str = 'mean') -> torch.Tensor:
    """Soft CE over N x K logits whose first two columns are the targets with weights ``(lam, 1 - lam)``:
    ``-lam log softmax(l)_0 - (1 - lam) log softmax(l)_1``; other columns are negatives (weight 0)."""
    lam = _lam_column(lam, logits)
    target = torch.zeros_like(logits)
    target[:, :1] = lam
    target[:, 1:2] = 1 - lam
    return soft_target_cross_entropy(logits, target, reduction)


@full_precision
def mixup_soft_cross_entropy(logits: torch.Tensor, label_a: torch.Tensor, label_b: torch.Tensor, lam: LamLike,
                             reduction: str = 'mean') -> torch.Tensor:
    """Mixup CE (Mixup; the global term of ``docs/methods.md#mixer-objectives``):
    ``lam CE(f(x_m), y_a) + (1 - lam) CE(f(x_m), y_b)``, computed as one soft-target CE with
    ``q = lam onehot(a) + (1 - lam) onehot(b)`` (equal by linearity)."""
    lam = _lam_column(lam, logits)
    num_classes = logits.size(-1)
    target = (lam * F.one_hot(label_a, num_classes).to(logits.dtype)
              + (1 - lam) * F.one_hot(label_b, num_classes).to(logits.dtype))
    return soft_target_cross_entropy(logits, target, reduction)


@full_precision
def pairwise_bce(logits: torch.Tensor, label_a: torch.Tensor, label_b: torch.Tensor, lam: LamLike,
                 reduction: str = 'mean') -> torch.Tensor:
    """Class-level pBCE (AMix, sec. 3.3; SAMix, sec. 3.1): with ``l_k = w_k . z`` the class logits,
    ``p_a = exp(l_a) / (exp(l_a) + exp(l_b))``, ``pBCE = -lam log p_a - (1 - lam) log(1 - p_a)``.
    When ``a == b`` the two logits coincide and the value is ``log 2`` with zero gradient."""
    pair_logits = torch.stack([logits.gather(1, label_a.view(-1, 1)).squeeze(1),
                               logits.gather(1, label_b.view(-1, 1)).squeeze(1)], dim=1)
    return two_target_cross_entropy(pair_logits, lam, reduction)


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise dot product of two N x D tensors -> N x 1."""
    return (a * b).sum(-1, keepdim=True)


@full_precision
def instance_bce(z_m: torch.Tensor, z_i: torch.Tensor, z_j: torch.Tensor, lam: LamLike, temperature: float,
                 reduction: str = 'mean') -> torch.Tensor:
    """Instance-level BCE (AMix, sec. 3.3):
    ``p_mi = exp(z_m.z_i / t) / (exp(z_m.z_i / t) + exp(z_m.z_j / t))``,
    ``BCE = -lam log p_mi - (1 - lam) log(1 - p_mi)``. Embeddings are assumed L2-normalised."""
    logits = torch.cat([_dot(z_m, z_i), _dot(z_m, z_j)], dim=1) / temperature
    return two_target_cross_entropy(logits, lam, reduction)


@full_precision
def infonce(q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float,
            reduction: str = 'mean') -> torch.Tensor:
    """MoCo infoNCE: ``-log softmax([q.k, q.queue^T] / t)[0]``; ``queue`` is K x D (rows are negatives)."""
    logits = torch.cat([_dot(q, k), q @ queue.t()], dim=1) / temperature
    return reduce_loss(-F.log_softmax(logits, dim=1)[:, 0], reduction)


@full_precision
def mixup_infonce(q_m: torch.Tensor, k_i: torch.Tensor, k_j: torch.Tensor, queue: torch.Tensor, lam: LamLike,
                  temperature: float, reduction: str = 'mean') -> torch.Tensor:
    """Mixup infoNCE, one softmax per parent (AMix, Eq. 4; Un-Mix, Eq. 5):
    ``-lam log softmax_t(q_m . [k_i, queue])[k_i] - (1 - lam) log softmax_t(q_m . [k_j, queue])[k_j]``.
    ``queue`` is K x D; inputs are assumed L2-normalised."""
    lam = _lam_column(lam, q_m).squeeze(1)
    loss_i = infonce(q_m, k_i, queue, temperature, reduction='none')
    loss_j = infonce(q_m, k_j, queue, temperature, reduction='none')
    return reduce_loss(lam * loss_i + (1 - lam) * loss_j, reduction)


@full_precision
def joint_soft_infonce(q_m: torch.Tensor, k_i: torch.Tensor, k_j: torch.Tensor, queue: torch.Tensor,
                       lam: LamLike, temperature: float, reduction: str = 'mean') -> torch.Tensor:
    """MoCo-BSIM (BSIM supplementary, sec. 3): ONE softmax over ``[q.k_i, q.k_j, q.queue^T] / t`` with soft
    target ``(lam, 1 - lam, 0, ..., 0)``. With ``lam = 1`` it is infoNCE with key ``k_i`` and negatives
    ``[k_j, queue]``."""
    logits = torch.cat([_dot(q_m, k_i), _dot(q_m, k_j), q_m @ queue.t()], dim=1) / temperature
    return two_target_cross_entropy(logits, lam, reduction)


def mixture_weights(lam: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """N x N weights ``W[k, c]`` of image ``c`` in mixture ``k`` of the pairing ``index``: ``W[k, k] += lam_k``,
    ``W[k, index[k]] += 1 - lam_k``; rows sum to 1. They are BSIM's spurious-positive labels (BSIM supplementary,
    sec. 3)."""
    n = lam.numel()
    rows = torch.arange(n, device=lam.device)
    weights = torch.zeros(n, n, dtype=lam.dtype, device=lam.device)
    weights.index_put_((rows, rows), lam, accumulate=True)
    weights.index_put_((rows, index), 1 - lam, accumulate=True)
    return weights


def inverse_pairing(index: torch.Tensor) -> torch.Tensor:
    """``inv`` with ``index[inv[i]] = i``: image ``i`` is the partner in mixture ``inv[i]``."""
    return torch.argsort(index)


@full_precision
def soft_nt_xent(z_a: torch.Tensor, z_b: torch.Tensor, weights: torch.Tensor, temperature: float,
                 reduction: str = 'mean') -> torch.Tensor:
    """NT-Xent with soft targets, NT-Xent(lam) of BSIM on SimCLR (BSIM supplementary, sec. 3 and
    Fig. 6); with ``weights = I`` it is SimCLR's NT-Xent (Chen et al., "A Simple Framework for Contrastive Learning
    of Visual Representations", ICML 2020, arXiv:2002.05709).

    The 2N anchors ``z = [z_a; z_b]`` (N x D each, L2-normalised) have logits ``s = z z^T / t`` without the
    self-similarity, one softmax over the other 2N - 1 embeddings. Anchor ``a_k`` has the soft target
    ``weights[k]`` over the ``b`` embeddings, anchor ``b_c`` has ``weights[:, c]`` over the ``a`` embeddings (the
    same pairs read from the other side):

        L_r = -sum_c target[r, c] log softmax_{c' != r}(s[r, c'])[c],   L = mean_r L_r

    The off-diagonal entries are gathered by index (column ``c + [c >= r]`` of row ``r``), not by a boolean
    mask, whose indexing would synchronise host and device.

    Args:
        weights: N x N non-negative, rows summing to 1 (:func:`mixture_weights`).
    """
    n = z_a.size(0)
    z = torch.cat([z_a, z_b])
    targets = torch.zeros(2 * n, 2 * n, dtype=z.dtype, device=z.device)
    targets[:n, n:] = weights
    targets[n:, :n] = weights.t()
    rows = torch.arange(2 * n, device=z.device)[:, None]
    columns = torch.arange(2 * n - 1, device=z.device)[None, :]
    off_diagonal = columns + (columns >= rows).long()
    logits = (z @ z.t() / temperature).gather(1, off_diagonal)
    return soft_target_cross_entropy(logits, targets.gather(1, off_diagonal), reduction)


@full_precision
def extra_anchor_nt_xent(z_m: torch.Tensor, z_a: torch.Tensor, z_b: torch.Tensor, lam: torch.Tensor,
                         index: torch.Tensor, temperature: float, reduction: str = 'mean') -> torch.Tensor:
    """Un-Mix on SimCLR: the mixtures' embeddings are extra anchors, the negatives unchanged (Un-Mix, Eq. 3
    and 5). Mixture ``k = lam_k x_k + (1 - lam_k) x_index[k]`` has embedding
    ``z_m,k``; the clean views of image ``p`` have ``a_p``, ``b_p`` (all L2-normalised):

        L_k = lam_k l_k(k) + (1 - lam_k) l_k(index[k]),
        l_k(p) = -log softmax(z_m,k . [b_p, {a_c, b_c : c != p}] / t)[b_p]

    -- the positive ``b_p`` against the negatives of the clean anchor ``a_p``; ``L = mean_k L_k``.
    """
    n = z_a.size(0)
    logits = z_m @ torch.cat([z_a, z_b]).t() / temperature
    rows = torch.arange(n, device=z_m.device)

    def parent_loss(parent: torch.Tensor) -> torch.Tensor:
        excluded = torch.zeros_like(logits, dtype=torch.bool)
        excluded[rows, parent] = True
        log_prob = F.log_softmax(logits.masked_fill(excluded, float('-inf')), dim=1)
        return -log_prob[rows, n + parent]

    return reduce_loss(lam * parent_loss(rows) + (1 - lam) * parent_loss(index), reduction)


def eta_balanced(local: torch.Tensor, global_: torch.Tensor, eta: float) -> torch.Tensor:
    """eta-balanced Mixer objective (SAMix, sec. 3.1): ``L = l_local + eta * l_global``, ``eta >= 0``."""
    if not eta >= 0:
        raise ValueError(f'eta must be >= 0 (L = local + eta * global), got {eta}')
    return local + eta * global_


@full_precision
def interpolated_cosine_loss(pred: torch.Tensor, z_i: torch.Tensor, z_j: torch.Tensor, lam: LamLike,
                             mode: str = 'byol', reduction: str = 'mean') -> torch.Tensor:
    """BYOL / SimSiam-BSIM (BSIM supplementary, sec. 3): target ``z_bar = sg(normalize(lam z_i + (1 - lam) z_j))`` with
    ``z_i``, ``z_j`` L2-normalised first (a working choice, ``docs/methods.md#bsim-and-wbsim``: ``z`` are normalised
    embeddings); ``byol``: ``2 - 2 cos(pred, z_bar)``; ``simsiam``: ``-cos(pred, z_bar)``."""
    if mode not in COSINE_MODES:
        raise ValueError(f'mode must be one of {COSINE_MODES}, got {mode!r}')
    lam = _lam_column(lam, pred)
    unit_i, unit_j = F.normalize(z_i.detach(), dim=1), F.normalize(z_j.detach(), dim=1)
    target = F.normalize(lam * unit_i + (1 - lam) * unit_j, dim=1)
    cosine = (F.normalize(pred, dim=1) * target).sum(1)
    return reduce_loss(2 - 2 * cosine if mode == 'byol' else -cosine, reduction)


@full_precision
def transposed_interpolated_cosine_loss(pred: torch.Tensor, mixed_target: torch.Tensor, lam: LamLike,
                                        index: torch.Tensor, mode: str = 'byol',
                                        reduction: str = 'mean') -> torch.Tensor:
    """BSIM read from the clean anchor (BSIM supplementary, sec. 3; the second half of its symmetrised BYOL /
    SimSiam loss). Mixture ``k = lam_k x_k + (1 - lam_k) x_index[k]`` has target ``mixed_target[k]``; image
    ``i`` is in mixture ``i`` (weight ``w_i = lam_i``) and in mixture ``inv[i]`` (weight ``w'_i = 1 -
    lam_inv[i]``, :func:`inverse_pairing`), and its prediction regresses to both:

        L_i = (w_i + w'_i) D(pred_i, sg(normalize(w_i z_i + w'_i z_inv[i]) / (w_i + w'_i)))

    with ``D`` the :func:`interpolated_cosine_loss` of ``mode``; the total weight ``w_i + w'_i`` is 1 when
    ``lam`` is one per batch with the flip pairing.
    """
    inverse = inverse_pairing(index)
    lam = full_like_lam(lam, pred.dtype, pred.device).expand(pred.size(0))
    w_self, w_partner = lam, 1 - lam[inverse]
    total = w_self + w_partner
    lam_t = torch.where(total > 0, w_self / total.clamp_min(1e-12), torch.ones_like(total))
    per_sample = interpolated_cosine_loss(pred, mixed_target, mixed_target[inverse], lam_t, mode, 'none')
    return reduce_loss(total * per_sample, reduction)


@full_precision
def label_smoothing_targets(labels: torch.Tensor, eps: float, num_classes: int) -> torch.Tensor:
    """Bag of Freebies (sec. 3.2, Eq. 3): ``q' = (1 - eps) q + eps / K``, ``0 <= eps < 1``; ``labels``
    are class indices [N] or target distributions N x K."""
    if not 0 <= eps < 1:
        raise ValueError(f'eps must lie in [0, 1) (label smoothing q\' = (1 - eps) q + eps / K), got {eps}')
    q = F.one_hot(labels, num_classes).float() if labels.dim() == 1 else labels.float()
    return (1 - eps) * q + eps / num_classes


@full_precision
def label_smoothing_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, eps: float,
                                  num_classes: Optional[int] = None, reduction: str = 'mean') -> torch.Tensor:
    """CE against label-smoothed targets ``(1 - eps) q + eps / K`` (Bag of Freebies, sec. 3.2, Eq. 3);
    ``K = num_classes`` or the number of logit columns."""
    if num_classes is not None and num_classes != logits.size(-1):
        raise ValueError(f'num_classes must equal the number of logit columns {logits.size(-1)}, '
                         f'got {num_classes}')
    targets = label_smoothing_targets(labels, eps, logits.size(-1)).to(logits.dtype)
    return soft_target_cross_entropy(logits, targets, reduction)
