"""Functional core of sample mixing: pure tensor functions, device-agnostic, with an optional
``torch.Generator``.

Conventions (spec ``methods.md`` sec. 1):

* ``index`` is the pairing: the partner of sample ``i`` is ``index[i]``.
* ``lam`` is the weight of ``x_i``. A float (or a 0-d / one-element tensor) is one ``lam`` for the whole batch
  (the papers' default; CutMix, ResizeMix and FMix then draw ONE box / mask shared by the batch, SaliencyMix
  one box size centred on each partner's saliency peak); a ``Tensor[N]`` is one ``lam`` per sample (one box /
  mask per sample).
* Every policy returns a :class:`MixResult` whose ``lam`` is the CORRECTED per-sample weight of ``x_i`` (what
  the losses must use) and whose ``mask`` (N x 1 x H x W) is the per-pixel weight of ``x_i``, so ``lam``
  equals the per-sample mask mean (``lam_source='mask_mean'``; only the masks of AutoMix's unadjusted
  MixBlock carry the drawn ``lam`` instead, ``lam_source='drawn'``). ``mixed = mask * x + (1 - mask) *
  x[index]`` holds for every policy except ResizeMix, whose partner is resized into the box rather than cut
  out (its mask is 0 on the box, 1 elsewhere).
* Random draws honour ``generator``; they are made on the generator's device and moved to the input's device,
  so a seeded generator gives the same draws whatever the input's device (without one, torch's global RNG is
  used).
"""
import math
from typing import NamedTuple, Optional, Union

import torch
import torch.nn.functional as F

from ..utils.checks import check_async
from ..utils.precision import compute_dtype, full_precision

LamLike = Union[float, torch.Tensor]

PAIRING_MODES = ('flip', 'random')
LAM_SOURCES = ('mask_mean', 'drawn')


class MixResult(NamedTuple):
    """Output of every mixing policy and of the Mixers' mixtures.

    Attributes:
        mixed: mixed batch, same shape as the input.
        lam: float Tensor[N], the weight of ``x_i`` in ``mixed[i]`` that the losses use; ``lam_source`` says
            which value it is.
        index: LongTensor[N], pairing; the partner of ``i`` is ``index[i]``.
        mask: N x 1 x H x W (N x 1 x ... for features) per-pixel weight of ``x_i``.
        lam_source: ``'mask_mean'``: ``lam`` is the per-sample mean of ``mask`` (every policy; a Mixer that
            adjusts its masks to the drawn ``lam``, SAMix's Mix Block+). ``'drawn'``: ``lam`` is the drawn
            ``lam`` and the mask mean only approaches it through the mask loss ``L_mean`` (AutoMix's MixBlock,
            whose masks are not adjusted and whose losses use the drawn ``lam``: Liu et al., "AutoMix:
            Unveiling the Power of Mixup for Stronger Classifiers", ECCV 2022, arXiv:2103.13027, sec. 3.2).
    """
    mixed: torch.Tensor
    lam: torch.Tensor
    index: torch.Tensor
    mask: torch.Tensor
    lam_source: str = 'mask_mean'

    def mask_mean(self) -> torch.Tensor:
        """Per-sample mean of ``mask`` as a float Tensor[N] (equal to ``lam`` when ``lam_source`` is
        ``'mask_mean'``)."""
        return self.mask.flatten(1).float().mean(1)


def uniform(shape, generator: Optional[torch.Generator], device=None) -> torch.Tensor:
    """U[0, 1) draws made on the generator's device, returned on ``device``."""
    draw_device = generator.device if generator is not None else device
    return torch.rand(shape, generator=generator, device=draw_device).to(device)


def _randn(shape, generator: Optional[torch.Generator], device=None) -> torch.Tensor:
    """N(0, 1) draws made on the generator's device, returned on ``device``."""
    draw_device = generator.device if generator is not None else device
    return torch.randn(shape, generator=generator, device=draw_device).to(device)


def pair_indices(batch_size: int, mode: str = 'flip', generator: Optional[torch.Generator] = None,
                 device=None) -> torch.Tensor:
    """Pairing of a batch: ``flip`` gives ``pi(i) = N - 1 - i`` (an involution), ``random`` a random
    permutation.

    Spec sec. 1 (notation); Un-Mix (003) and BSIM (000) use ``flip``.
    """
    if batch_size < 2:
        raise ValueError(f'batch_size must be >= 2 to pair samples for mixing (pairing mode {mode!r}), '
                         f'got {batch_size}')
    if mode == 'flip':
        return torch.arange(batch_size - 1, -1, -1, device=device)
    if mode == 'random':
        draw_device = generator.device if generator is not None else device
        return torch.randperm(batch_size, generator=generator, device=draw_device).to(device)
    raise ValueError(f'pairing must be one of {PAIRING_MODES}, got {mode!r}')


