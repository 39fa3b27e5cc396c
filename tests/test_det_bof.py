"""Bag of Freebies for MMDetection (Zhang et al., "Bag of Freebies for Training Object Detection Neural Networks",
2019, arXiv:1902.04103; ``docs/methods.md#bag-of-freebies``).

Hand-computed mixup canvas and per-object weights, weighted RPN / RoI losses (by hand, exact equality with
mmdet's heads when all weights are 1, exact halving when all are 0.5), label-smoothing targets, the
switch-off hook, bad inputs, and a tiny `mim train mmdet` run of the BoF config on a generated VOC set.
"""
import copy
import json
import math
import os
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

import mmdet
from mmdet.datasets import MultiImageMixDataset
from mmdet.models.losses import CrossEntropyLoss
from mmdet.models.task_modules.assigners import AssignResult
from mmdet.models.task_modules.samplers import PseudoSampler
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import HorizontalBoxes, bbox2roi
from mmdet.structures.mask import BitmapMasks, PolygonMasks
from mixplugins.det import (LabelSmoothingCrossEntropyLoss, MixUpSwitchOffHook, PackDetInputsWithWeights,
                            PositiveGtWeightSampler, VisuallyCoherentMixUp)
from mmdet.utils import register_all_modules

from helpers.det_data import CLASSES, make_voc

register_all_modules(init_default_scope=False)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BOF_CONFIG = osp.join(REPO, 'configs', 'bof', 'faster-rcnn_r50_fpn_bof_voc0712.py')


@pytest.fixture(autouse=True)
def mmdet_scope_one_thread():
    """Detection names resolve in mmdet's scope (the configs' default_scope), inside conftest's mmpretrain
    one; one intra-op thread (tiny tensors on a shared 2-core machine run ~10x faster than with contended
    threads)."""
    from mmengine.registry import DefaultScope
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield
    torch.set_num_threads(threads)


# ----------------------------------------------------------------------------------------------------------
# VisuallyCoherentMixUp
# ----------------------------------------------------------------------------------------------------------
def _image(values, dtype=np.uint8):
    """H x W x 3 image whose three channels equal ``values`` (H x W)."""
    return np.repeat(np.array(values, dtype=dtype)[..., None], 3, axis=2)


def _results(img, boxes, labels, ignore=None, **extra):
    results = dict(img=img, img_shape=img.shape[:2], gt_bboxes=HorizontalBoxes(np.array(boxes, np.float32)),
                   gt_bboxes_labels=np.array(labels, dtype=np.int64),
                   gt_ignore_flags=np.zeros(len(labels), bool) if ignore is None else np.array(ignore))
    results.update(extra)
    return results


def _pair(dtype=np.uint8, **extra1):
    """Image 1: 2 x 3 (values 10..61, two boxes, the second ignored); image 2: 3 x 2 (100..150, one box)."""
    first = _results(_image([[10, 20, 30], [40, 50, 61]], dtype), [[0, 0, 2, 1], [1, 0, 3, 2]], [0, 1],
                     ignore=[False, True], **extra1)
    second = _results(_image([[100, 110], [120, 130], [140, 150]], dtype), [[0, 1, 2, 3]], [2])
    first['mix_results'] = [second]
    return first


@pytest.mark.parametrize('dtype', [np.float32, np.uint8])
def test_mixup_canvas_pixels_and_box_weights_by_hand(dtype):
    out = VisuallyCoherentMixUp(lam=0.6).transform(_pair(dtype))
    # canvas max(2, 3) x max(3, 2) = 3 x 3; lam * pad(img1) + 0.4 * pad(img2), pad = 0 outside an image
    expected = np.array([
        [0.6 * 10 + 0.4 * 100, 0.6 * 20 + 0.4 * 110, 0.6 * 30],   # row 0: col 2 is covered by image 1 only
        [0.6 * 40 + 0.4 * 120, 0.6 * 50 + 0.4 * 130, 0.6 * 61],   # = [[46, 56, 18], [72, 82, 36.6],
        [0.4 * 140, 0.4 * 150, 0.0],                               #    [56, 60, 0]]; row 2: image 2 only
    ])
    np.testing.assert_allclose(expected, [[46, 56, 18], [72, 82, 36.6], [56, 60, 0]])
    if dtype == np.uint8:   # uint8 stays uint8, rounded to the nearest integer: 36.6 -> 37
        expected = np.array([[46, 56, 18], [72, 82, 37], [56, 60, 0]])
    assert out['img'].dtype == dtype and out['img'].shape == (3, 3, 3)
    for channel in range(3):
        np.testing.assert_allclose(out['img'][..., channel], expected, rtol=1e-6)
    assert out['img_shape'] == (3, 3)
    # every box kept, coordinates unchanged, image 1's first; weights lam, lam, 1 - lam
    np.testing.assert_array_equal(out['gt_bboxes'].tensor.numpy(), [[0, 0, 2, 1], [1, 0, 3, 2], [0, 1, 2, 3]])
    np.testing.assert_array_equal(out['gt_bboxes_labels'], [0, 1, 2])
    np.testing.assert_array_equal(out['gt_ignore_flags'], [False, True, False])
    np.testing.assert_allclose(out['gt_bboxes_weights'], [0.6, 0.6, 0.4], rtol=1e-6)


