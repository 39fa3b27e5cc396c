# Faster R-CNN R50-FPN on PASCAL VOC07+12 with the Bag of Freebies (Zhang et al., "Bag of Freebies for Training Object
# Detection Neural Networks", 2019, arXiv:1902.04103, sec. 3, Table 3; docs/methods.md#bag-of-freebies), next to
# ./faster-rcnn_r50_fpn_voc0712_baseline.py (same data, same length: 4 epochs over the 3x repeated VOC07+12 trainval =
# 12 passes):
# - visually coherent mixup (VisuallyCoherentMixUp, lam ~ Beta(1.5, 1.5), geometry preserved) in mmdet's
#   MultiImageMixDataset, per-object loss weights lam / 1 - lam packed into gt_instances.weights
#   (PackDetInputsWithWeights) and used by the weighted RPN / RoI heads for the positive samples;
# - mixup switched off for the last epoch (MixUpSwitchOffHook, num_last_epochs=1: the last 3 of 12 passes);
# - label smoothing eps = 0.1 in the RoI classification (softmax over 20 classes + background, K = 21);
# - linear warmup (500 iterations from lr * 0.001), then a cosine decay to 0 over the remaining iterations
#   (Bag of Freebies sec. 3.4, Fig. 6; GluonCV's LRSequential): the cosine starts where the warmup ends, so the lr is
#   the base lr at iteration 500 and half of it half-way through the cosine;
# - synchronized BN in the backbone, statistics trained (norm_eval=False). SyncBN needs a process group:
#   single-process / CPU runs override model.backbone.norm_cfg to dict(type='BN', requires_grad=True).
# Paper's figures (Table 3, 600 x 1000 px): baseline 77.77, + cosine 79.59, + label smoothing 80.23,
# + mixup 81.32 mAP.
_base_ = './faster-rcnn_r50_fpn_voc0712_baseline.py'
custom_imports = dict(imports=['mixplugins.det'], allow_failed_imports=False)

model = dict(
    backbone=dict(norm_cfg=dict(type='SyncBN', requires_grad=True), norm_eval=False),
    rpn_head=dict(type='WeightedRPNHead'),
    roi_head=dict(
        type='WeightedStandardRoIHead',
        bbox_head=dict(
            type='WeightedShared2FCBBoxHead',
            loss_cls=dict(_delete_=True, type='LabelSmoothingCrossEntropyLoss', eps=0.1, loss_weight=1.0))))

# The dataset only loads; the mixing wrapper blends two loaded images, then resizes / flips the canvas
# (GluonCV's MixupDetection order: mix the raw images, then the training transform).
data_root = 'data/VOCdevkit/'
load_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
]
mix_pipeline = [
    dict(type='VisuallyCoherentMixUp', alpha=1.5),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputsWithWeights'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MultiImageMixDataset',
        pipeline=mix_pipeline,
        dataset=dict(
            type='RepeatDataset',
            times=3,
            dataset=dict(
                type='ConcatDataset',
                ignore_keys=['dataset_type'],
                datasets=[
                    dict(
                        type='VOCDataset',
                        data_root=data_root,
                        ann_file=f'{year}/ImageSets/Main/trainval.txt',
                        data_prefix=dict(sub_data_root=f'{year}/'),
                        filter_cfg=dict(filter_empty_gt=True, min_size=32, bbox_min_size=32),
                        pipeline=load_pipeline) for year in ('VOC2007', 'VOC2012')
                ]))))

max_epochs = 4
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    # iteration-based so that it can begin at the warmup's end; `end` (and T_max = end - begin) is the loop's
    # max_iters, which MMEngine's Runner sets when `end` is not given (the epoch length depends on the GPUs)
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=False, begin=500),
]
custom_hooks = [dict(type='MixUpSwitchOffHook', num_last_epochs=1)]
