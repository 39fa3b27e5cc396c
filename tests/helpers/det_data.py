"""Tiny generated detection sets (VOC and COCO layouts) and tiny-run config helpers for the detection tests.

Data generators (deterministic for a given ``seed``; JPEG images of 96-128 px with 1-3 drawn objects on a
noisy grey background; every object is drawn by filling its own polygon, so image, box and mask agree
exactly):

- ``make_voc(root, n_trainval=8, n_test=4, seed=0) -> dict`` writes ``root/VOCdevkit/VOC2007`` (trainval +
  test) and ``root/VOCdevkit/VOC2012`` (trainval) in the PASCAL VOC layout read by mmdet's ``VOCDataset``
  (``JPEGImages/<id>.jpg``, ``Annotations/<id>.xml`` with 1-based corners,
  ``ImageSets/Main/{trainval,test}.txt``). Returns ``dict(data_root='<root>/VOCdevkit/', classes=CLASSES,
  splits={'VOC2007/trainval': [images], ...})``.
- ``make_coco(root, n_train=8, n_val=4, seed=0) -> dict`` writes ``root/coco/{train2017,val2017}/*.jpg`` and
  ``root/coco/annotations/instances_{train,val}2017.json`` (polygon ``segmentation``, xywh ``bbox``, ``area``,
  ``iscrowd=0``; category ids are COCO's: person 1, car 3, dog 18). Returns ``dict(data_root='<root>/coco/',
  classes=CLASSES, splits={'train2017': [images], 'val2017': [images]})``.

Each image of ``splits[...]`` is ``dict(file=<abs path>, height=, width=, objects=[dict(label=<index into
CLASSES>, bbox=[x1, y1, x2, y2] (0-based inclusive pixel corners), polygon=[x0, y0, x1, y1, ...]), ...])``.

``CLASSES = ('person', 'car', 'dog')`` are real VOC and COCO class names (drawn as a red ellipse, a green
rectangle and a blue triangle), listed in COCO category-id order so that a ``metainfo=dict(classes=CLASSES)``
override gives the same label order in both layouts.

Tiny-run helpers (shrink a transfer config to a CPU run of seconds):

- ``tiny_config(cfg, data_root, work_dir, *, max_iters=None, max_epochs=None, pretrained=None) -> Config``
  takes a loaded transfer config (Faster or Mask R-CNN C4) and returns a copy with a ResNet-18-C4 (BN, not
  SyncBN: SyncBN needs a process group), 3 classes, 128 px multi-scale training / 128 px test, batch 2, no
  workers, 6x6 RoIs (16 sampled per image in training, 20 proposals per image in testing) and the given
  schedule; ``pretrained`` (a backbone checkpoint path, or None for random initialisation, which also drops
  the config's ``C4PretrainedCheckHook``) is written into the backbone and shared-head ``init_cfg``. Every
  dataset of the config (also inside Concat/Repeat wrappers) is pointed at ``data_root``.
- ``tiny_train_pipeline(with_mask)`` / ``tiny_test_pipeline(with_mask)`` return those pipelines (part B
  inserts its transforms into the train one).
"""
import copy
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET

import cv2
import numpy as np

CLASSES = ('person', 'car', 'dog')
COCO_CATEGORY_IDS = (1, 3, 18)
CLASS_COLOURS_RGB = ((220, 40, 40), (40, 200, 40), (40, 60, 220))
IMAGE_SIDE_RANGE = (96, 128)
OBJECT_SIDE_RANGE = (34, 60)
TINY_SCALE = 128
TINY_ROI_SIZE = 6


