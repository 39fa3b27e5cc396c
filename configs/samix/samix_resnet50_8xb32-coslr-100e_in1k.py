# Supervised SAMix, ResNet-50, ImageNet-1k, 100 epochs, 8 x 32 (Li et al., "Boosting Discriminative Visual
# Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 4.1: PyTorch-style recipe, SGD
# lr 0.1 cosine, batch 256; alpha 2, l = 3, eta = 0.1 on large data sets, SAMix A.5.3;
# docs/methods.md#supervised-samix-and-automix).
_base_ = [
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256_coslr.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

model = dict(
    type='SAMixClassifier',
    backbone=dict(type='ResNet', depth=50),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048, loss=dict(type='CrossEntropyLoss')),
    mixer=dict(type='SAMixMixer', in_channels=1024),
    mixer_stage=2,
    momentum=0.001,  # m = 0.999
    alpha=2.0,
    eta=0.1,
    mask_loss_weight=0.1,
    loss_local=dict(type='PairwiseBCELoss'),
    loss_global=dict(type='MixupSoftCrossEntropyLoss'))

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'mixer': dict(decay_mult=0.0)}))
custom_hooks = [
    dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0, curve='linear'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.999, end=1.0, curve='cosine'),
    dict(type='ModuleLrScheduleHook', module='mixer'),  # the Mixer keeps its initial lr (own schedule)
    dict(type='RNGStateHook'),
]
randomness = dict(seed=0, diff_rank_seed=True)
