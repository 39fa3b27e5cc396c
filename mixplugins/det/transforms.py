"""Visually coherent image mixup for detection and the packer that carries its per-object weights.

Bag of Freebies for object detection (Zhang et al., "Bag of Freebies for Training Object Detection Neural Networks",
2019, arXiv:1902.04103, sec. 3.1, Fig. 3, Table 1; ``docs/methods.md#bag-of-freebies``): two training images are
blended with ``lam ~ Beta(1.5, 1.5)`` on a canvas large enough for both, without resizing or cropping (geometry
preserved), all objects are kept and the loss of each object is weighted by the blending ratio of the image it comes
from. MMDetection's ``MixUp`` (YOLOX: fixed 0.5, rescale, crop, no weights) is a different method.
"""
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes

#: per-object annotation keys the mixup concatenates (image 1's objects first, then image 2's)
INSTANCE_KEYS = ('gt_bboxes', 'gt_bboxes_labels', 'gt_ignore_flags', 'gt_masks')
#: results key of the per-object loss weights (packed as ``gt_instances.weights``)
WEIGHTS_KEY = 'gt_bboxes_weights'


def _pad_bottom_right(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """``img`` at the top left of a ``height x width`` zero canvas (``img`` itself if it already fits)."""
    if img.shape[:2] == (height, width):
        return img
    return cv2.copyMakeBorder(img, 0, height - img.shape[0], 0, width - img.shape[1], cv2.BORDER_CONSTANT,
                              value=0)


def _cat_instances(first, second):
    """Concatenate one annotation field of two images (boxes, masks or arrays), first image first."""
    if isinstance(first, BaseBoxes):
        return type(first).cat([first, second], dim=0)
    if hasattr(first, 'masks'):  # BitmapMasks / PolygonMasks, already padded to the canvas
        return type(first).cat([first, second])
    return np.concatenate([first, second], axis=0)


@TRANSFORMS.register_module()
class VisuallyCoherentMixUp(BaseTransform):
    """Geometry-preserving mixup of two detection images (Bag of Freebies, sec. 3.1).

    For image 1 (``results``) of size ``h1 x w1`` and image 2 (``results['mix_results'][0]``, chosen by
    :meth:`get_indexes` in ``MultiImageMixDataset``) of size ``h2 x w2``, both placed at the top left of a
    zero canvas of size ``H x W = max(h1, h2) x max(w1, w2)`` (no resizing, no cropping)::

        mixed[y, x] = lam * pad(img1)[y, x] + (1 - lam) * pad(img2)[y, x],   pad(.) = 0 outside the image

    i.e. the paper's weighted sum over the zero-padded canvas (GluonCV ``MixupDetection``): where both
    images cover the pixel it is ``lam*img1 + (1-lam)*img2``, where only image 1 covers it ``lam*img1``,
    only image 2 ``(1-lam)*img2``, neither ``0``. The output keeps the input dtype (``cv2.addWeighted``):
    uint8 images give uint8, rounded to the nearest integer (GluonCV also returns uint8); float images
    are not rounded. The sampled ratio is stored in ``results['mix_lam']``.

    Objects: boxes, labels, ignore flags and masks (BitmapMasks padded with 0 to ``H x W``, PolygonMasks
    re-sized to ``H x W``) of both images are concatenated, image 1 first; boxes keep their coordinates.
    Each object gets the loss weight ``lam`` (image 1) or ``1 - lam`` (image 2) in
    ``results['gt_bboxes_weights']`` (multiplied into existing weights if a previous transform set them);
    ``PackDetInputsWithWeights`` puts them into ``gt_instances.weights`` for the weighted heads.

    An image without objects is a valid background: the mix keeps the other image's objects only (and a
    pair without any object gives an image without objects, which the detectors treat as all-background
    as for any empty image). Both images must carry the same annotation keys; annotation kinds this
    mixup cannot merge (e.g. ``gt_seg_map``, ``proposals``) raise a ValueError.

    The partner is drawn uniformly from the whole dataset (``MultiImageMixDataset`` does not tell
    ``get_indexes`` the current index, so it may be the image itself; GluonCV excludes it, a 1/N event).
    With a fixed ``lam`` of 0 or 1 one image's objects get weight 0: their positives add nothing to the
    losses (and mmdet's RoI head does not count them in its classification normaliser).

    Args:
        alpha (float): ``lam ~ Beta(alpha, alpha)``; the paper uses 1.5 (Table 1). Must be > 0.
        lam (float, optional): a fixed ratio in [0, 1] instead of sampling (Table 1's "fixed" rows).
    """

    def __init__(self, alpha: float = 1.5, lam: Optional[float] = None) -> None:
        if not alpha > 0:
            raise ValueError(f'alpha must be > 0 (lam ~ Beta(alpha, alpha)), got {alpha}')
        if lam is not None and not 0 <= lam <= 1:
            raise ValueError(f'lam must be in [0, 1] (fixed mixing ratio) or None (sample Beta), got {lam}')
        self.alpha = alpha
        self.lam = lam

    def get_indexes(self, dataset) -> int:
        """One uniformly drawn partner index (``MultiImageMixDataset`` loads it into ``mix_results``)."""
        return int(np.random.randint(len(dataset)))

    def sample_lam(self) -> float:
        """``lam ~ Beta(alpha, alpha)``, or the fixed ``lam``."""
        return self.lam if self.lam is not None else float(np.random.beta(self.alpha, self.alpha))

    def transform(self, results: dict) -> dict:
        if 'mix_results' not in results:
            raise KeyError("VisuallyCoherentMixUp needs results['mix_results']: put it in the pipeline of "
                           "mmdet's MultiImageMixDataset (which loads the partner chosen by get_indexes)")
        if len(results['mix_results']) != 1:
            raise ValueError(f"VisuallyCoherentMixUp mixes 2 images: mix_results must hold 1 partner, got "
                             f"{len(results['mix_results'])}")
        partner = results['mix_results'][0]
        self._check_keys(results, partner)
        lam = self.sample_lam()

        img1, img2 = results['img'], partner['img']
        if img1.shape[2:] != img2.shape[2:] or img1.dtype != img2.dtype:
            raise ValueError(f'images to mix must have the same channels and dtype, got {img1.shape} '
                             f'{img1.dtype} and {img2.shape} {img2.dtype}')
        height, width = max(img1.shape[0], img2.shape[0]), max(img1.shape[1], img2.shape[1])
        mixed = cv2.addWeighted(_pad_bottom_right(img1, height, width), lam,
                                _pad_bottom_right(img2, height, width), 1 - lam, 0.0)

        num1, num2 = len(results['gt_bboxes']), len(partner['gt_bboxes'])
        weights1 = results.get(WEIGHTS_KEY, np.ones(num1, dtype=np.float32)) * np.float32(lam)
        weights2 = partner.get(WEIGHTS_KEY, np.ones(num2, dtype=np.float32)) * np.float32(1 - lam)
        for key in INSTANCE_KEYS:
            if key not in results:
                continue
            first, second = results[key], partner[key]
            if key == 'gt_masks':
                first, second = first.pad((height, width), pad_val=0), second.pad((height, width), pad_val=0)
            results[key] = _cat_instances(first, second)
        results[WEIGHTS_KEY] = np.concatenate([weights1, weights2]).astype(np.float32)
        results['img'] = mixed
        results['img_shape'] = (height, width)
        results['mix_lam'] = lam
        return results

    @staticmethod
    def _check_keys(results: dict, partner: dict) -> None:
        """Both images carry boxes and the same per-object keys; no annotation kind we cannot merge."""
        for name, res in (('image 1 (results)', results), ('image 2 (mix_results[0])', partner)):
            if 'gt_bboxes' not in res:
                raise KeyError(f"VisuallyCoherentMixUp: {name} has no 'gt_bboxes' (add LoadAnnotations "
                               f"with with_bbox=True to the dataset pipeline)")
            unknown = sorted(k for k in res if (k.startswith('gt_') or k == 'proposals')
                             and k not in INSTANCE_KEYS + (WEIGHTS_KEY, ))
            if unknown:
                raise ValueError(f'VisuallyCoherentMixUp cannot mix annotation keys {unknown} of {name}; '
                                 f'supported: {list(INSTANCE_KEYS)} and {WEIGHTS_KEY!r}')
        mismatched = sorted(k for k in INSTANCE_KEYS if (k in results) != (k in partner))
        if mismatched:
            raise ValueError(f'VisuallyCoherentMixUp: keys {mismatched} are in only one of the two images; '
                             f'both must come from the same loading pipeline')

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(alpha={self.alpha}, lam={self.lam})'


@TRANSFORMS.register_module()
class PackDetInputsWithWeights(PackDetInputs):
    """``PackDetInputs`` that also packs the per-object loss weights ``results['gt_bboxes_weights']``
    into ``gt_instances.weights`` (split by ``gt_ignore_flags`` like the labels).

    Images the mixup did not touch (mixup skipped, switched off by ``MixUpSwitchOffHook``) get weight 1
    for every object, so every training sample carries ``weights`` and non-mixed data trains exactly as
    with ``PackDetInputs``.
    """
    mapping_table = {**PackDetInputs.mapping_table, WEIGHTS_KEY: 'weights'}

    def transform(self, results: dict) -> dict:
        if 'gt_bboxes' in results and WEIGHTS_KEY not in results:
            results[WEIGHTS_KEY] = np.ones(len(results['gt_bboxes']), dtype=np.float32)
        return super().transform(results)