def _object_polygon(label, x1, y1, w, h):
    """Polygon (N x 2 int array) of a ``label`` object inside the box (x1, y1, w, h)."""
    if label == 0:
        centre = (x1 + w // 2, y1 + h // 2)
        return cv2.ellipse2Poly(centre, ((w - 1) // 2, (h - 1) // 2), 0, 0, 360, 15)
    if label == 1:
        return np.array([[x1, y1], [x1 + w - 1, y1], [x1 + w - 1, y1 + h - 1], [x1, y1 + h - 1]])
    return np.array([[x1 + w // 2, y1], [x1 + w - 1, y1 + h - 1], [x1, y1 + h - 1]])


def _draw_image(rng):
    """One image (H x W x 3 uint8 RGB) and its objects (see module docstring)."""
    height, width = (int(v) for v in rng.integers(IMAGE_SIDE_RANGE[0], IMAGE_SIDE_RANGE[1] + 1, size=2))
    img = np.clip(rng.normal(120, 20, size=(height, width, 3)), 0, 255).astype(np.uint8)
    objects = []
    for _ in range(int(rng.integers(1, 4))):
        label = int(rng.integers(len(CLASSES)))
        w, h = (int(v) for v in rng.integers(OBJECT_SIDE_RANGE[0], OBJECT_SIDE_RANGE[1] + 1, size=2))
        w, h = min(w, width), min(h, height)
        x1, y1 = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
        polygon = _object_polygon(label, x1, y1, w, h).astype(np.int32)
        cv2.fillPoly(img, [polygon], CLASS_COLOURS_RGB[label])
        xs, ys = polygon[:, 0], polygon[:, 1]
        objects.append(dict(label=label, bbox=[int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())],
                            polygon=[float(v) for v in polygon.reshape(-1)]))
    return img, objects


def _write_jpg(path, img_rgb):
    os.makedirs(osp.dirname(path), exist_ok=True)
    if not cv2.imwrite(path, cv2.cvtColor(img_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise OSError(f'could not write {path}')


def _voc_xml(img_id, height, width, objects):
    root = ET.Element('annotation')
    ET.SubElement(root, 'filename').text = f'{img_id}.jpg'
    size = ET.SubElement(root, 'size')
    for key, value in (('width', width), ('height', height), ('depth', 3)):
        ET.SubElement(size, key).text = str(value)
    for obj in objects:
        node = ET.SubElement(root, 'object')
        ET.SubElement(node, 'name').text = CLASSES[obj['label']]
        ET.SubElement(node, 'difficult').text = '0'
        box = ET.SubElement(node, 'bndbox')
        # VOC corners are 1-based; mmdet's XMLDataset subtracts 1 on reading.
        for key, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), obj['bbox']):
            ET.SubElement(box, key).text = str(value + 1)
    return ET.ElementTree(root)


def make_voc(root, n_trainval=8, n_test=4, seed=0):
    """Write a VOC07+12-layout set under ``root/VOCdevkit`` (see module docstring); return its description."""
    rng = np.random.default_rng(seed)
    data_root = osp.join(str(root), 'VOCdevkit') + '/'
    splits = {}
    for year, split, count in (('VOC2007', 'trainval', n_trainval), ('VOC2007', 'test', n_test),
                               ('VOC2012', 'trainval', n_trainval)):
        year_root = osp.join(data_root, year)
        os.makedirs(osp.join(year_root, 'Annotations'), exist_ok=True)
        os.makedirs(osp.join(year_root, 'ImageSets', 'Main'), exist_ok=True)
        images, ids = [], []
        for index in range(count):
            img_id = f'{year[-4:]}_{split}_{index:04d}'
            img, objects = _draw_image(rng)
            path = osp.join(year_root, 'JPEGImages', f'{img_id}.jpg')
            _write_jpg(path, img)
            _voc_xml(img_id, img.shape[0], img.shape[1], objects).write(
                osp.join(year_root, 'Annotations', f'{img_id}.xml'))
            ids.append(img_id)
            images.append(dict(file=path, height=img.shape[0], width=img.shape[1], objects=objects))
        with open(osp.join(year_root, 'ImageSets', 'Main', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(ids) + '\n')
        splits[f'{year}/{split}'] = images
    return dict(data_root=data_root, classes=CLASSES, splits=splits)


def make_coco(root, n_train=8, n_val=4, seed=0):
    """Write a COCO-layout instance set under ``root/coco`` (see module docstring); return its description."""
    rng = np.random.default_rng(seed)
    data_root = osp.join(str(root), 'coco') + '/'
    os.makedirs(osp.join(data_root, 'annotations'), exist_ok=True)
    categories = [dict(id=cat_id, name=name, supercategory=name)
                  for cat_id, name in zip(COCO_CATEGORY_IDS, CLASSES)]
    splits = {}
    ann_id = 1
    for split, count in (('train2017', n_train), ('val2017', n_val)):
        images, image_entries, annotations = [], [], []
        for index in range(count):
            img, objects = _draw_image(rng)
            img_id = index + 1
            file_name = f'{img_id:012d}.jpg'
            path = osp.join(data_root, split, file_name)
            _write_jpg(path, img)
            image_entries.append(
                dict(id=img_id, file_name=file_name, height=img.shape[0], width=img.shape[1]))
            for obj in objects:
                x1, y1, x2, y2 = obj['bbox']
                polygon = np.array(obj['polygon']).reshape(-1, 2)
                area = float(cv2.contourArea(polygon.astype(np.float32)))
                annotations.append(
                    dict(id=ann_id, image_id=img_id, category_id=COCO_CATEGORY_IDS[obj['label']],
                         bbox=[x1, y1, x2 - x1 + 1, y2 - y1 + 1], area=area, iscrowd=0,
                         segmentation=[obj['polygon']]))
                ann_id += 1
            images.append(dict(file=path, height=img.shape[0], width=img.shape[1], objects=objects))
        with open(osp.join(data_root, 'annotations', f'instances_{split}.json'), 'w') as f:
            json.dump(dict(images=image_entries, annotations=annotations, categories=categories), f)
        splits[split] = images
    return dict(data_root=data_root, classes=CLASSES, splits=splits)


def tiny_train_pipeline(with_mask):
    """Multi-scale (shorter side 96..128 step 16) training pipeline of the tiny runs."""
    return [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask),
        dict(type='RandomChoiceResize', scales=[(2 * TINY_SCALE, s) for s in (96, 112, 128)],
             keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackDetInputs'),
    ]


def tiny_test_pipeline(with_mask):
    """Test pipeline of the tiny runs (shorter side 128)."""
    return [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(2 * TINY_SCALE, TINY_SCALE), keep_ratio=True),
        dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask),
        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
    ]


def _retarget_datasets(dataset_cfg, data_root, pipeline):
    """Point every leaf dataset (also inside Concat/Repeat wrappers) at data_root, pipeline, CLASSES."""
    if 'datasets' in dataset_cfg:
        for child in dataset_cfg['datasets']:
            _retarget_datasets(child, data_root, pipeline)
    elif 'dataset' in dataset_cfg:
        _retarget_datasets(dataset_cfg['dataset'], data_root, pipeline)
    else:
        dataset_cfg['data_root'] = data_root
        dataset_cfg['pipeline'] = copy.deepcopy(pipeline)
        dataset_cfg['metainfo'] = dict(classes=CLASSES)


def _tiny_loader(loader_cfg, data_root, pipeline):
    loader_cfg.update(batch_size=2, num_workers=0, persistent_workers=False)
    _retarget_datasets(loader_cfg['dataset'], data_root, pipeline)


def _set_evaluator_ann_file(evaluator_cfg, data_root):
    for metric in evaluator_cfg if isinstance(evaluator_cfg, list) else [evaluator_cfg]:
        if 'ann_file' in metric:
            metric['ann_file'] = osp.join(data_root, 'annotations', osp.basename(metric['ann_file']))


def tiny_config(cfg, data_root, work_dir, *, max_iters=None, max_epochs=None, pretrained=None):
    """Shrink a loaded C4 transfer config to a seconds-long CPU run (see module docstring); returns a copy."""
    cfg = copy.deepcopy(cfg)
    model = cfg.model
    with_mask = 'mask_head' in model.roi_head
    bn = dict(type='BN', requires_grad=True)
    init_cfg = None if pretrained is None else dict(type='Pretrained', checkpoint=pretrained)
    model.backbone.update(depth=18, norm_cfg=bn, init_cfg=init_cfg)
    model.roi_head.shared_head.update(depth=18, norm_cfg=bn, init_cfg=copy.deepcopy(init_cfg))
    if pretrained is None:  # random initialisation: nothing for C4PretrainedCheckHook to check
        cfg.custom_hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] != 'C4PretrainedCheckHook']
    # ResNet-18 C4: stage-3 output has 256 channels, the shared head (layer4) 512.
    model.rpn_head.update(in_channels=256, feat_channels=64)
    # The shared head (a ResNet stage per RoI) dominates the cost: few 6x6 RoIs (3x3 after its stride 2).
    model.roi_head.bbox_roi_extractor.update(out_channels=256, roi_layer=dict(output_size=TINY_ROI_SIZE))
    model.roi_head.bbox_head.update(
        in_channels=512, roi_feat_size=TINY_ROI_SIZE // 2, num_classes=len(CLASSES))
    model.train_cfg.rcnn.sampler.num = 16
    model.train_cfg.rpn_proposal.update(nms_pre=600, max_per_img=50)
    model.test_cfg.rpn.update(nms_pre=600, max_per_img=20)
    if with_mask:
        model.roi_head.mask_head.update(in_channels=512, conv_out_channels=32, num_classes=len(CLASSES))
        model.train_cfg.rcnn.mask_size = TINY_ROI_SIZE  # the mask head upsamples the 3x3 RoI features x2
    _tiny_loader(cfg.train_dataloader, data_root, tiny_train_pipeline(with_mask))
    for name in ('val_dataloader', 'test_dataloader'):
        _tiny_loader(cfg[name], data_root, tiny_test_pipeline(with_mask))
    for name in ('val_evaluator', 'test_evaluator'):
        _set_evaluator_ann_file(cfg[name], data_root)
    if max_iters is not None:
        cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters)
    if max_epochs is not None:
        cfg.train_cfg.update(max_epochs=max_epochs, val_interval=max_epochs)
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2)]
    cfg.optim_wrapper.optimizer.lr = 0.01
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.update(interval=max_iters or max_epochs or 1, max_keep_ckpts=1)
    cfg.work_dir = str(work_dir)
    return cfg
