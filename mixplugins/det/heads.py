"""Detector heads whose positive samples' losses carry the per-object mixup weights.

Bag of Freebies (Zhang et al., "Bag of Freebies for Training Object Detection Neural Networks", 2019,
arXiv:1902.04103, sec. 3.1, Table 1 "weighted loss"; ``docs/methods.md#bag-of-freebies``): the loss is the sum over
objects weighted by the blending ratio of the image each object comes from. For a positive sample j (anchor in the
RPN, proposal in the RoI head) assigned to ground truth g(j):

    L_cls = sum_j w_j * label_weight_j * CE_j / avg_factor
    L_reg = sum_j w_j * bbox_weight_j * l1_j / avg_factor

with ``w_j = gt_instances.weights[g(j)]`` (``lam`` or ``1 - lam``, set by ``VisuallyCoherentMixUp`` and packed
by ``PackDetInputsWithWeights``) and ``w_j = 1`` for negatives. The normalisers (``avg_factor``) are those of
mmdet, unchanged. Without ``weights`` in ``gt_instances`` every ``w_j = 1``: the targets are multiplied by
exactly 1.0, so the losses are bit-for-bit mmdet's.

The mask loss of Mask R-CNN is NOT weighted: the paper defines the weights for box detectors only (Faster
R-CNN, YOLOv3) and mmdet's mask loss (``mask_cross_entropy``) takes no per-RoI weight; objects of mixed
images train their masks at full weight.
"""
import torch
from mmdet.models.dense_heads import RPNHead
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.bbox_heads import BBoxHead, Shared2FCBBoxHead
from mmdet.models.task_modules.prior_generators import anchor_inside_flags
from mmdet.registry import MODELS

#: ``gt_instances`` field holding the per-object loss weights
GT_WEIGHTS_FIELD = 'weights'


def positive_gt_weights(sampling_result, gt_instances) -> torch.Tensor:
    """``w_j = gt_instances.weights[g(j)]`` for each positive j of ``sampling_result`` (1 without weights)."""
    gt_inds = sampling_result.pos_assigned_gt_inds.long()
    if GT_WEIGHTS_FIELD not in gt_instances:
        return torch.ones(gt_inds.numel(), device=gt_inds.device)
    return gt_instances.get(GT_WEIGHTS_FIELD).float()[gt_inds]


class PositiveGtWeightSampler:
    """Wraps an mmdet sampler so that each ``SamplingResult`` also carries ``pos_gt_weights`` (one weight
    per positive, see :func:`positive_gt_weights`); the RoI head's bbox head reads it in ``get_targets``."""

    def __init__(self, sampler) -> None:
        self.sampler = sampler

    def sample(self, assign_result, pred_instances, gt_instances, **kwargs):
        result = self.sampler.sample(assign_result, pred_instances, gt_instances, **kwargs)
        result.pos_gt_weights = positive_gt_weights(result, gt_instances)
        return result


@MODELS.register_module()
class WeightedRPNHead(RPNHead):
    """``RPNHead`` whose positive anchors' classification and regression weights are multiplied by the
    weight of their assigned ground truth (module docstring)."""

    def _get_targets_single(self, flat_anchors, valid_flags, gt_instances, img_meta,
                            gt_instances_ignore=None, unmap_outputs=True) -> tuple:
        targets = super()._get_targets_single(flat_anchors, valid_flags, gt_instances, img_meta,
                                              gt_instances_ignore, unmap_outputs)
        _, label_weights, _, bbox_weights, pos_inds, _, sampling_result = targets[:7]
        rows = pos_inds  # indices among the anchors inside the image
        if unmap_outputs:  # targets are over all anchors: map inside-anchor indices back
            inside = anchor_inside_flags(flat_anchors, valid_flags, img_meta['img_shape'][:2],
                                         self.train_cfg['allowed_border'])
            rows = inside.nonzero(as_tuple=True)[0][pos_inds]
        weights = positive_gt_weights(sampling_result, gt_instances).to(label_weights)
        label_weights[rows] *= weights
        bbox_weights[rows] *= weights[:, None]
        return targets


class PositiveWeightedBBoxHeadMixin:
    """RoI bbox-head mixin: the first ``num_pos`` targets of each image (mmdet puts positives first) get
    their classification and regression weights multiplied by ``sampling_result.pos_gt_weights``."""

    def get_targets(self, sampling_results, rcnn_train_cfg, concat: bool = True) -> tuple:
        labels, label_weights, bbox_targets, bbox_weights = super().get_targets(
            sampling_results, rcnn_train_cfg, concat=False)
        for result, image_label_weights, image_bbox_weights in zip(sampling_results, label_weights,
                                                                    bbox_weights):
            if not hasattr(result, 'pos_gt_weights'):
                raise ValueError(f'{type(self).__name__} needs sampling results with pos_gt_weights: use '
                                 f"roi_head type='WeightedStandardRoIHead'")
            weights = result.pos_gt_weights.to(image_label_weights)
            image_label_weights[:len(weights)] *= weights
            image_bbox_weights[:len(weights)] *= weights[:, None]
        if concat:
            labels, label_weights, bbox_targets, bbox_weights = (
                torch.cat(targets, 0) for targets in (labels, label_weights, bbox_targets, bbox_weights))
        return labels, label_weights, bbox_targets, bbox_weights


@MODELS.register_module()
class WeightedBBoxHead(PositiveWeightedBBoxHeadMixin, BBoxHead):
    """``BBoxHead`` (the C4 detectors' head) with per-object weighted positives."""


@MODELS.register_module()
class WeightedShared2FCBBoxHead(PositiveWeightedBBoxHeadMixin, Shared2FCBBoxHead):
    """``Shared2FCBBoxHead`` (the FPN detectors' head) with per-object weighted positives."""


@MODELS.register_module()
class WeightedStandardRoIHead(StandardRoIHead):
    """``StandardRoIHead`` whose sampler records ``pos_gt_weights``; its bbox head must be a weighted one
    (``WeightedBBoxHead``, ``WeightedShared2FCBBoxHead``) so that the weights are used."""

    def init_bbox_head(self, bbox_roi_extractor, bbox_head) -> None:
        super().init_bbox_head(bbox_roi_extractor, bbox_head)
        if not isinstance(self.bbox_head, PositiveWeightedBBoxHeadMixin):
            raise ValueError(f"WeightedStandardRoIHead needs a weighted bbox_head (type='WeightedBBoxHead' "
                             f"or 'WeightedShared2FCBBoxHead'), got {type(self.bbox_head).__name__}")

    def init_assigner_sampler(self) -> None:
        super().init_assigner_sampler()
        if self.bbox_sampler is not None:
            self.bbox_sampler = PositiveGtWeightSampler(self.bbox_sampler)
