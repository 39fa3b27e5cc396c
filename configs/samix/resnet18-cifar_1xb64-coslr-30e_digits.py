# Vanilla supervised ResNet_CIFAR-18 on the embedded digits, CPU-sized: the base recipe of the supervised Mixup /
# CutMix / AutoMix / SAMix / SAMix^P comparison in docs/results_samix.md (same data, model and schedule). The
# width-16 network of the self-supervised digits recipes; 30 epochs (690 steps), because the rows that train on
# mixtures only need them: CutMix reaches 87.2% val top-1 after 15 epochs and 99.2% after 30 (seed 0;
# docs/digits_recipes.md), vanilla 98.9% after 15.
_base_ = ['../_base_/datasets/digits_bs64.py', 'mmpretrain::_base_/default_runtime.py']

max_epochs = 30
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=16, base_channels=16, norm_cfg=dict(type='BN')),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=128, loss=dict(type='CrossEntropyLoss')))

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(logger=dict(type='LoggerHook', interval=5),
                     checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2))
custom_hooks = [dict(type='RNGStateHook')]
# each rank draws its own mixing (docs/methods.md#notation-and-conventions)
randomness = dict(seed=0, diff_rank_seed=True)
