"""Shared mask generator behind ``SAMixMixer`` (Mix Block+) and ``AutoMixBlock`` (AutoMix's MixBlock).

Both predict a pixel-wise mixing mask ``s_i`` (the weight of ``x_i``) from stage-``l`` feature maps of a pair
and the mixing ratio ``lam`` (``docs/methods.md#mixer``; AMix: "Improving Discriminative Visual Representation
Learning via Automatic Mixup", anonymous ICLR 2022 submission, no arXiv id, sec. 3.2; SAMix: Li et al., "Boosting
Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3.2 and
A.2; AutoMix: Liu et al., "AutoMix: Unveiling the Power of Mixup for Stronger Classifiers", ECCV 2022,
arXiv:2103.13027):

    s_i = U(sigmoid(P C(z_i')))        x_mix = s_i * x_i + (1 - s_i) * x_j

Everything the papers ablate is a constructor flag of :class:`BaseMaskMixer`; the two registered classes only
choose the defaults. The pure tensor steps (sigmoid and upsampling, lambda adjusting, mask loss) are module-level
functions; under mixed precision they run in float32 with autocast off (:func:`full_precision`), so masks and
``lam`` are never rounded to fp16 / bf16 and saturated masks give finite values and gradients.
"""
import math
from numbers import Number
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from ..mixing.functional import check_unit_interval, full_like_lam
from ..utils.precision import compute_dtype, full_precision

LAM_ENCODINGS = ('adaptive', 'concat', 'none')
ATTENTIONS = ('global', 'cross', 'none')
CONTENTS = ('nonlinear', 'linear')
UPSAMPLE_MODES = ('bilinear', 'nearest')


@full_precision
def upsampled_mask(logits: Tensor, out_size: Tuple[int, int], upsample: str) -> Tensor:
    """``U(sigmoid(logits))``: the mask of ``x_i`` on the image grid (N x 1 x H x W), ``U`` bilinear
    (``align_corners=False``) or nearest interpolation to ``out_size``."""
    kwargs = dict(mode='bilinear', align_corners=False) if upsample == 'bilinear' else dict(mode='nearest')
    return F.interpolate(torch.sigmoid(logits), size=tuple(out_size), **kwargs)


@full_precision
def adjust_mask_mean(mask: Tensor, lam: Tensor) -> Tensor:
    """Rescale each mask so its mean is exactly ``lam`` while every value stays in [0, 1] (lambda adjusting).

    With ``mu = mean(s)`` per sample (Mix Block+ step 5; AMix, sec. 3.2, whose ``mu/lam`` is a typo):
    ``mu > lam``: ``s <- s * lam / mu``; ``mu < lam``: ``(1 - s) <- (1 - s) (1 - lam) / (1 - mu)``.
    Both maps are linear in ``s`` with a factor in [0, 1]: [0, 1] is preserved and the mean becomes ``lam``.

    Args:
        mask: N x 1 x H x W values in [0, 1].
        lam: N per-sample ratios in [0, 1].
    """
    lam = lam.reshape(-1, 1, 1, 1)
    mu = mask.mean(dim=(1, 2, 3), keepdim=True)
    down = mu > lam
    # The branch not taken divides by 1: its denominator may be 0 or tiny (a saturated mask), and
    # d(a / b)/db = -a / b / b would overflow to inf there and make a NaN of its zero gradient. The branch
    # taken divides by mu > lam >= 0, or by 1 - mu >= 1 - lam, clamped for mu = lam = 1 (then 0 / tiny = 0).
    one = torch.ones_like(mu)
    scaled_down = mask * (lam / torch.where(down, mu, one))
    safe_complement = torch.where(down, one, 1 - mu).clamp(min=torch.finfo(mu.dtype).tiny)
    scaled_up = 1 - (1 - mask) * ((1 - lam) / safe_complement)
    return torch.where(down, scaled_down, scaled_up)


@full_precision
def mask_loss(mask: Tensor, lam: Tensor, eps: float, variance: bool = True) -> Tensor:
    """Per-sample mask loss ``L_mean + L_var`` (without the weight ``beta``; the algorithm applies it).

    ``L_mean = max(|lam - mu| - eps, 0)`` with ``mu = mean(s)`` (AutoMix's margin loss, AMix, sec. 3.2);
    ``L_var = -mean((s - mu)^2)`` pushes masks towards 0/1 (Mix Block+ step 6; SAMix, A.2), left out
    when ``variance=False`` (AutoMix's MixBlock; ``docs/methods.md#mixer``).

    Args:
        mask: N x 1 x H x W, the unadjusted upsampled mask.
        lam: N per-sample ratios.
        eps: the margin ``eps`` of ``L_mean``.

    Returns:
        Tensor[N].
    """
    mu = mask.mean(dim=(1, 2, 3))
    loss = (lam - mu).abs().sub(eps).clamp(min=0)
    if variance:
        loss = loss - (mask - mu.reshape(-1, 1, 1, 1)).pow(2).mean(dim=(1, 2, 3))
    return loss