def check_alpha(alpha: float) -> None:
    """Raise ValueError unless ``alpha > 0`` (the Beta(alpha, alpha) parameter)."""
    if not alpha > 0:
        raise ValueError(f'alpha must be > 0 (Beta(alpha, alpha)), got {alpha}')


def _log_gamma(concentration: float, num: int, generator, device) -> torch.Tensor:
    """Log of ``num`` Gamma(concentration, 1) draws (Marsaglia & Tsang 2000, "A simple method for generating
    gamma variables", ACM TOMS 26(3)).

    For ``a >= 1``: ``d = a - 1/3``, ``c = 1 / sqrt(9 d)``; draw ``g ~ N(0,1)``, ``v = (1 + c g)^3``, accept
    when ``v > 0`` and ``log u < g^2 / 2 + d - d v + d log v``; the draw is ``d v``. For ``a < 1`` the boost
    ``Gamma(a) = Gamma(a + 1) * u^(1/a)`` is applied in log space so tiny draws do not underflow.
    """
    boost = concentration < 1
    a = concentration + 1 if boost else concentration
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    result = torch.empty(num, dtype=torch.float64, device=device)
    pending = torch.arange(num, device=device)
    while pending.numel() > 0:
        k = pending.numel()
        g = _randn(k, generator, device).double()
        u = uniform(k, generator, device).double()
        v = (1 + c * g) ** 3
        accept = v > 0
        log_v = torch.log(v.clamp_min(1e-300))
        accept &= torch.log(u) < 0.5 * g ** 2 + d - d * v + d * log_v
        result[pending[accept]] = math.log(d) + log_v[accept]
        pending = pending[~accept]
    if boost:
        result = result + torch.log(uniform(num, generator, device).double()) / concentration
    return result


def sample_lambda(alpha: float, num: int = 1, generator: Optional[torch.Generator] = None,
                  device=None) -> torch.Tensor:
    """``num`` draws of ``lam ~ Beta(alpha, alpha)`` (spec sec. 1) as float Tensor[num] on ``device``.

    ``Beta(a, a) = X / (X + Y)`` with ``X, Y ~ Gamma(a, 1)`` independent, computed as
    ``sigmoid(log X - log Y)`` for numerical stability at small ``alpha``. The rejection sampling loops on
    the draws' values, so it runs on the generator's device (the host without a generator) and the result is
    copied to ``device`` without blocking: no host-device synchronisation in a training step.
    """
    check_alpha(alpha)
    draw_device = generator.device if generator is not None else 'cpu'
    log_x = _log_gamma(float(alpha), num, generator, draw_device)
    log_y = _log_gamma(float(alpha), num, generator, draw_device)
    return torch.sigmoid(log_x - log_y).float().to(device, non_blocking=True)


def check_unit_interval(value: LamLike, key: str = 'lam') -> None:
    """Raise ValueError unless every value of ``value`` lies in [0, 1]; a tensor is checked without a
    host-device synchronisation (:func:`~mixplugins.models.utils.check_async`)."""
    message = f'{key} must lie in [0, 1] (weight of x_i)'
    if isinstance(value, torch.Tensor):
        check_async(((value >= 0) & (value <= 1)).all(), message)
    elif not 0 <= value <= 1:
        raise ValueError(f'{message}, got {value}')


def full_like_lam(lam: LamLike, dtype: torch.dtype, device) -> torch.Tensor:
    """``lam`` as a tensor of ``dtype`` on ``device``; a Python number is filled in on the device (no blocking
    host-to-device copy)."""
    if isinstance(lam, torch.Tensor):
        return lam.to(device=device, dtype=dtype)
    return torch.full((), lam, dtype=dtype, device=device)


def lam_vector(lam: LamLike, batch_size: int, device=None) -> torch.Tensor:
    """``lam`` (float, 0-d / one-element tensor, or Tensor[N]) as a float Tensor[N]; checks
    ``0 <= lam <= 1`` (:func:`check_unit_interval`)."""
    check_unit_interval(lam)
    lam = full_like_lam(lam, torch.float32, device).reshape(-1)
    if lam.numel() == 1:
        lam = lam.expand(batch_size)
    if lam.numel() != batch_size:
        raise ValueError(f'lam must be a float or a Tensor[N] with N = batch size {batch_size}, '
                         f'got {lam.numel()} values')
    return lam