def test_mixup_pack_splits_weights_with_ignore_flags_and_defaults_to_one():
    packed = PackDetInputsWithWeights().transform(VisuallyCoherentMixUp(lam=0.6).transform(_pair()))
    sample = packed['data_samples']
    np.testing.assert_allclose(sample.gt_instances.weights.numpy(), [0.6, 0.4], rtol=1e-6)
    np.testing.assert_array_equal(sample.gt_instances.labels.numpy(), [0, 2])
    np.testing.assert_allclose(sample.ignored_instances.weights.numpy(), [0.6], rtol=1e-6)
    assert packed['inputs'].shape == (3, 3, 3)
    unmixed = PackDetInputsWithWeights().transform(_results(_image([[1, 2]]), [[0, 0, 1, 1]], [1]))
    assert unmixed['data_samples'].gt_instances.weights.tolist() == [1.0]


def test_mixup_existing_weights_are_multiplied_and_masks_padded():
    bitmap1 = BitmapMasks(np.ones((2, 2, 3), np.uint8), 2, 3)
    bitmap2 = BitmapMasks(np.full((1, 3, 2), 1, np.uint8), 3, 2)
    pair = _pair(gt_masks=bitmap1, gt_bboxes_weights=np.array([0.5, 1.0], np.float32))
    pair['mix_results'][0]['gt_masks'] = bitmap2
    out = VisuallyCoherentMixUp(lam=0.6).transform(pair)
    np.testing.assert_allclose(out['gt_bboxes_weights'], [0.3, 0.6, 0.4], rtol=1e-6)
    masks = out['gt_masks'].masks
    assert masks.shape == (3, 3, 3)
    np.testing.assert_array_equal(masks[0], [[1, 1, 1], [1, 1, 1], [0, 0, 0]])   # image 1's mask, zero-padded
    np.testing.assert_array_equal(masks[2], [[1, 1, 0], [1, 1, 0], [1, 1, 0]])   # image 2's mask, zero-padded
    polygons = _pair(gt_masks=PolygonMasks([[np.array([0., 0., 2., 0., 2., 1.])]] * 2, 2, 3))
    polygons['mix_results'][0]['gt_masks'] = PolygonMasks([[np.array([0., 1., 1., 1., 1., 2.])]], 3, 2)
    out = VisuallyCoherentMixUp(lam=0.6).transform(polygons)
    assert (out['gt_masks'].height, out['gt_masks'].width, len(out['gt_masks'])) == (3, 3, 3)
    np.testing.assert_array_equal(out['gt_masks'].masks[2][0], [0., 1., 1., 1., 1., 2.])


def test_mixup_image_without_boxes_keeps_the_other_images_boxes():
    pair = _pair()
    pair['mix_results'][0] = _results(_image([[100, 110], [120, 130], [140, 150]]), np.zeros((0, 4)), [])
    out = VisuallyCoherentMixUp(lam=0.6).transform(pair)
    np.testing.assert_allclose(out['gt_bboxes_weights'], [0.6, 0.6], rtol=1e-6)
    assert len(out['gt_bboxes']) == 2 and out['img'][2, 0, 0] == pytest.approx(56.0)
    pair = _pair()
    pair.update(gt_bboxes=HorizontalBoxes(np.zeros((0, 4), np.float32)),
                gt_bboxes_labels=np.zeros(0, np.int64), gt_ignore_flags=np.zeros(0, bool))
    out = VisuallyCoherentMixUp(lam=0.6).transform(pair)
    np.testing.assert_allclose(out['gt_bboxes_weights'], [0.4], rtol=1e-6)
    np.testing.assert_array_equal(out['gt_bboxes_labels'], [2])


def test_mixup_lambda_follows_beta_and_drives_weights():
    np.random.seed(0)
    transform = VisuallyCoherentMixUp(alpha=1.5)
    lams = np.array([transform.sample_lam() for _ in range(4000)])
    # Beta(1.5, 1.5): mean 1/2, variance 1 / (4 (2 alpha + 1)) = 1/16 (uniform would be 1/12 = 0.083)
    assert lams.mean() == pytest.approx(0.5, abs=0.02)
    assert lams.var() == pytest.approx(1 / 16, abs=0.006)
    out = transform.transform(_pair())
    lam = out['mix_lam']
    assert 0 < lam < 1 and out['img'][0, 2, 0] == pytest.approx(lam * 30, abs=0.5)   # uint8: rounded
    np.testing.assert_allclose(out['gt_bboxes_weights'], [lam, lam, 1 - lam], rtol=1e-6)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(lam=1.2), ValueError, 'lam must be in \\[0, 1\\]'),
    (dict(lam=-0.1), ValueError, 'lam must be in \\[0, 1\\]'),
    (dict(alpha=0), ValueError, 'alpha must be > 0'),
])
def test_mixup_bad_config(kwargs, error, match):
    with pytest.raises(error, match=match):
        VisuallyCoherentMixUp(**kwargs)


