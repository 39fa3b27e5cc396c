# Demo: upstream mmpretrain MoCo v2 (CIFAR-style ResNet-18) on the embedded digits, on CPU in minutes.
# `make demo` runs it through `mim train mmpretrain`; the kNN monitor prints random-init vs trained top-1
# and writes both to <work_dir>/knn.json.
_base_ = [
    '../_base_/datasets/digits_mocov2.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]

max_epochs = 8

model = dict(
    type='MoCo',
    queue_len=1024,
    feat_dim=128,
    momentum=0.01,
    backbone=dict(type='ResNet_CIFAR', depth=18, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=512, out_channels=128, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2))

optim_wrapper = dict(optimizer=dict(lr=0.06))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
randomness = dict(seed=0)
