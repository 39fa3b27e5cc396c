# Upstream mmpretrain SimCLR on the embedded digits, sized for a 2-core CPU: the base recipe of the SimCLR Un-Mix /
# BSIM / WBSIM variants, and (with its own model) of BYOL and SimSiam. The data (views that keep the digit) and
# the width-16 CIFAR ResNet-18 of the MoCo v2 digits recipe; SGD lr 0.06, temperature 0.1, 30 epochs (after 20
# epochs, seed 0: 82.7% kNN). The necks use plain BN1d (their default SyncBN has no CPU backend).
_base_ = [
    '../_base_/datasets/digits_mocov2.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]

max_epochs = 30

model = dict(
    type='SimCLR',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=16, base_channels=16, norm_cfg=dict(type='BN'),
                  zero_init_residual=False),
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=128, num_layers=2,
              with_avg_pool=True, norm_cfg=dict(type='BN1d')),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.1))

optim_wrapper = dict(optimizer=dict(lr=0.06))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
# one seed per process: under DDP every process pairs its local batch and draws its own lam
# (BSIM supplementary, sec. 3.4; docs/methods.md#notation-and-conventions)
randomness = dict(seed=0, diff_rank_seed=True)