def test_mixup_bad_results():
    transform = VisuallyCoherentMixUp(lam=0.5)
    pair = _pair()
    pair.pop('mix_results')
    with pytest.raises(KeyError, match='MultiImageMixDataset'):
        transform.transform(pair)
    pair = _pair()
    pair['mix_results'].append(pair['mix_results'][0])
    with pytest.raises(ValueError, match='mix_results must hold 1 partner'):
        transform.transform(pair)
    pair = _pair()
    pair['mix_results'][0].pop('gt_bboxes')
    with pytest.raises(KeyError, match="image 2 .* has no 'gt_bboxes'"):
        transform.transform(pair)
    with pytest.raises(ValueError, match="cannot mix annotation keys \\['gt_seg_map'\\]"):
        transform.transform(_pair(gt_seg_map=np.zeros((2, 3), np.uint8)))
    with pytest.raises(ValueError, match="keys \\['gt_masks'\\] are in only one"):
        transform.transform(_pair(gt_masks=BitmapMasks(np.ones((2, 2, 3), np.uint8), 2, 3)))
    pair = _pair()
    pair['mix_results'][0]['img'] = pair['mix_results'][0]['img'][..., 0]
    with pytest.raises(ValueError, match='same channels and dtype'):
        transform.transform(pair)


class InMemoryDetDataset(BaseDataset):
    """Detection samples held in memory (the loading pipeline's output), for the wrapper / hook tests."""

    def __init__(self, samples):
        self.samples = samples
        super().__init__(serialize_data=False, pipeline=[])

    def load_data_list(self):
        return copy.deepcopy(self.samples)


def _in_memory_dataset():
    return InMemoryDetDataset([_results(_image(np.full((4, 5), 10 * (i + 1))), [[0, 0, 2, 2]] * (i + 1),
                                        [i] * (i + 1)) for i in range(3)])


def test_mixup_in_multi_image_mix_dataset_with_real_voc_files(tmp_path):
    voc = make_voc(tmp_path, n_trainval=2, n_test=1, seed=3)
    dataset = MultiImageMixDataset(
        dataset=dict(type='VOCDataset', data_root=voc['data_root'],
                     ann_file='VOC2007/ImageSets/Main/trainval.txt',
                     data_prefix=dict(sub_data_root='VOC2007/'), metainfo=dict(classes=CLASSES),
                     pipeline=[dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True)]),
        pipeline=[dict(type='VisuallyCoherentMixUp', lam=0.6), dict(type='PackDetInputsWithWeights')])
    images = voc['splits']['VOC2007/trainval']
    for index in range(2):
        packed = dataset[index]
        instances, first = packed['data_samples'].gt_instances, images[index]
        num_first = len(first['objects'])
        weights = instances.weights.numpy()
        np.testing.assert_allclose(weights[:num_first], 0.6, rtol=1e-6)
        np.testing.assert_allclose(weights[num_first:], 0.4, rtol=1e-6)
        assert len(weights) - num_first in [len(image['objects']) for image in images]
        np.testing.assert_array_equal(instances.labels.numpy()[:num_first],
                                      [obj['label'] for obj in first['objects']])
        height, width = packed['inputs'].shape[1:]
        assert height >= first['height'] and width >= first['width']
        assert packed['inputs'].dtype == torch.uint8


# ----------------------------------------------------------------------------------------------------------
# Weighted heads
# ----------------------------------------------------------------------------------------------------------
def _hand_sampling_result(weights=(0.6, 0.4)):
    """2 gts (labels 0, 1, weights 0.6 / 0.4); proposals p0 = gt0, p1 = gt1 (positives), p2 negative."""
    gt_boxes = torch.tensor([[0., 0., 10., 10.], [20., 20., 40., 30.]])
    gt_instances = InstanceData(bboxes=gt_boxes, labels=torch.tensor([0, 1]), weights=torch.tensor(weights))
    priors = torch.cat([gt_boxes, torch.tensor([[50., 50., 60., 60.]])])
    assign = AssignResult(num_gts=2, gt_inds=torch.tensor([1, 2, 0]), max_overlaps=torch.tensor([1., 1., 0.]),
                          labels=torch.tensor([0, 1, -1]))
    return PositiveGtWeightSampler(PseudoSampler()).sample(assign, InstanceData(priors=priors), gt_instances)


def _tiny_bbox_head(loss_cls=None):
    cfg = dict(type='WeightedBBoxHead', with_avg_pool=False, roi_feat_size=1, in_channels=4, num_classes=2,
               reg_class_agnostic=True)
    if loss_cls is not None:
        cfg['loss_cls'] = loss_cls
    return MODELS.build(cfg)


HAND_CLS_SCORE = torch.tensor([[2., 0., 0.], [0., 1., 0.], [0., 0., 0.]])
HAND_BBOX_PRED = torch.tensor([[0.1, 0.2, 0.3, 0.4], [1., 0., 0., -1.], [5., 5., 5., 5.]])


