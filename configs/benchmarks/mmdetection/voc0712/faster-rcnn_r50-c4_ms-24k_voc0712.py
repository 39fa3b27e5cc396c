# Faster R-CNN R50-C4 transfer benchmark on PASCAL VOC (BSIM: Chu et al., "A Unified Mixture-View Framework for
# Unsupervised Representation Learning", 2022, arXiv:2011.13356, supplementary sec. 3.3;
# docs/methods.md#transfer-and-evaluation-protocol): fine-tune on VOC07+12 trainval for 24k iterations (batch 16 = 8
# GPUs x 2, lr 0.02, decay x0.1 at 18k and 22k, 100-iteration linear warmup), multi-scale training (shorter side
# 480..800 step 32, longer side <= 1333), test on VOC2007 test at shorter side 800.
# Model: ../_base_/models/faster-rcnn_r50-c4.py (SyncBN -- CPU / single-process runs override norm_cfg to
# BN --, PyTorch normalisation, backbone + shared head from `pretrained`).
#
# Metrics (as Detectron2's PascalVOCDetectionEvaluator, which the papers use): VOC07 11-point AP per
# class, averaged over classes, at IoU 0.5 and at IoU 0.50:0.05:0.95:
#   pascal_voc/mAP           VOC mAP@0.5 (= pascal_voc/AP50)
#   voc_coco_style/mAP       COCO-style AP: mean of the APs at the ten IoU thresholds 0.50..0.95
#                            (the papers' "AP")
#   voc_coco_style/AP50, voc_coco_style/AP75    the papers' AP50 and AP75
# Train:  mim train mmdet THIS_CONFIG --cfg-options model.backbone.init_cfg.checkpoint=BACKBONE.pth \
#             model.roi_head.shared_head.init_cfg.checkpoint=BACKBONE.pth
#         (or GPUS=8 tools/benchmarks/mmdetection/mim_dist_train_c4.sh THIS_CONFIG BACKBONE.pth)
_base_ = [
    '../_base_/models/faster-rcnn_r50-c4.py',
    'mmdet::_base_/datasets/voc0712.py',
    'mmdet::_base_/default_runtime.py',
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))

data_root = 'data/VOCdevkit/'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(480, 801, 32)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        # VOCDataset sets metainfo['dataset_type'] to 'VOC2007' / 'VOC2012'; let the two differ.
        ignore_keys=['dataset_type'],
        datasets=[
            dict(
                type='VOCDataset',
                data_root=data_root,
                ann_file=f'{year}/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root=f'{year}/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline=train_pipeline) for year in ('VOC2007', 'VOC2012')
        ]))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='VOCMetric', metric='mAP', eval_mode='11points', iou_thrs=0.5),
    dict(type='VOCMetric', metric='mAP', eval_mode='11points',
         iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95], prefix='voc_coco_style'),
]
test_evaluator = val_evaluator

max_iters = 24000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False, milestones=[18000, 22000], gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
auto_scale_lr = dict(enable=False, base_batch_size=16)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
