"""Functional core of sample mixing: pure tensor functions, device-agnostic, with an optional
``torch.Generator``.

The policies' papers: Mixup (Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018,
arXiv:1710.09412); CutMix (Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with
Localizable Features", ICCV 2019, arXiv:1905.04899); ResizeMix (Qin et al., "ResizeMix: Mixing Data with Preserved
Object Information and True Labels", 2020, arXiv:2012.11101); FMix (Harris et al., "FMix: Enhancing Mixed Sample
Data Augmentation", 2020, arXiv:2002.12047); SaliencyMix (Uddin et al., "SaliencyMix: A Saliency Guided Data
Augmentation Strategy for Better Regularization", ICLR 2021, arXiv:2006.01791); ManifoldMix (Verma et al.,
"Manifold Mixup: Better Representations by Interpolating Hidden States", ICML 2019, arXiv:1806.05236).

Conventions (``docs/methods.md#notation-and-conventions``):

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
  used; the draws of a box shared by the batch are then made on the host, where the box is computed).
"""
import math
from functools import partial
from typing import Callable, Optional, Union

import torch
import torch.nn.functional as F

from ..utils.checks import check_async
from ..utils.precision import compute_dtype, full_precision

LamLike = Union[float, torch.Tensor]

PAIRING_MODES = ('flip', 'random')
LAM_SOURCES = ('mask_mean', 'drawn')


class MixResult:
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

    ``mask`` is given as a tensor or as a function that builds it, called when the mask is first read: a box
    pasted into the batch needs no mask to be mixed, and most consumers never read it. Unpacks as
    ``mixed, lam, index, mask``.
    """
    __slots__ = ('mixed', 'lam', 'index', '_mask', 'lam_source')

    def __init__(self, mixed: torch.Tensor, lam: torch.Tensor, index: torch.Tensor,
                 mask: Union[torch.Tensor, Callable[[], torch.Tensor]], lam_source: str = 'mask_mean'):
        if lam_source not in LAM_SOURCES:
            raise ValueError(f'lam_source must be one of {LAM_SOURCES}, got {lam_source!r}')
        self.mixed = mixed
        self.lam = lam
        self.index = index
        self._mask = mask
        self.lam_source = lam_source

    @property
    def mask(self) -> torch.Tensor:
        if callable(self._mask):
            self._mask = self._mask()
        return self._mask

    def __iter__(self):
        return iter((self.mixed, self.lam, self.index, self.mask))

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

    ``docs/methods.md#notation-and-conventions``; Un-Mix (Shen et al., "Un-Mix: Rethinking Image Mixtures for
    Unsupervised Visual Representation Learning", AAAI 2022, arXiv:2003.05438) and BSIM (Chu et al., "A Unified
    Mixture-View Framework for Unsupervised Representation Learning", 2022, arXiv:2011.13356) use ``flip``.
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
    """``num`` draws of ``lam ~ Beta(alpha, alpha)`` as float Tensor[num] on ``device``.

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
    """``mixed = mask * x + (1 - mask) * x[index]`` (``docs/methods.md#mixer`` step 4, the general form of every
    policy), computed in one pass as ``lerp(x[index], x, mask)``, in at least float32 whatever the dtypes of ``x``
    and ``mask`` (a Mixer's mask comes out of autocast in fp16 / bf16), returned in ``x``'s dtype."""
    return _full_precision_lerp(x[index], x, mask).to(x.dtype)


def mixup(x: torch.Tensor, lam: LamLike, index: torch.Tensor,
          generator: Optional[torch.Generator] = None) -> MixResult:
    """Mixup (Zhang et al., ICLR 2018, arXiv:1710.09412): ``x_m = lam * x_i + (1 - lam) * x_pi(i)``; ``mask`` is
    ``lam`` broadcast over the pixels (a view: nothing per pixel is stored).

    ``generator`` is accepted so every policy function has the same call signature; Mixup draws nothing.
    """
    n = x.size(0)
    lam_n = lam_vector(lam, n, x.device).to(compute_dtype(x.dtype))
    mask = lam_n.view(n, 1, *([1] * (x.dim() - 2))).expand(n, 1, *x.shape[2:])
    return MixResult(mix_with_mask(x, mask, index), lam_n.float(), index, mask)