def test_weighted_roi_losses_by_hand():
    result = _hand_sampling_result()
    head = _tiny_bbox_head()
    losses = head.loss_and_target(HAND_CLS_SCORE, HAND_BBOX_PRED, bbox2roi([result.priors]), [result],
                                  ConfigDict(pos_weight=-1))['loss_bbox']
    ce0 = math.log(math.exp(2) + 2) - 2          # p0 (label 0), logits (2, 0, 0)
    ce1 = math.log(2 + math.exp(1)) - 1          # p1 (label 1), logits (0, 1, 0)
    ce2 = math.log(3)                            # p2 (background = label 2), logits (0, 0, 0)
    # avg_factor = number of samples with label weight > 0 = 3 (unchanged by the object weights)
    assert losses['loss_cls'].item() == pytest.approx((0.6 * ce0 + 0.4 * ce1 + 1.0 * ce2) / 3, rel=1e-6)
    # proposals equal their gts -> regression targets 0; BBoxHead's SmoothL1 (beta 1: 0.5 x^2 if |x| < 1,
    # else |x| - 0.5) summed over 4 coords, avg_factor = 3 samples
    smooth_p0 = 0.5 * (0.1 ** 2 + 0.2 ** 2 + 0.3 ** 2 + 0.4 ** 2)     # 0.15
    smooth_p1 = (1.0 - 0.5) + 0.0 + 0.0 + (1.0 - 0.5)                 # 1.0
    assert losses['loss_bbox'].item() == pytest.approx((0.6 * smooth_p0 + 0.4 * smooth_p1) / 3, rel=1e-6)


def test_weighted_roi_head_with_label_smoothing_by_hand():
    eps, K = 0.1, 3   # K = num_classes (2) + background
    head = _tiny_bbox_head(dict(type='LabelSmoothingCrossEntropyLoss', eps=eps))
    result = _hand_sampling_result()
    loss = head.loss_and_target(HAND_CLS_SCORE, HAND_BBOX_PRED, bbox2roi([result.priors]), [result],
                                ConfigDict(pos_weight=-1))['loss_bbox']['loss_cls']
    on, off = 1 - eps + eps / K, eps / K
    # L = logsumexp(z) - sum_k q'_k z_k
    l0 = math.log(math.exp(2) + 2) - on * 2
    l1 = math.log(2 + math.exp(1)) - on * 1
    l2 = math.log(3)
    assert off == pytest.approx(1 / 30)
    assert loss.item() == pytest.approx((0.6 * l0 + 0.4 * l1 + l2) / 3, rel=1e-6)


def test_label_smoothing_targets_include_background_column():
    """dL/dz = softmax(z) - q'; at z = 0 the softmax is 1/K, so q' = 1/K - grad."""
    loss = LabelSmoothingCrossEntropyLoss(eps=0.1, reduction='sum')
    logits = torch.zeros(2, 3, requires_grad=True)
    loss(logits, torch.tensor([0, 2])).backward()
    targets = 1 / 3 - logits.grad
    np.testing.assert_allclose(targets.numpy(), [[0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3],
                                                  [0.1 / 3, 0.1 / 3, 0.9 + 0.1 / 3]], rtol=1e-6)
    # eps = 0 is mmdet's softmax cross-entropy (same weights and avg_factor)
    scores, labels = torch.randn(5, 4), torch.tensor([0, 3, 1, 3, 2])
    weights = torch.tensor([1, .6, .4, 1, 0])
    plain = CrossEntropyLoss()(scores, labels, weights, avg_factor=4)
    smooth0 = LabelSmoothingCrossEntropyLoss(eps=0.0)(scores, labels, weights, avg_factor=4)
    assert smooth0.item() == pytest.approx(plain.item(), rel=1e-6)
    with pytest.raises(ValueError, match='eps must lie in \\[0, 1\\)'):
        LabelSmoothingCrossEntropyLoss(eps=1.0)
    with pytest.raises(ValueError, match='reduction must be one of'):
        LabelSmoothingCrossEntropyLoss(reduction='avg')


def test_weighted_heads_bad_wiring():
    with pytest.raises(ValueError, match="roi_head type='WeightedStandardRoIHead'"):
        result = _hand_sampling_result()
        del result.pos_gt_weights
        _tiny_bbox_head().get_targets([result], ConfigDict(pos_weight=-1))
    with pytest.raises(ValueError, match='needs a weighted bbox_head'):
        MODELS.build(dict(type='WeightedStandardRoIHead',
                          bbox_roi_extractor=dict(type='SingleRoIExtractor', out_channels=4,
                                                  featmap_strides=[4],
                                                  roi_layer=dict(type='RoIAlign', output_size=1)),
                          bbox_head=dict(type='BBoxHead', in_channels=4, roi_feat_size=1, num_classes=2)))


