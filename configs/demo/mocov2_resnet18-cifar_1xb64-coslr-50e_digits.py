# Upstream mmpretrain MoCo v2 on the embedded digits, sized for a 2-core CPU: the base recipe of every MoCo v2
# variant (Un-Mix, BSIM, WBSIM, SAMix-I/C/P), which add only their own parameters to it.
# - CIFAR ResNet-18 at width 16 (stem and first stage 16 channels, last stage 128): a few seconds an epoch on
#   CPU, which buys the epochs contrastive learning needs;
# - lr 0.03 at batch 64 and temperature 0.1 (MoCo's CIFAR setting); kNN top-1 after 20 epochs, seed 0: 77.2% with
#   (0.03, 0.1), 66.9% with (0.06, 0.1), and 71.6% after 30 epochs with (0.015, 0.2). The old 0.06 / 0.2 drove the
#   loss up to chance level, ln(1 + queue_len);
# - 40 epochs (22 steps each): 87.7% kNN in 3.3 min on 2 cores (84.1% after 20, 86.9% after 30);
# - a 1,024-key queue (71% of the 1,438 training images), key momentum m = 0.99 (1 - momentum).
_base_ = [
    '../_base_/datasets/digits_mocov2.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]

max_epochs = 40

model = dict(
    type='MoCo',
    queue_len=1024,
    feat_dim=128,
    momentum=0.01,
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=16, base_channels=16, norm_cfg=dict(type='BN'),
                  zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=128, hid_channels=512, out_channels=128, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.1))

optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=1))
randomness = dict(seed=0)