def _check_choice(key: str, value, allowed: Sequence) -> None:
    if value not in allowed:
        raise ValueError(f'{key} must be one of {list(allowed)}, got {value!r}')


class BaseMaskMixer(BaseModule):
    """Mask generator with the options AMix / SAMix ablate as flags.

    Args:
        in_channels: channels ``C`` of the stage-``l`` feature maps (e.g. 1024 for ResNet-50 stage 3).
        lam_encoding: ``'adaptive'``: ``z_i' = (1 + g lam) z_i``, ``z_j' = (1 + g (1 - lam)) z_j`` with a
            learnable scalar ``g`` in [0, 1] initialised to 0 (AMix sec. 3.2); ``'concat'``: ``lam`` (resp.
            ``1 - lam``) appended as an extra constant channel (AutoMix); ``'none'``: no encoding.
        attention: ``'global'``: self-attention over ``concat(z_i', z_j')`` (Mix Block+); ``'cross'``:
            attention between ``z_i'`` and ``z_j'`` with one shared projection (AutoMix); ``'none'``.
        content: ``'nonlinear'``: conv1x1(C -> C/2) -> BN -> ReLU -> Dropout -> conv1x1(C/2 -> 1)
            (Mix Block+);
            ``'linear'``: Dropout -> conv1x1(C -> 1) (AutoMix).
        dropout: dropout ratio inside the content module (AMix: 0.1 "to C_NCL"; placed on the hidden C/2
            channels, i.e. between ReLU and the last conv, the usual place in a two-layer head; for the linear
            content it acts on the input features).
        upsample: interpolation ``U`` from the feature size to the image size.
        lam_adjust: apply :func:`adjust_mask_mean` to the returned ``mask``.
        mask_loss_eps: margin ``eps`` of ``L_mean``.
        variance_loss: add ``L_var`` to the mask loss.
    """

    def __init__(self,
                 in_channels: int,
                 lam_encoding: str,
                 attention: str,
                 content: str,
                 dropout: float,
                 upsample: str,
                 lam_adjust: bool,
                 mask_loss_eps: float,
                 variance_loss: bool,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, int) or isinstance(in_channels, bool) or in_channels < 2:
            raise ValueError(
                f'in_channels must be an int >= 2 (feature channels C, d = C/2), got {in_channels!r}')
        _check_choice('lam_encoding', lam_encoding, LAM_ENCODINGS)
        _check_choice('attention', attention, ATTENTIONS)
        _check_choice('content', content, CONTENTS)
        _check_choice('upsample', upsample, UPSAMPLE_MODES)
        if not isinstance(dropout, Number) or not 0 <= dropout < 1:
            raise ValueError(f'dropout must be a ratio in [0, 1), got {dropout!r}')
        if not isinstance(mask_loss_eps, Number) or mask_loss_eps < 0:
            raise ValueError(f'mask_loss_eps must be >= 0 (margin of L_mean), got {mask_loss_eps!r}')
        self.in_channels = in_channels
        self.lam_encoding = lam_encoding
        self.attention = attention
        self.upsample = upsample
        self.lam_adjust = lam_adjust
        self.mask_loss_eps = mask_loss_eps
        self.variance_loss = variance_loss

        encoded_channels = in_channels + (1 if lam_encoding == 'concat' else 0)
        hidden_channels = in_channels // 2
        if lam_encoding == 'adaptive':
            self.gamma = nn.Parameter(torch.zeros(()))
        if attention != 'none':
            # W_P: 1x1 conv to d = C/2 channels, on concat(z_i', z_j') (global) or on each of them (cross).
            projection_in = 2 * encoded_channels if attention == 'global' else encoded_channels
            self.attention_proj = nn.Conv2d(projection_in, hidden_channels, kernel_size=1)
        if content == 'nonlinear':
            self.content_net = nn.Sequential(
                nn.Conv2d(encoded_channels, hidden_channels, kernel_size=1), nn.BatchNorm2d(hidden_channels),
                nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Conv2d(hidden_channels, 1, kernel_size=1))
        else:
            self.content_net = nn.Sequential(
                nn.Dropout(dropout), nn.Conv2d(encoded_channels, 1, kernel_size=1))

    def clamped_gamma(self) -> Tensor:
        """``g`` clamped to [0, 1] in value, with a straight-through gradient (d g_clamped / d g = 1).

        ``torch.clamp`` passes gradient at exactly g = 0 but none below it: one optimiser step to g < 0 would
        freeze the lambda encoding for good. The straight-through form keeps the clamped value and always
        lets the gradient reach ``g``, so it can come back into [0, 1].
        """
        return self.gamma + (self.gamma.clamp(0, 1) - self.gamma).detach()

    def encode_lam(self, feat_i: Tensor, feat_j: Tensor, lam: Tensor) -> Tuple[Tensor, Tensor]:
        """Lambda encoding of the pair: returns ``(z_i', z_j')`` (see ``lam_encoding``)."""
        lam = lam.reshape(-1, 1, 1, 1)
        if self.lam_encoding == 'adaptive':
            gamma = self.clamped_gamma()
            return (1 + gamma * lam) * feat_i, (1 + gamma * (1 - lam)) * feat_j
        if self.lam_encoding == 'concat':
            n, _, h, w = feat_i.shape
            lam_map = lam.expand(n, 1, h, w)
            return torch.cat([feat_i, lam_map], dim=1), torch.cat([feat_j, 1 - lam_map], dim=1)
        return feat_i, feat_j

    def attention_weights(self, z_i: Tensor, z_j: Tensor) -> Tensor:
        """Row-stochastic attention ``P`` (N x hw x hw), softmax over the last axis.

        global (Mix Block+, AMix Eq. 5): ``z_c = concat(z_i', z_j')``,
        ``P = softmax((W_P z_c)^T (W_P z_c) / sqrt(d))``;
        cross (AutoMix): ``P = softmax((W_P z_i')^T (W_P z_j') / sqrt(d))``, ``d = C/2``.
        """
        if self.attention == 'global':
            query = key = self.attention_proj(torch.cat([z_i, z_j], dim=1)).flatten(2)
        else:
            query, key = self.attention_proj(z_i).flatten(2), self.attention_proj(z_j).flatten(2)
        d = query.shape[1]
        return torch.softmax(query.transpose(1, 2) @ key / math.sqrt(d), dim=-1)

    def mask_logits(self, z_i: Tensor, z_j: Tensor) -> Tensor:
        """``P C(z_i')`` on the feature grid (N x 1 x h x w): the content of ``x_i`` aggregated by ``P``."""
        content = self.content_net(z_i)
        if self.attention == 'none':
            return content
        n, _, h, w = content.shape
        weights = self.attention_weights(z_i, z_j)
        return (weights @ content.view(n, h * w, 1)).view(n, 1, h, w)

    def forward(self, feat: Tensor, lam: Union[float, Tensor], index: Tensor,
                out_size: Tuple[int, int]) -> Dict[str, Tensor]:
        """Predict the mask of ``x_i`` for the pairs ``(i, index[i])``.

        Args:
            feat: N x C x h x w stage-``l`` features of the batch; the partner features are ``feat[index]``.
            lam: a float or Tensor[N] in [0, 1] (the weight of ``x_i``).
            index: LongTensor[N], the pairing.
            out_size: (H, W) of the images.

        Returns:
            dict with ``mask`` (N x 1 x H x W, final mask, lambda-adjusted if ``lam_adjust``), ``mask_raw``
            (``U(sigmoid(P C(z_i')))`` before adjusting) and ``loss_mask`` (Tensor[N], ``L_mean + L_var`` of
            ``mask_raw``, not weighted by ``beta``). Mix with ``x_mix = mask * x + (1 - mask) * x[index]``.
        """
        lam = self._check_inputs(feat, lam, index, out_size)
        z_i, z_j = self.encode_lam(feat, feat[index], lam)
        mask_raw = upsampled_mask(self.mask_logits(z_i, z_j), out_size, self.upsample)
        mask = adjust_mask_mean(mask_raw, lam) if self.lam_adjust else mask_raw
        return dict(
            mask=mask,
            mask_raw=mask_raw,
            loss_mask=mask_loss(mask_raw, lam, self.mask_loss_eps, self.variance_loss))

    def _check_inputs(self, feat: Tensor, lam, index: Tensor, out_size) -> Tensor:
        """Validate the inputs and return ``lam`` as a Tensor[N] on ``feat``'s device, in at least float32
        (``lam`` is not rounded to the fp16 / bf16 of features under autocast)."""
        if not isinstance(feat, Tensor) or feat.dim() != 4:
            raise ValueError(
                f'feat must be an N x C x h x w tensor, got {getattr(feat, "shape", type(feat))}')
        n, channels = feat.shape[:2]
        if channels != self.in_channels:
            raise ValueError(f'in_channels={self.in_channels} does not match the {channels} feature channels '
                             f'of feat {tuple(feat.shape)}')
        if n < 2:
            raise ValueError(f'feat must hold a batch of at least 2 samples to pair, got batch size {n}')
        if (not isinstance(index, Tensor) or index.shape != (n, )
                or index.dtype not in (torch.int64, torch.int32)):
            raise ValueError(f'index must be an integer tensor of shape ({n},), got '
                             f'{getattr(index, "dtype", type(index))} {tuple(getattr(index, "shape", ()))}')
        if (not isinstance(out_size, (tuple, list)) or len(out_size) != 2
                or not all(isinstance(s, int) and s > 0 for s in out_size)):
            raise ValueError(f'out_size must be (H, W) positive ints, got {out_size!r}')
        check_unit_interval(lam)
        lam = full_like_lam(lam, compute_dtype(feat.dtype), feat.device)
        if lam.dim() == 0:
            lam = lam.expand(n)
        if lam.shape != (n, ):
            raise ValueError(f'lam must be a float or a tensor of shape ({n},), got shape {tuple(lam.shape)}')
        return lam