def _tiny_detector_cfg(kind, weighted):
    """Faster R-CNN (FPN or C4) with a ResNet-18 at 64 px; ``weighted`` swaps in the weighted heads."""
    if kind == 'fpn':
        cfg = Config.fromfile(BOF_CONFIG).model if weighted else Config.fromfile(
            osp.join(REPO, 'configs', 'bof', 'faster-rcnn_r50_fpn_voc0712_baseline.py')).model
        cfg.neck.update(in_channels=[64, 128, 256, 512], out_channels=32)
        cfg.rpn_head.update(in_channels=32, feat_channels=32)
        cfg.roi_head.bbox_roi_extractor.out_channels = 32
        cfg.roi_head.bbox_head.update(in_channels=32, fc_out_channels=32)
        if weighted:  # same loss as the baseline: compare the weighting alone
            cfg.roi_head.bbox_head.loss_cls = dict(type='CrossEntropyLoss', use_sigmoid=False)
    else:
        cfg = Config.fromfile(osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs', '_base_', 'models',
                                       'faster-rcnn_r50-caffe-c4.py')).model
        cfg.roi_head.shared_head.update(depth=18, norm_cfg=dict(type='BN', requires_grad=True))
        cfg.rpn_head.update(in_channels=256, feat_channels=32)
        cfg.roi_head.bbox_roi_extractor.update(out_channels=256, roi_layer=dict(output_size=4))
        cfg.roi_head.bbox_head.update(in_channels=512, roi_feat_size=2)   # 4 x 4 RoIs -> 2 x 2 after layer4
        if weighted:
            cfg.rpn_head.type = 'WeightedRPNHead'
            cfg.roi_head.type = 'WeightedStandardRoIHead'
            cfg.roi_head.bbox_head.type = 'WeightedBBoxHead'
    cfg.backbone.update(depth=18, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
                        init_cfg=None)
    cfg.roi_head.bbox_head.num_classes = 3
    cfg.train_cfg.rcnn.sampler.num = 16
    cfg.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=50)
    return cfg


def _detector_batch(weights):
    torch.manual_seed(0)
    inputs = torch.randn(2, 3, 64, 64)
    samples = []
    for index, boxes in enumerate(([[4., 4., 30., 40.], [30., 20., 60., 60.]], [[10., 8., 50., 34.]])):
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64), pad_shape=(64, 64),
                                             batch_input_shape=(64, 64), scale_factor=(1., 1.)))
        instances = InstanceData(bboxes=torch.tensor(boxes), labels=torch.tensor([index, 2][:len(boxes)]))
        if weights is not None:
            instances.weights = torch.full((len(boxes), ), weights)
        sample.gt_instances = instances
        samples.append(sample)
    return inputs, samples


def _detector_losses(cfg, weights):
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.train()
    inputs, samples = _detector_batch(weights)
    torch.manual_seed(1)   # the same proposal / anchor sampling for every model
    with torch.no_grad():
        return model.loss(inputs, samples)


def _flat(losses):
    return {key: torch.stack(list(value)) if isinstance(value, (list, tuple)) else value
            for key, value in losses.items()}


@pytest.mark.parametrize('kind', ['fpn', 'c4'])
def test_weights_of_one_reproduce_mmdet_losses_exactly_and_half_weights_halve_regression(kind):
    base = _flat(_detector_losses(_tiny_detector_cfg(kind, weighted=False), None))
    weighted_cfg = _tiny_detector_cfg(kind, weighted=True)
    for weights in (None, 1.0):
        same = _flat(_detector_losses(weighted_cfg, weights))
        assert same.keys() == base.keys()
        for key in base:
            assert torch.equal(same[key], base[key]), (weights, key)
    half = _flat(_detector_losses(weighted_cfg, 0.5))
    # every positive weight 0.5: regression losses (positives only) halve exactly (power-of-2 scaling)
    assert base['loss_rpn_bbox'].sum() > 0 and base['loss_bbox'] > 0
    assert torch.equal(half['loss_rpn_bbox'], 0.5 * base['loss_rpn_bbox'])
    assert torch.equal(half['loss_bbox'], 0.5 * base['loss_bbox'])
    # classification: positives' terms halve, negatives' stay (levels without positives are unchanged)
    assert (half['loss_rpn_cls'] <= base['loss_rpn_cls']).all()
    assert half['loss_rpn_cls'].sum() < base['loss_rpn_cls'].sum() and half['loss_cls'] < base['loss_cls']


