"""The embedded default data: scikit-learn's handwritten digits as small RGB images.

1,797 scanned 8 x 8 digits (UCI optdigits, shipped inside scikit-learn: no download) with their real labels
0-9, rendered as ``image_size`` x ``image_size`` RGB uint8 images: each scan is upsampled (bilinear, 0-16 grey
levels to 0-255) to a side drawn from ``digit_scale`` x ``image_size`` and placed at a random position of a black
canvas, grey copied to the three channels. Sizes and positions come from a fixed seed, so every machine renders
the same images. Scattering makes position a nuisance that raw pixels do not factor out, but it does not defeat
them: pixel kNN still scores 81.1% on the val split (docs/results.md), the bar a learned representation has to
clear. The train/val split is fixed: a stratified 80/20 split with seed 0
(1,438 / 359 images).
"""
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

DIGITS_CLASSES = tuple(str(i) for i in range(10))
SPLITS = ('train', 'val', 'all')


def render_digits(image_size: int, digit_scale: Optional[Tuple[float, float]] = (0.6, 0.9),
                  seed: int = 0) -> np.ndarray:
    """All 1,797 digits as an ``N x S x S x 3`` uint8 array.

    Digit ``i`` becomes ``round(255 * upsample(x_i / 16, s_i))`` pasted at ``(y_i, x_i)`` on a zero canvas, with
    ``s_i ~ U{round(lo S), ..., round(hi S)}`` and a uniform position; ``digit_scale=None`` fills the canvas.
    """
    from sklearn.datasets import load_digits
    grey = torch.from_numpy(load_digits().images).float()[:, None] / 16.0
    if digit_scale is None:
        sizes, corners = np.full(len(grey), image_size), np.zeros((len(grey), 2), dtype=int)
    else:
        lo, hi = (int(round(f * image_size)) for f in digit_scale)
        rng = np.random.RandomState(seed)
        sizes = rng.randint(lo, hi + 1, size=len(grey))
        corners = (rng.rand(len(grey), 2) * (image_size - sizes[:, None] + 1)).astype(int)
    canvas = torch.zeros(len(grey), 1, image_size, image_size)
    for size in np.unique(sizes):
        idx = np.flatnonzero(sizes == size)
        digits = F.interpolate(grey[idx], size=(int(size), int(size)), mode='bilinear', align_corners=False)
        for k, i in enumerate(idx):
            y, x = corners[i]
            canvas[i, :, y:y + size, x:x + size] = digits[k]
    canvas = (canvas.clamp(0, 1) * 255).round().to(torch.uint8)
    return canvas.expand(-1, 3, -1, -1).permute(0, 2, 3, 1).contiguous().numpy()


def digits_split_indices(split: str, val_fraction: float = 0.2, seed: int = 0) -> np.ndarray:
    """Indices of ``split``: per class, a seeded permutation puts ``round(val_fraction * n_c)`` images in val."""
    from sklearn.datasets import load_digits
    labels = load_digits().target
    if split == 'all':
        return np.arange(len(labels))
    rng = np.random.RandomState(seed)
    val = np.concatenate([
        (idx := rng.permutation(np.flatnonzero(labels == c)))[:int(round(val_fraction * len(idx)))]
        for c in range(10)
    ])
    mask = np.zeros(len(labels), dtype=bool)
    mask[val] = True
    return np.flatnonzero(mask if split == 'val' else ~mask)


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """scikit-learn's handwritten digits as an mmpretrain dataset (real images and labels, no download).

    Each sample is ``dict(img=HxWx3 uint8 RGB, gt_label=int, ...)``; a pipeline starts without
    ``LoadImageFromFile``. Labelled for classification and evaluation, and usable unlabelled in multi-view
    self-supervised pipelines (the label is simply not used there).

    Args:
        split (str): ``'train'`` (1,438 images), ``'val'`` (359) or ``'all'`` (1,797).
        image_size (int): side of the rendered square images. Defaults to 32.
        digit_scale (tuple[float] | None): range of the digit side as a fraction of ``image_size``;
            None fills the canvas. Defaults to (0.6, 0.9).
        pipeline, indices, test_mode, ...: as in :class:`mmpretrain.datasets.BaseDataset`.
    """
    METAINFO = {'classes': DIGITS_CLASSES}

    def __init__(self,
                 split: str = 'train',
                 image_size: int = 32,
                 digit_scale: Optional[Tuple[float, float]] = (0.6, 0.9),
                 pipeline: Sequence = (),
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 test_mode: bool = False,
                 **kwargs):
        if split not in SPLITS:
            raise ValueError(f"DigitsDataset: split must be one of {SPLITS}, got {split!r}")
        if not isinstance(image_size, int) or image_size < 8:
            raise ValueError(f'DigitsDataset: image_size must be an int >= 8, got {image_size!r}')
        for key in ('data_root', 'ann_file', 'data_prefix'):
            if kwargs.get(key):
                raise ValueError(f'DigitsDataset: {key} is not used (the images ship inside scikit-learn); '
                                 f'remove it from the dataset config, got {kwargs[key]!r}')
        if digit_scale is not None and not (0 < digit_scale[0] <= digit_scale[1] <= 1):
            raise ValueError(f'DigitsDataset: digit_scale must be None or (lo, hi) with 0 < lo <= hi <= 1, '
                             f'got {digit_scale!r}')
        self.digit_scale = None if digit_scale is None else tuple(digit_scale)
        self.split = split
        self.image_size = image_size
        super().__init__(ann_file='', pipeline=pipeline, indices=indices, test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        from sklearn.datasets import load_digits
        labels = load_digits().target
        images = render_digits(self.image_size, self.digit_scale)
        shape = (self.image_size, self.image_size)
        return [
            dict(img=images[i], gt_label=int(labels[i]), img_shape=shape, ori_shape=shape)
            for i in digits_split_indices(self.split)
        ]
