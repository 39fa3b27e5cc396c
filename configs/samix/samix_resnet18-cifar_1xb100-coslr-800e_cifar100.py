# Supervised SAMix, ResNet-18 (CIFAR stem), CIFAR-100, 800 epochs, batch 100 (AMix: "Improving Discriminative Visual
# Representation Learning via Automatic Mixup", anonymous ICLR 2022 submission, no arXiv id, sec. 4.1 setups, shared
# by SAMix: Li et al., "Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021,
# arXiv:2111.15454, A.3: SGD lr 0.1, momentum 0.9, wd 1e-4, cosine; RandomCrop 4 px reflect + flip; alpha 2, l = 3,
# eta = 0.5 on small data sets).
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

max_epochs = 800
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4, padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=100, dataset=dict(pipeline=train_pipeline))

model = dict(
    type='SAMixClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=100, in_channels=512, loss=dict(type='CrossEntropyLoss')),
    mixer=dict(type='SAMixMixer', in_channels=256),
    mixer_stage=2,
    momentum=0.001,  # m = 0.999
    alpha=2.0,
    eta=0.5,
    mask_loss_weight=0.1,
    loss_local=dict(type='PairwiseBCELoss'),
    loss_global=dict(type='MixupSoftCrossEntropyLoss'))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'mixer': dict(decay_mult=0.0)}))
param_scheduler = dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=10)
val_cfg = dict()
test_cfg = dict()
custom_hooks = [
    dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0, curve='linear'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.999, end=1.0, curve='cosine'),
    dict(type='ModuleLrScheduleHook', module='mixer'),  # the Mixer keeps its initial lr (own schedule)
    dict(type='RNGStateHook'),
]
# each rank draws its own mixing (docs/methods.md#notation-and-conventions)
randomness = dict(seed=0, diff_rank_seed=True)