def is_batch_lam(lam: LamLike) -> bool:
    """True when ``lam`` is one value for the whole batch (float / one-element tensor)."""
    return not isinstance(lam, torch.Tensor) or lam.numel() == 1


_full_precision_lerp = full_precision(torch.lerp)


def mix_with_mask(x: torch.Tensor, mask: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``mixed = mask * x + (1 - mask) * x[index]`` (spec sec. 4 item 4, the general form of every policy),
    computed in one pass as ``lerp(x[index], x, mask)``, in at least float32 whatever the dtypes of ``x`` and
    ``mask`` (a Mixer's mask comes out of autocast in fp16 / bf16), returned in ``x``'s dtype."""
    return _full_precision_lerp(x[index], x, mask).to(x.dtype)


def mixup(x: torch.Tensor, lam: LamLike, index: torch.Tensor,
          generator: Optional[torch.Generator] = None) -> MixResult:
    """Mixup (spec sec. 1): ``x_m = lam * x_i + (1 - lam) * x_pi(i)``; ``mask`` is filled with ``lam``.

    ``generator`` is accepted so every policy function has the same call signature; Mixup draws nothing.
    """
    n = x.size(0)
    lam_n = lam_vector(lam, n, x.device).to(compute_dtype(x.dtype))
    mask = lam_n.view(n, 1, *([1] * (x.dim() - 2))).expand(n, 1, *x.shape[2:]).contiguous()
    return MixResult(mix_with_mask(x, mask, index), lam_n.float(), index, mask)


def manifold_mix(features: torch.Tensor, lam: LamLike, index: torch.Tensor) -> MixResult:
    """ManifoldMix (Verma et al. 2019; spec sec. 1): Mixup of hidden features ``h`` of any shape N x ...:
    ``h_m = lam * h_i + (1 - lam) * h_pi(i)``. The mask has shape N x 1 x (spatial dims of ``h``)."""
    return mixup(features, lam, index)


def mix_scores(scores: torch.Tensor, lam: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Mixed soft targets of N x K scores (mixup, Zhang et al. 2018, arXiv:1710.09412):
    ``s_m = lam_i s_i + (1 - lam_i) s_pi(i)`` with the per-sample ``lam`` (Tensor[N])."""
    lam = lam.to(device=scores.device, dtype=scores.dtype).view(-1, 1)
    return lam * scores + (1 - lam) * scores[index]


def sample_stage(num_stages: int, generator: Optional[torch.Generator] = None) -> int:
    """Uniform choice of the stage whose output ManifoldMix mixes (0 = the input image, spec sec. 1)."""
    if num_stages < 1:
        raise ValueError(f'num_stages must be >= 1 for ManifoldMix, got {num_stages}')
    return int(uniform(1, generator) * num_stages)


def _box_mask(lam_n: torch.Tensor, height: int, width: int, centre_y: torch.Tensor,
              centre_x: torch.Tensor) -> torch.Tensor:
    """N x 1 x H x W mask that is 0 inside each sample's box and 1 outside (CutMix box, spec sec. 1):
    ``r = sqrt(1 - lam)``, ``cut_h = int(H r)``, ``cut_w = int(W r)``, box ``[cy - cut_h // 2, + cut_h)``
    (same in x), clipped to the image."""
    ratio = torch.sqrt(1 - lam_n.double())
    cut_h = (height * ratio).long()
    cut_w = (width * ratio).long()
    y1 = (centre_y - cut_h // 2).clamp(0, height)
    y2 = (centre_y - cut_h // 2 + cut_h).clamp(0, height)
    x1 = (centre_x - cut_w // 2).clamp(0, width)
    x2 = (centre_x - cut_w // 2 + cut_w).clamp(0, width)
    rows = torch.arange(height, device=lam_n.device)
    cols = torch.arange(width, device=lam_n.device)
    in_rows = (rows >= y1[:, None]) & (rows < y2[:, None])
    in_cols = (cols >= x1[:, None]) & (cols < x2[:, None])
    inside = in_rows[:, :, None] & in_cols[:, None, :]
    return (~inside).unsqueeze(1)


def _uniform_centres(batch_size: int, height: int, width: int, shared: bool, generator, device):
    """Box centres uniform over the pixel grid; one centre for the batch when ``shared``."""
    k = 1 if shared else batch_size
    cy = (uniform(k, generator, device) * height).long().clamp_max(height - 1).expand(batch_size)
    cx = (uniform(k, generator, device) * width).long().clamp_max(width - 1).expand(batch_size)
    return cy, cx


def _mix_with_binary_mask(x: torch.Tensor, keep: torch.Tensor, index: torch.Tensor) -> MixResult:
    """Mix with a boolean N x 1 x H x W mask (True = keep ``x_i``); ``lam`` corrected to the kept fraction."""
    mask = keep.to(x.dtype)
    lam = keep.flatten(1).float().mean(1)
    return MixResult(mix_with_mask(x, mask, index), lam, index, mask)


def cutmix(x: torch.Tensor, lam: LamLike, index: torch.Tensor,
           generator: Optional[torch.Generator] = None) -> MixResult:
    """CutMix (Yun et al. 2019; spec sec. 1): a box with side ratio ``sqrt(1 - lam)``, centre uniform,
    clipped, is pasted from ``x_pi(i)``; ``lam <- 1 - box_area / (H W)``. A batch ``lam`` gives one box for
    the batch."""
    n, _, h, w = x.shape
    lam_n = lam_vector(lam, n, x.device)
    cy, cx = _uniform_centres(n, h, w, is_batch_lam(lam), generator, x.device)
    return _mix_with_binary_mask(x, _box_mask(lam_n, h, w, cy, cx), index)


def spectral_residual_saliency(x: torch.Tensor, size: int = 64) -> torch.Tensor:
    """Spectral-residual saliency (Hou & Zhang, CVPR 2007; the OpenCV ``StaticSaliencySpectralResidual`` used
    by SaliencyMix), N x ``size`` x ``size``.

    On the grey image resized to ``size`` x ``size``: ``A = log |FFT(I)|``, ``P = angle(FFT(I))``,
    ``R = A - box3x3(A)`` (circular padding: the spectrum is periodic),
    ``S = gaussian_blur_5x5,sigma=8(|IFFT(exp(R + i P))|^2)``.
    """
    grey = x.detach().float().mean(1, keepdim=True)
    small = F.interpolate(grey, size=(size, size), mode='bilinear', align_corners=False)
    spectrum = torch.fft.fft2(small)
    log_amplitude = torch.log(spectrum.abs() + 1e-8)
    residual = log_amplitude - F.avg_pool2d(F.pad(log_amplitude, (1, 1, 1, 1), mode='circular'), 3, stride=1)
    saliency = torch.fft.ifft2(torch.exp(torch.complex(residual, torch.angle(spectrum)))).abs() ** 2
    taps = torch.arange(5, dtype=saliency.dtype, device=saliency.device) - 2
    kernel_1d = torch.exp(-taps ** 2 / (2 * 8.0 ** 2))
    kernel = (kernel_1d[:, None] * kernel_1d[None, :] / kernel_1d.sum() ** 2).view(1, 1, 5, 5)
    return F.conv2d(F.pad(saliency, (2, 2, 2, 2), mode='replicate'), kernel)[:, 0]


def saliency_peak(x: torch.Tensor, size: int = 64):
    """Image coordinates ``(rows, cols)`` (LongTensor[N] each) of the most salient pixel of every image: the
    argmax of :func:`spectral_residual_saliency` mapped from the ``size`` grid to the H x W pixel grid."""
    _, _, h, w = x.shape
    peak = spectral_residual_saliency(x, size).flatten(1).argmax(1)
    rows = ((peak // size).double() + 0.5) * h / size
    cols = ((peak % size).double() + 0.5) * w / size
    return rows.long().clamp_max(h - 1), cols.long().clamp_max(w - 1)


def saliencymix(x: torch.Tensor, lam: LamLike, index: torch.Tensor,
                generator: Optional[torch.Generator] = None) -> MixResult:
    """SaliencyMix (Uddin et al., ICLR 2021): the CutMix box (side ratio ``sqrt(1 - lam)``) is centred at the
    most salient pixel of the partner ``x_pi(i)`` (spectral-residual saliency), pasted from the partner at the
    same place; ``lam <- 1 - box_area / (H W)``. Each sample uses its own partner's saliency peak (the
    original code uses the peak of one partner for the whole batch). ``generator`` is accepted for the common
    signature; nothing is drawn.
    """
    n, _, h, w = x.shape
    lam_n = lam_vector(lam, n, x.device)
    rows, cols = saliency_peak(x)
    return _mix_with_binary_mask(x, _box_mask(lam_n, h, w, rows[index], cols[index]), index)


def resizemix(x: torch.Tensor, lam: LamLike, index: torch.Tensor,
              generator: Optional[torch.Generator] = None, interpolation: str = 'bilinear') -> MixResult:
    """ResizeMix (Qin et al. 2020; spec sec. 1): the whole partner ``x_pi(i)`` is resized into a box of side
    ratio ``tau = sqrt(1 - lam)`` (``box_h = int(H tau)``, ``box_w = int(W tau)``) placed uniformly inside the
    image; ``lam <- 1 - box_area / (H W)``. The policy draws ``tau ~ U(0.1, 0.8)``; this function takes
    ``lam`` so every policy shares one signature. A batch ``lam`` gives one box for the batch.
    """
    n, _, h, w = x.shape
    lam_n = lam_vector(lam, n, x.device)
    shared = is_batch_lam(lam)
    ratio = torch.sqrt(1 - lam_n.double())
    box_h = (h * ratio).long()
    box_w = (w * ratio).long()
    k = 1 if shared else n
    top = (uniform(k, generator, x.device) * (h - box_h[:k] + 1)).long().expand(n)
    left = (uniform(k, generator, x.device) * (w - box_w[:k] + 1)).long().expand(n)
    mixed = x.clone()
    mask = torch.ones(n, 1, h, w, dtype=x.dtype, device=x.device)
    align = dict(align_corners=False) if interpolation in ('bilinear', 'bicubic') else {}
    # One resize of the whole batch for a shared box (then paired), one resize of the partner per sample else.
    groups = [slice(None)] if shared else range(n)
    for rows in groups:
        i = 0 if shared else rows
        bh, bw, t, l = int(box_h[i]), int(box_w[i]), int(top[i]), int(left[i])
        if bh == 0 or bw == 0:
            continue
        sources = x if shared else x[index[i:i + 1]]
        resized = F.interpolate(sources, size=(bh, bw), mode=interpolation, **align)
        mixed[rows, :, t:t + bh, l:l + bw] = resized[index] if shared else resized[0]
        mask[rows, :, t:t + bh, l:l + bw] = 0
    lam_out = 1 - (box_h * box_w).float() / (h * w)
    return MixResult(mixed, lam_out, index, mask)


def fourier_grey_image(height: int, width: int, num: int, decay_power: float = 3.0,
                       generator: Optional[torch.Generator] = None, device=None) -> torch.Tensor:
    """Low-frequency grey images (FMix, Harris et al. 2020, sec. 3): complex Gaussian spectrum scaled by
    ``1 / max(f, 1 / max(H, W))^decay_power`` (``f`` the frequency magnitude), inverse real FFT;
    returns num x H x W."""
    fy = torch.fft.fftfreq(height, device=device)[:, None]
    fx = torch.fft.rfftfreq(width, device=device)[None, :]
    freq = torch.sqrt(fy ** 2 + fx ** 2)
    scale = 1.0 / freq.clamp_min(1.0 / max(height, width)) ** decay_power
    real = _randn((num, *freq.shape), generator, device) * scale
    imag = _randn((num, *freq.shape), generator, device) * scale
    return torch.fft.irfft2(torch.complex(real, imag), s=(height, width))


def fmix(x: torch.Tensor, lam: LamLike, index: torch.Tensor, decay_power: float = 3.0,
         generator: Optional[torch.Generator] = None) -> MixResult:
    """FMix (Harris et al. 2020, sec. 3): binarise a low-frequency grey image so that its top
    ``round(lam * H W)`` pixels are 1 (kept from ``x_i``) and the rest 0 (from ``x_pi(i)``); hence
    ``lam <- round(lam H W) / (H W)``, the exact mask mean. A batch ``lam`` gives one mask for the batch."""
    n, _, h, w = x.shape
    lam_n = lam_vector(lam, n, x.device)
    num_masks = 1 if is_batch_lam(lam) else n
    grey = fourier_grey_image(h, w, num_masks, decay_power, generator, x.device).flatten(1)
    rank = torch.empty_like(grey, dtype=torch.long)
    order = grey.argsort(dim=1, descending=True)
    rank.scatter_(1, order, torch.arange(h * w, device=x.device).expand_as(order).contiguous())
    num_kept = torch.round(lam_n.double() * h * w).long()
    keep = (rank.expand(n, -1) < num_kept[:, None]).view(n, 1, h, w)
    return _mix_with_binary_mask(x, keep, index)
