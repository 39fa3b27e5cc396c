"""Random images and annotations in the raw form a data set on disk hands to its pipeline.

``tools/dry_run.py`` puts a :class:`SyntheticDataset` in place of every data set of a config (ImageNet, CIFAR,
VOC, COCO ...) and keeps the config's own pipeline, wrappers, sampler and collate function, so the batches have
exactly the shapes and types a real run produces, without the data on disk.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.registry import DATASETS


# Registered in MMEngine's root registry: mmpretrain and mmdet configs (default scopes 'mmpretrain', 'mmdet')
# both find it through their parent.
@DATASETS.register_module()
class SyntheticDataset(BaseDataset):
    """``num_samples`` seeded random uint8 images of ``img_shape`` (H, W, 3) with labels, then the pipeline.

    A sample is what a real data set's ``load_data_list`` yields:

    - ``num_instances == 0`` (classification / self-supervised, as mmpretrain's ImageNet and CIFAR):
      ``gt_label`` (when ``num_classes`` is given);
    - ``num_instances > 0`` (detection, as mmdet's VOC / COCO): ``img_id``, ``height``, ``width`` and
      ``instances``, each with ``bbox`` (x1, y1, x2, y2, sides at least ``min_box_size``), ``bbox_label``,
      ``ignore_flag`` 0 and ``mask``, the box as one polygon (mmdet's COCO format);

    and the image either in memory (``img``, ``img_shape``, ``ori_shape``; as CIFAR) or, with ``image_dir``,
    written there as JPEG files named by ``img_path`` (for pipelines that start with ``LoadImageFromFile``).

    Args:
        num_samples (int): number of samples (>= 1).
        img_shape (tuple[int, int]): raw image height and width.
        num_classes (int, optional): labels are drawn from ``range(num_classes)``; None: no label (needs
            ``num_instances == 0``).
        num_instances (int): objects per image; 0 for a classification sample.
        min_box_size (int): smallest box side in pixels (data sets filter smaller ones).
        image_dir (str, optional): write the images here and yield their paths instead of the arrays.
        seed (int): seed of the images and annotations.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments (``pipeline``, ``metainfo``, ...).
    """

    def __init__(self, num_samples: int, img_shape: Sequence[int] = (375, 500), num_classes: Optional[int] = None,
                 num_instances: int = 0, min_box_size: int = 32, image_dir: Optional[str] = None,
                 seed: int = 0, **kwargs):
        if num_samples < 1:
            raise ValueError(f'num_samples must be >= 1, got {num_samples}')
        if len(img_shape) != 2 or min(img_shape) < 1:
            raise ValueError(f'img_shape must be (height, width) with positive sides, got {img_shape}')
        if num_instances < 0:
            raise ValueError(f'num_instances must be >= 0, got {num_instances}')
        if num_instances and num_classes is None:
            raise ValueError('num_instances > 0 (detection samples) needs num_classes for the box labels')
        if num_instances and min_box_size > min(img_shape):
            raise ValueError(f'min_box_size={min_box_size} does not fit in img_shape={tuple(img_shape)}')
        self.num_samples = num_samples
        self.img_shape: Tuple[int, int] = (int(img_shape[0]), int(img_shape[1]))
        self.num_classes = num_classes
        self.num_instances = num_instances
        self.min_box_size = min_box_size
        self.image_dir = image_dir
        self.seed = seed
        super().__init__(**kwargs)

    def random_instances(self, rng: np.random.RandomState) -> List[dict]:
        """``num_instances`` boxes with sides in [min_box_size, side] inside the image, their labels and
        polygon masks."""
        height, width = self.img_shape
        instances = []
        for _ in range(self.num_instances):
            box_h = rng.randint(self.min_box_size, height + 1)
            box_w = rng.randint(self.min_box_size, width + 1)
            y1, x1 = rng.randint(0, height - box_h + 1), rng.randint(0, width - box_w + 1)
            x2, y2 = x1 + box_w, y1 + box_h
            instances.append(dict(bbox=[float(x1), float(y1), float(x2), float(y2)],
                                  bbox_label=int(rng.randint(self.num_classes)), ignore_flag=0,
                                  mask=[[float(x1), float(y1), float(x2), float(y1), float(x2), float(y2),
                                         float(x1), float(y2)]]))
        return instances

    def load_data_list(self) -> List[dict]:
        import mmcv
        rng = np.random.RandomState(self.seed)
        height, width = self.img_shape
        data_list = []
        for i in range(self.num_samples):
            img = rng.randint(0, 256, size=(height, width, 3), dtype=np.uint8)
            info = dict()
            if self.image_dir is None:
                info.update(img=img, img_shape=self.img_shape, ori_shape=self.img_shape)
            else:
                info['img_path'] = osp.join(self.image_dir, f'{i:06d}.jpg')
                mmcv.imwrite(img, info['img_path'])
            if self.num_instances:
                info.update(img_id=i, height=height, width=width, instances=self.random_instances(rng))
            elif self.num_classes is not None:
                info['gt_label'] = int(rng.randint(self.num_classes))
            data_list.append(info)
        return data_list