def manifold_mix(features: torch.Tensor, lam: LamLike, index: torch.Tensor) -> MixResult:
    """ManifoldMix (Verma et al., ICML 2019, arXiv:1806.05236): Mixup of hidden features ``h`` of any shape N x ...:
    ``h_m = lam * h_i + (1 - lam) * h_pi(i)``. The mask has shape N x 1 x (spatial dims of ``h``)."""
    return mixup(features, lam, index)


def mix_scores(scores: torch.Tensor, lam: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Mixed soft targets of N x K scores (mixup, Zhang et al. 2018, arXiv:1710.09412):
    ``s_m = lam_i s_i + (1 - lam_i) s_pi(i)`` with the per-sample ``lam`` (Tensor[N])."""
    lam = lam.to(device=scores.device, dtype=scores.dtype).view(-1, 1)
    return lam * scores + (1 - lam) * scores[index]


def sample_stage(num_stages: int, generator: Optional[torch.Generator] = None) -> int:
    """Uniform choice of the stage whose output ManifoldMix mixes (0 = the input image;
    ``docs/methods.md#mixing-policies``)."""
    if num_stages < 1:
        raise ValueError(f'num_stages must be >= 1 for ManifoldMix, got {num_stages}')
    return int(uniform(1, generator) * num_stages)


def _box_bounds(lam_n: torch.Tensor, height: int, width: int, centre_y: torch.Tensor,
                centre_x: torch.Tensor):
    """Rows ``[y1, y2)`` and columns ``[x1, x2)`` (LongTensor[N] each) of each sample's CutMix box
    (``docs/methods.md#mixing-policies``): ``r = sqrt(1 - lam)``, ``cut_h = int(H r)``, ``cut_w = int(W r)``, box
    ``[cy - cut_h // 2, + cut_h)`` (same in x), clipped to the image."""
    ratio = torch.sqrt(1 - lam_n.double())
    cut_h = (height * ratio).long()
    cut_w = (width * ratio).long()
    y1 = (centre_y - cut_h // 2).clamp(0, height)
    y2 = (centre_y - cut_h // 2 + cut_h).clamp(0, height)
    x1 = (centre_x - cut_w // 2).clamp(0, width)
    x2 = (centre_x - cut_w // 2 + cut_w).clamp(0, width)
    return y1, y2, x1, x2


def _box_mask(lam_n: torch.Tensor, height: int, width: int, centre_y: torch.Tensor,
              centre_x: torch.Tensor) -> torch.Tensor:
    """N x 1 x H x W mask that is 0 inside each sample's box (:func:`_box_bounds`) and 1 outside."""
    y1, y2, x1, x2 = _box_bounds(lam_n, height, width, centre_y, centre_x)
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


def _binary_mask(keep: torch.Tensor, batch_size: int, dtype: torch.dtype) -> torch.Tensor:
    """Float N x 1 x H x W mask of a boolean K x 1 x H x W one (True = keep ``x_i``; K = N, or K = 1 for a mask
    shared by the batch, then a broadcast view)."""
    return keep.to(dtype).expand(batch_size, *keep.shape[1:])


def _kept_fraction(keep: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Corrected ``lam`` of a boolean K x 1 x H x W mask: the kept fraction ``#kept / (H W)`` in float32 (the
    float mask's mean), as Tensor[N]."""
    return (keep.flatten(1).sum(1).float() / keep[0].numel()).expand(batch_size).contiguous()


def _mix_with_binary_mask(x: torch.Tensor, keep: torch.Tensor, index: torch.Tensor) -> MixResult:
    """Mix with a boolean K x 1 x H x W mask: ``mixed = where(keep, x, x[index])``, the blend
    :func:`mix_with_mask` with a 0 / 1 mask without building the float mask (built when read,
    :func:`_binary_mask`); ``lam`` corrected to the kept fraction."""
    n = x.size(0)
    return MixResult(torch.where(keep, x, x[index]), _kept_fraction(keep, n), index,
                     partial(_binary_mask, keep, n, x.dtype))


def _host_draw_device(generator: Optional[torch.Generator]):
    """Device of the draws whose values set a shared box: the generator's, the host without one."""
    return generator.device if generator is not None else torch.device('cpu')


def _shared_box_mask(batch_size: int, height: int, width: int, box, dtype: torch.dtype, device) -> torch.Tensor:
    """Mask of one box ``(y1, y2, x1, x2)`` shared by the batch: 0 on rows ``[y1, y2)`` x columns ``[x1, x2)``,
    1 elsewhere, as a broadcast N x 1 x H x W view of one 1 x 1 x H x W mask."""
    y1, y2, x1, x2 = box
    mask = torch.ones(1, 1, height, width, dtype=dtype, device=device)
    mask[:, :, y1:y2, x1:x2] = 0
    return mask.expand(batch_size, 1, height, width)


def _paste_box(x: torch.Tensor, index: torch.Tensor, box, patch: Optional[torch.Tensor] = None) -> MixResult:
    """One box ``box = (y1, y2, x1, x2)`` (Python ints) shared by the batch: ``mixed`` is a copy of ``x`` whose
    box holds ``patch`` (N x C x (y2 - y1) x (x2 - x1); by default the partners' box,
    ``x[index][..., y1:y2, x1:x2]``). This is ``mask * x + (1 - mask) * patch`` with the mask 0 on the box and
    1 elsewhere, for the cost of a copy plus the box instead of a blend of the whole batch. ``lam = (H W -
    box_area) / (H W)`` in float32 is the mask mean; the mask (:func:`_shared_box_mask`) is built when first
    read."""
    n, _, h, w = x.shape
    y1, y2, x1, x2 = box
    mixed = x.clone()
    mixed[:, :, y1:y2, x1:x2] = x[:, :, y1:y2, x1:x2][index] if patch is None else patch
    lam = torch.full((n, ), h * w - (y2 - y1) * (x2 - x1), dtype=torch.float32, device=x.device).div_(h * w)
    return MixResult(mixed, lam, index, partial(_shared_box_mask, n, h, w, box, x.dtype, x.device))


def cutmix(x: torch.Tensor, lam: LamLike, index: torch.Tensor,
           generator: Optional[torch.Generator] = None) -> MixResult:
    """CutMix (Yun et al., ICCV 2019, arXiv:1905.04899): a box with side ratio ``sqrt(1 - lam)``, centre uniform,
    clipped, is pasted from ``x_pi(i)``; ``lam <- 1 - box_area / (H W)``.

    A batch ``lam`` gives one box for the batch, pasted (:func:`_paste_box`); its corners are computed where
    the draws are made (:func:`_host_draw_device`) and read as Python ints, so a ``lam`` tensor is best drawn
    on the host, as the policies do. A per-sample ``lam`` gives one box per sample, mixed by its mask.
    """
    n, _, h, w = x.shape
    if is_batch_lam(lam):
        device = _host_draw_device(generator)
        cy, cx = _uniform_centres(1, h, w, True, generator, device)
        bounds = _box_bounds(lam_vector(lam, 1, device), h, w, cy, cx)
        return _paste_box(x, index, torch.cat(bounds).tolist())
    lam_n = lam_vector(lam, n, x.device)
    cy, cx = _uniform_centres(n, h, w, False, generator, x.device)
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
    """SaliencyMix (Uddin et al., ICLR 2021, arXiv:2006.01791): the CutMix box (side ratio ``sqrt(1 - lam)``) is
    centred at the most salient pixel of the partner ``x_pi(i)`` (spectral-residual saliency), pasted from the
    partner at the same place; ``lam <- 1 - box_area / (H W)``. Each sample uses its own partner's saliency peak (the
    original code uses the peak of one partner for the whole batch). ``generator`` is accepted for the common
    signature; nothing is drawn.
    """
    n, _, h, w = x.shape
    lam_n = lam_vector(lam, n, x.device)
    rows, cols = saliency_peak(x)
    return _mix_with_binary_mask(x, _box_mask(lam_n, h, w, rows[index], cols[index]), index)


def resizemix(x: torch.Tensor, lam: LamLike, index: torch.Tensor,
              generator: Optional[torch.Generator] = None, interpolation: str = 'bilinear') -> MixResult:
    """ResizeMix (Qin et al. 2020, arXiv:2012.11101): the whole partner ``x_pi(i)`` is resized into a box of side
    ratio ``tau = sqrt(1 - lam)`` (``box_h = int(H tau)``, ``box_w = int(W tau)``) placed uniformly inside the
    image; ``lam <- 1 - box_area / (H W)``. The policy draws ``tau ~ U(0.1, 0.8)``; this function takes
    ``lam`` so every policy shares one signature.

    A batch ``lam`` gives one box for the batch: the batch is resized once and pasted, paired, into it
    (:func:`_paste_box`), the box computed where the draws are made (as for :func:`cutmix`). A per-sample
    ``lam`` resizes each sample's partner into its own box.
    """
    n, _, h, w = x.shape
    shared = is_batch_lam(lam)
    k = 1 if shared else n
    device = _host_draw_device(generator) if shared else x.device
    ratio = torch.sqrt(1 - lam_vector(lam, k, device).double())
    box_h = (h * ratio).long()
    box_w = (w * ratio).long()
    top = (uniform(k, generator, device) * (h - box_h + 1)).long()
    left = (uniform(k, generator, device) * (w - box_w + 1)).long()
    boxes = torch.stack([top, top + box_h, left, left + box_w], 1).tolist()
    align = dict(align_corners=False) if interpolation in ('bilinear', 'bicubic') else {}

    def resized(sources, y1, y2, x1, x2):
        return F.interpolate(sources, size=(y2 - y1, x2 - x1), mode=interpolation, **align)

    if shared:
        y1, y2, x1, x2 = boxes[0]
        return _paste_box(x, index, boxes[0], resized(x, *boxes[0])[index] if y2 > y1 and x2 > x1 else None)
    mixed = x.clone()
    keep = torch.ones(n, 1, h, w, dtype=torch.bool, device=x.device)
    for i, (y1, y2, x1, x2) in enumerate(boxes):
        if y2 > y1 and x2 > x1:
            mixed[i, :, y1:y2, x1:x2] = resized(x[index[i:i + 1]], y1, y2, x1, x2)[0]
            keep[i, :, y1:y2, x1:x2] = False
    return MixResult(mixed, _kept_fraction(keep, n), index, partial(_binary_mask, keep, n, x.dtype))


def fourier_grey_image(height: int, width: int, num: int, decay_power: float = 3.0,
                       generator: Optional[torch.Generator] = None, device=None) -> torch.Tensor:
    """Low-frequency grey images (FMix, Harris et al. 2020, arXiv:2002.12047, sec. 3): complex Gaussian spectrum
    scaled by ``1 / max(f, 1 / max(H, W))^decay_power`` (``f`` the frequency magnitude), inverse real FFT; returns
    num x H x W."""
    fy = torch.fft.fftfreq(height, device=device)[:, None]
    fx = torch.fft.rfftfreq(width, device=device)[None, :]
    freq = torch.sqrt(fy ** 2 + fx ** 2)
    scale = 1.0 / freq.clamp_min(1.0 / max(height, width)) ** decay_power
    real = _randn((num, *freq.shape), generator, device) * scale
    imag = _randn((num, *freq.shape), generator, device) * scale
    return torch.fft.irfft2(torch.complex(real, imag), s=(height, width))


def fmix(x: torch.Tensor, lam: LamLike, index: torch.Tensor, decay_power: float = 3.0,
         generator: Optional[torch.Generator] = None) -> MixResult:
    """FMix (Harris et al. 2020, arXiv:2002.12047, sec. 3): binarise a low-frequency grey image so that its top
    ``round(lam * H W)`` pixels are 1 (kept from ``x_i``) and the rest 0 (from ``x_pi(i)``); hence
    ``lam <- round(lam H W) / (H W)``, the exact mask mean. A batch ``lam`` gives one mask for the batch."""
    n, _, h, w = x.shape
    num_masks = 1 if is_batch_lam(lam) else n
    lam_k = lam_vector(lam, num_masks, x.device)
    grey = fourier_grey_image(h, w, num_masks, decay_power, generator, x.device).flatten(1)
    rank = torch.empty_like(grey, dtype=torch.long)
    order = grey.argsort(dim=1, descending=True)
    rank.scatter_(1, order, torch.arange(h * w, device=x.device).expand_as(order).contiguous())
    num_kept = torch.round(lam_k.double() * h * w).long()
    keep = (rank < num_kept[:, None]).view(num_masks, 1, h, w)
    return _mix_with_binary_mask(x, keep, index)
