# Upstream mmpretrain MoCo v2 on the embedded digits, sized for a 2-core CPU: the base recipe of every MoCo v2
# variant (Un-Mix, BSIM, WBSIM, SAMix-I/C/P), which add only their own parameters to it.
# - CIFAR ResNet-18 at width 16 (stem and first stage 16 channels, last stage 128): a few seconds an epoch on
#   CPU, which buys the epochs contrastive learning needs;
# - lr 0.015 at batch 64 and temperature 0.1 (kNN top-1 after 40 epochs: seed 0, 87.7% with lr 0.03; seed 2,
#   61.0% with 0.03 and 85.5% with 0.015). Half of MoCo's CIFAR step keeps every seed learning, and the mixing
#   variants, whose objectives add a mixed term of the same size as MoCo's (Un-Mix, Eq. 5), are not pushed past
#   the stable step (Un-Mix, seed 0, 40 epochs: 82.5% with 0.03, 85.5% with 0.015). The old 0.06 / 0.2 drove the
#   loss up to chance level, ln(1 + queue_len);
# - 50 epochs (22 steps each), about 4 min on 2 cores; docs/digits_recipes.md lists the runs;
# - a 1,024-key queue (71% of the 1,438 training images), key momentum m = 0.99 (1 - momentum).
_base_ = [
    '../_base_/datasets/digits_mocov2.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]

max_epochs = 50

model = dict(
    type='MoCo',
    queue_len=1024,
    feat_dim=128,
    momentum=0.01,
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=16, base_channels=16, norm_cfg=dict(type='BN'),
                  zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=128, hid_channels=512, out_channels=128, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.1))

optim_wrapper = dict(optimizer=dict(lr=0.015))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=1))
randomness = dict(seed=0)
