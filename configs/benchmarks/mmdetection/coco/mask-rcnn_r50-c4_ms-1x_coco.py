# Mask R-CNN R50-C4 transfer benchmark on COCO, 1x schedule (12 epochs, lr x0.1 at epochs 8 and 11; batch 16 = 8 GPUs
# x 2, lr 0.02, 500-iteration linear warmup), multi-scale training (shorter side 640..800 step 32, longer side <=
# 1333), test at (1333, 800); train2017 -> val2017 box and mask AP (CocoMetric bbox + segm). The papers (BSIM: Chu et
# al., "A Unified Mixture-View Framework for Unsupervised Representation Learning", 2022, arXiv:2011.13356,
# supplementary sec. 3.3; docs/methods.md#transfer-and-evaluation-protocol) use the 2x schedule:
# ./mask-rcnn_r50-c4_ms-2x_coco.py. Model: ../_base_/models/mask-rcnn_r50-c4.py (SyncBN -- CPU / single-process runs
# override norm_cfg to BN --, PyTorch normalisation, backbone + shared head from `pretrained`; see the header of
# ../_base_/models/faster-rcnn_r50-c4.py for the command-line override).
_base_ = [
    '../_base_/models/mask-rcnn_r50-c4.py',
    'mmdet::_base_/datasets/coco_instance.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(640, 801, 32)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