def test_rpn_positive_anchor_weights_are_their_gt_weights():
    cfg = _tiny_detector_cfg('c4', weighted=True)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    inputs, samples = _detector_batch(None)
    samples[0].gt_instances.weights = torch.tensor([0.6, 0.4])
    rpn = model.rpn_head
    feats = model.extract_feat(inputs)
    cls_scores, _ = rpn(feats)
    anchors, valid = rpn.get_anchors([s.shape[-2:] for s in cls_scores], [s.metainfo for s in samples],
                                     device=inputs.device)
    for gt in samples[0].gt_instances, samples[1].gt_instances:
        gt.labels = torch.zeros_like(gt.labels)
    torch.manual_seed(1)
    targets = rpn._get_targets_single(torch.cat(anchors[0]), torch.cat(valid[0]), samples[0].gt_instances,
                                      samples[0].metainfo)
    labels, label_weights, _, bbox_weights, pos_inds, _, result = targets
    positives = labels == 0
    assert positives.sum() == len(pos_inds) > 0
    expected = torch.tensor([0.6, 0.4])[result.pos_assigned_gt_inds]
    assert sorted({round(value, 6) for value in expected.tolist()}) == [0.4, 0.6]   # both gts matched
    assert sorted(label_weights[positives].tolist()) == pytest.approx(sorted(expected.tolist()))
    assert torch.equal(bbox_weights[positives], label_weights[positives][:, None].expand(-1, 4))
    assert set(label_weights[~positives].unique().tolist()) <= {0.0, 1.0}   # negatives 1, unsampled 0


# ----------------------------------------------------------------------------------------------------------
# MixUpSwitchOffHook
# ----------------------------------------------------------------------------------------------------------
class Wrapper:
    """Stands for a dataset wrapper (e.g. RepeatDataset) around the MultiImageMixDataset."""

    def __init__(self, dataset):
        self.dataset = dataset


def _runner(dataset, num_workers=0, **state):
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, num_workers=num_workers,
                                         persistent_workers=num_workers > 0, collate_fn=lambda batch: batch)
    return SimpleNamespace(train_dataloader=loader, logger=MMLogger.get_instance('test_det_bof'), **state)


def _mix_dataset():
    return MultiImageMixDataset(dataset=_in_memory_dataset(),
                                pipeline=[dict(type='VisuallyCoherentMixUp', lam=0.6),
                                          dict(type='PackDetInputsWithWeights')])


def _all_weights(loader):
    return [sorted(set(item['data_samples'].gt_instances.weights.tolist()))
            for batch in loader for item in batch]


def test_switch_off_hook_last_epochs_with_persistent_workers():
    dataset = _mix_dataset()
    runner = _runner(dataset, num_workers=1, epoch=0, max_epochs=4, iter=0)
    hook = MixUpSwitchOffHook(num_last_epochs=1)
    hook.before_train(runner)
    for epoch in range(3):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert not hook.switched
        assert all(weights != [1.0] for weights in _all_weights(runner.train_dataloader))   # mixed
    runner.epoch = 3   # the last epoch (0-based max_epochs - num_last_epochs)
    hook.before_train_epoch(runner)
    assert hook.switched and dataset._skip_type_keys == ['VisuallyCoherentMixUp']
    assert _all_weights(runner.train_dataloader) == [[1.0]] * 3   # the new persistent worker: not mixed


def test_switch_off_hook_last_iters_through_wrapper_chain():
    dataset = _mix_dataset()
    runner = _runner(Wrapper(dataset), epoch=0, iter=0, max_iters=10)
    runner.train_loop = SimpleNamespace(dataloader_iterator=SimpleNamespace(_iterator=None))
    hook = MixUpSwitchOffHook(num_last_iters=3)
    hook.before_train(runner)
    for it in range(10):
        runner.iter = it
        hook.before_train_iter(runner, it)
        assert hook.switched == (it >= 7)
    assert runner.train_loop.dataloader_iterator._iterator is not None   # restarted at iteration 7
    assert dataset._skip_type_keys == ['VisuallyCoherentMixUp']


def test_switch_off_hook_bad_config():
    with pytest.raises(ValueError, match='exactly one of num_last_epochs'):
        MixUpSwitchOffHook()
    with pytest.raises(ValueError, match='exactly one of num_last_epochs'):
        MixUpSwitchOffHook(num_last_epochs=1, num_last_iters=5)
    with pytest.raises(ValueError, match='num_last_epochs must be an int >= 0'):
        MixUpSwitchOffHook(num_last_epochs=-1)
    with pytest.raises(ValueError, match='wrapped in MultiImageMixDataset'):
        MixUpSwitchOffHook(num_last_epochs=1).before_train(_runner(_in_memory_dataset()))
    with pytest.raises(ValueError, match="\\['MixUp'\\] are not in the MultiImageMixDataset pipeline"):
        MixUpSwitchOffHook(num_last_epochs=1, skip_type_keys=['MixUp']).before_train(_runner(_mix_dataset()))


# ----------------------------------------------------------------------------------------------------------
# Configs
# ----------------------------------------------------------------------------------------------------------
C4_BOF_CONFIG = osp.join(REPO, 'configs', 'benchmarks', 'mmdetection', 'voc0712',
                         'faster-rcnn_r50-c4_ms-24k_voc0712_bof.py')


