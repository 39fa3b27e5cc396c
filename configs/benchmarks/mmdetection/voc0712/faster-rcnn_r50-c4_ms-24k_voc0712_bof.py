# The VOC Faster R-CNN R50-C4 transfer benchmark (./faster-rcnn_r50-c4_ms-24k_voc0712.py: SyncBN, PyTorch
# normalisation, backbone + shared head from `pretrained`, multi-scale 480..800, 24k iterations) with the Bag of
# Freebies options (Zhang et al., "Bag of Freebies for Training Object Detection Neural Networks", 2019,
# arXiv:1902.04103, sec. 3; docs/methods.md#bag-of-freebies):
# - visually coherent mixup (VisuallyCoherentMixUp, lam ~ Beta(1.5, 1.5), both images at the top left of a
#   max(h) x max(w) canvas) in mmdet's MultiImageMixDataset, before the multi-scale resize and flip;
#   per-object loss weights lam / 1 - lam in gt_instances.weights (PackDetInputsWithWeights), used by the
#   weighted RPN and C4 RoI heads (WeightedRPNHead, WeightedStandardRoIHead + WeightedBBoxHead) for the
#   positive samples;
# - mixup switched off for the last 2000 iterations (MixUpSwitchOffHook, num_last_iters; about two passes
#   over VOC07+12 trainval at batch 16);
# - label smoothing eps = 0.1 in the RoI classification (softmax over 20 classes + background, K = 21);
# - cosine learning-rate decay to 0 over the iterations after the base's 100-iteration linear warmup (the
#   cosine begins where the warmup ends, Bag of Freebies sec. 3.4 and GluonCV; instead of the steps at 18k / 22k).
# Train / test exactly as the base config (same --cfg-options for the pretrained checkpoint).
_base_ = './faster-rcnn_r50-c4_ms-24k_voc0712.py'

model = dict(
    rpn_head=dict(type='WeightedRPNHead'),
    roi_head=dict(
        type='WeightedStandardRoIHead',
        bbox_head=dict(
            type='WeightedBBoxHead',
            loss_cls=dict(_delete_=True, type='LabelSmoothingCrossEntropyLoss', eps=0.1, loss_weight=1.0))))

data_root = 'data/VOCdevkit/'
load_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
]
mix_pipeline = [
    dict(type='VisuallyCoherentMixUp', alpha=1.5),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(480, 801, 32)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputsWithWeights'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MultiImageMixDataset',
        pipeline=mix_pipeline,
        dataset=dict(
            type='ConcatDataset',
            ignore_keys=['dataset_type'],
            datasets=[
                dict(
                    type='VOCDataset',
                    data_root=data_root,
                    ann_file=f'{year}/ImageSets/Main/trainval.txt',
                    data_prefix=dict(sub_data_root=f'{year}/'),
                    filter_cfg=dict(filter_empty_gt=True, min_size=32),
                    pipeline=load_pipeline) for year in ('VOC2007', 'VOC2012')
            ])))

max_iters = 24000
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', T_max=max_iters - 100, eta_min=0.0, by_epoch=False, begin=100,
         end=max_iters),
]
custom_hooks = [dict(type='C4PretrainedCheckHook'), dict(type='MixUpSwitchOffHook', num_last_iters=2000)]