@pytest.mark.parametrize('path, bbox_head, hook_key, other_hooks', [
    (BOF_CONFIG, 'WeightedShared2FCBBoxHead', 'num_last_epochs', []),
    (C4_BOF_CONFIG, 'WeightedBBoxHead', 'num_last_iters', ['C4PretrainedCheckHook']),
])
def test_bof_configs_declare_the_whole_stack(path, bbox_head, hook_key, other_hooks):
    cfg = Config.fromfile(path)
    model = cfg.model
    assert model.backbone.norm_cfg.type == 'SyncBN' and model.backbone.norm_eval is False
    assert (model.rpn_head.type, model.roi_head.type, model.roi_head.bbox_head.type) == (
        'WeightedRPNHead', 'WeightedStandardRoIHead', bbox_head)
    assert model.roi_head.bbox_head.loss_cls == dict(type='LabelSmoothingCrossEntropyLoss', eps=0.1,
                                                     loss_weight=1.0)
    mix = cfg.train_dataloader.dataset
    assert mix.type == 'MultiImageMixDataset'
    assert mix.pipeline[0] == dict(type='VisuallyCoherentMixUp', alpha=1.5)
    assert mix.pipeline[-1].type == 'PackDetInputsWithWeights'
    leaves = mix.dataset.datasets if 'datasets' in mix.dataset else mix.dataset.dataset.datasets
    loading_only = ['LoadImageFromFile', 'LoadAnnotations']
    assert [[t.type for t in leaf.pipeline] for leaf in leaves] == [loading_only] * 2
    assert [s.type for s in cfg.param_scheduler] == ['LinearLR', 'CosineAnnealingLR']
    assert cfg.param_scheduler[0].by_epoch is False and cfg.param_scheduler[0].start_factor == 0.001
    switch_off = [h for h in cfg.custom_hooks if h.type == 'MixUpSwitchOffHook']
    assert len(switch_off) == 1 and hook_key in switch_off[0]
    assert sorted(h.type for h in cfg.custom_hooks if h.type != 'MixUpSwitchOffHook') == other_hooks
    assert 'mixplugins.det' in cfg.custom_imports.imports


def _lr_trace(cfg, base_lr: float, max_iters: int, at):
    """lr at the iterations ``at`` of the config's optim wrapper and param schedulers, built and stepped by
    MMEngine as its Runner does (a scheduler without ``end`` ends at the loop's ``max_iters``)."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import PARAM_SCHEDULERS
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    optim_cfg.optimizer.lr = base_lr
    optim_wrapper = build_optim_wrapper(torch.nn.Linear(1, 1), optim_cfg)
    schedulers = []
    for scheduler in copy.deepcopy(cfg.param_scheduler):
        assert scheduler.by_epoch is False   # both iteration-based: the cosine can begin at the warmup's end
        scheduler.setdefault('end', max_iters)
        schedulers.append(PARAM_SCHEDULERS.build(dict(scheduler, optimizer=optim_wrapper)))
    lrs = {}
    for t in range(max(at) + 1):
        if t in at:
            lrs[t] = optim_wrapper.get_lr()['lr'][0]
        for scheduler in schedulers:
            scheduler.step()
    return lrs


@pytest.mark.parametrize('path, warmup, max_iters', [(BOF_CONFIG, 500, 10000), (C4_BOF_CONFIG, 100, 24000)])
def test_bof_cosine_begins_after_the_warmup(path, warmup, max_iters):
    """Bag of Freebies (sec. 3.4) / GluonCV: linear warmup, then a cosine over the iterations after it. With
    base lr 0.02: 0.02 at the warmup's end, 0.01 half-way through the cosine, 0 at the end (a cosine from
    iteration 0 gives 0.019877 and 0.009215 at t = 500 and 5250 for the FPN config)."""
    middle = warmup + (max_iters - warmup) // 2
    lrs = _lr_trace(Config.fromfile(path), 0.02, max_iters, {0, warmup, middle, max_iters - 1})
    assert lrs[0] == pytest.approx(0.02 * 0.001)
    assert lrs[warmup] == pytest.approx(0.02, rel=1e-6)
    assert lrs[middle] == pytest.approx(0.01, rel=1e-4)
    assert lrs[max_iters - 1] == pytest.approx(0.0, abs=1e-8)


def test_fpn_baseline_is_mmdet_config_unchanged():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'bof', 'faster-rcnn_r50_fpn_voc0712_baseline.py'))
    assert cfg.model.roi_head.bbox_head.type == 'Shared2FCBBoxHead'
    assert cfg.model.roi_head.bbox_head.loss_cls.type == 'CrossEntropyLoss'
    assert cfg.model.backbone.norm_cfg.type == 'BN' and cfg.model.backbone.norm_eval is True
    assert [s.type for s in cfg.param_scheduler] == ['MultiStepLR']
    assert cfg.train_dataloader.dataset.type == 'RepeatDataset' and 'custom_hooks' not in cfg


# ----------------------------------------------------------------------------------------------------------
# Tiny real run: `mim train mmdet` of the BoF config on a generated VOC set
# ----------------------------------------------------------------------------------------------------------
def _tiny_bof_config(data_root, work_dir):
    """configs/bof/faster-rcnn_r50_fpn_bof_voc0712.py shrunk to ResNet-18-FPN, 128 px, 2 epochs of 2 iters."""
    cfg = Config.fromfile(BOF_CONFIG)
    cfg.model = _tiny_detector_cfg('fpn', weighted=True)
    cfg.model.roi_head.bbox_head.loss_cls = dict(type='LabelSmoothingCrossEntropyLoss', eps=0.1)
    mix = cfg.train_dataloader.dataset
    mix.pipeline[1].scale = (256, 128)
    mix.dataset.times = 1
    for leaf in mix.dataset.dataset.datasets:
        leaf.update(data_root=data_root, metainfo=dict(classes=CLASSES))
    cfg.train_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.val_dataloader.update(num_workers=0, persistent_workers=False)
    cfg.val_dataloader.dataset.update(data_root=data_root, metainfo=dict(classes=CLASSES))
    cfg.val_dataloader.dataset.pipeline[1].scale = (256, 128)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.update(max_epochs=2, val_interval=2)
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=2),
        dict(type='CosineAnnealingLR', T_max=2, by_epoch=True, begin=0, end=2, convert_to_iter_based=True)]
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = None   # nothing to resume in a test: skip writing checkpoints
    cfg.work_dir = str(work_dir)
    return cfg


@pytest.mark.slow
def test_tiny_mim_train_bof_voc(tmp_path):
    voc = make_voc(tmp_path / 'data', n_trainval=2, n_test=2, seed=0)
    cfg = _tiny_bof_config(voc['data_root'], tmp_path / 'work')
    config_file = tmp_path / 'tiny_bof.py'
    cfg.dump(str(config_file))
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    run = subprocess.run([mim, 'train', 'mmdet', str(config_file), '--work-dir', str(tmp_path / 'work')],
                         capture_output=True, text=True, timeout=600, cwd=str(tmp_path),
                         env={**os.environ, 'OMP_NUM_THREADS': '1'})
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "MixUpSwitchOffHook: ['VisuallyCoherentMixUp'] switched off at epoch 1" in output
    scalars = sorted((tmp_path / 'work').glob('*/vis_data/scalars.json'))
    records = [json.loads(line) for line in scalars[-1].read_text().splitlines()]
    train = [r for r in records if 'loss' in r]
    assert len(train) == 4 and all(math.isfinite(r['loss']) for r in train)   # 2 epochs x 4 images / batch 2
    assert all(key in train[0] for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'))
    metrics = [r for r in records if 'pascal_voc/mAP' in r]
    assert len(metrics) == 1 and 0.0 <= metrics[0]['pascal_voc/mAP'] <= 1.0


@pytest.mark.slow
def test_tiny_train_c4_bof_option_iteration_switch(tmp_path, monkeypatch):
    """The C4 transfer config's BoF option (part A's tiny_config shrink) trains through the Runner; the mixup
    switches off for the last iterations of the iteration-based loop."""
    from mmengine.runner import Runner

    # skip the Runner's environment report and pretty-printed config dump (~30 s on a busy machine)
    monkeypatch.setattr(Runner, '_log_env', lambda self, env_cfg: None)
    monkeypatch.setattr(Runner, 'dump_config', lambda self: None)

    from helpers.det_data import tiny_config, tiny_train_pipeline
    voc = make_voc(tmp_path / 'data', n_trainval=2, n_test=2, seed=1)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'benchmarks', 'mmdetection', 'voc0712',
                                   'faster-rcnn_r50-c4_ms-24k_voc0712_bof.py'))
    cfg = tiny_config(cfg, voc['data_root'], tmp_path / 'work', max_iters=4)
    mix = cfg.train_dataloader.dataset
    assert mix.type == 'MultiImageMixDataset' and mix.pipeline[0].type == 'VisuallyCoherentMixUp'
    tiny = tiny_train_pipeline(with_mask=False)
    mix.pipeline[1] = tiny[2]   # the tiny multi-scale resize
    for leaf in mix.dataset.datasets:
        leaf.pipeline = tiny[:2]   # the datasets only load; the wrapper mixes, resizes, flips and packs
    cfg.custom_hooks = [dict(type='MixUpSwitchOffHook', num_last_iters=2)]
    cfg.model.train_cfg.rcnn.sampler.num = 16   # fewer, smaller RoIs through the shared head (layer4)
    cfg.model.roi_head.bbox_roi_extractor.roi_layer.output_size = 6
    cfg.model.roi_head.bbox_head.roi_feat_size = 3
    cfg.default_hooks.checkpoint = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, MixUpSwitchOffHook))
    assert hook.switched and runner.iter == 4
    assert runner.train_dataloader.dataset._skip_type_keys == ['VisuallyCoherentMixUp']
    assert type(runner.model.roi_head.bbox_head).__name__ == 'WeightedBBoxHead'
    assert isinstance(runner.model.roi_head.bbox_head.loss_cls, LabelSmoothingCrossEntropyLoss)
    records = [json.loads(line) for line in open(osp.join(runner.log_dir, 'vis_data', 'scalars.json'))]
    assert len([r for r in records if 'loss' in r]) == 4
    metrics = [r for r in records if 'pascal_voc/mAP' in r]
    assert len(metrics) == 1 and 0.0 <= metrics[0]['pascal_voc/mAP'] <= 1.0
