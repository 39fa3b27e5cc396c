# Linear classification on the embedded digits (CPU-sized; used by tools/make_results.py): the small-data protocol
# (docs/methods.md#transfer-and-evaluation-protocol) shortened to 5 epochs (the frozen forward passes cost as much as
# a short pretraining run; tools/make_results.py runs this probe for every row) — frozen CIFAR ResNet-18 (the demo's
# MoCo v2 backbone; stem and all 4 stages, BN in eval mode), global average pooling, one linear layer; SGD momentum
# 0.9, lr 0.1, weight decay 0, batch 64, lr x0.1 at 60% and 80% of training (epochs 3 and 4), top-1 on the 359 val
# digits. The pooled features are standardised by a parameter-free BatchNorm before the linear layer (MAE's
# linear-probe neck, mmpretrain's ClsBatchNormNeck): still a linear classifier of the frozen features, but one lr fits
# every method (pooled features of different pretrainings differ in scale by orders of magnitude; MoCo's lr 30 on
# ImageNet is the same issue).
# Backbone weights: as in ../imagenet/resnet50_linear-8xb32-steplr-100e_in1k.py (docs/evaluation.md), e.g.
#   python tools/train.py THIS_FILE --cfg-options \
#       model.backbone.init_cfg.checkpoint=work_dirs/demo/epoch_8.pth
_base_ = [
    '../../../_base_/datasets/digits_bs64.py',
    'mmpretrain::_base_/models/resnet18_cifar.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_steplr_100e.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mixplugins', 'mixplugins.engine.hooks.backbone_checkpoint_hook'],
                      allow_failed_imports=False)

max_epochs = 5

feat_dim = 512
model = dict(backbone=dict(norm_cfg=dict(type='BN'),
                           frozen_stages=4,
                           init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
             neck=[dict(type='GlobalAveragePooling'), dict(type='ClsBatchNormNeck', input_features=feat_dim)],
             head=dict(in_channels=feat_dim))
optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=0.))
param_scheduler = [
    dict(type='MultiStepLR',
         by_epoch=True,
         milestones=[int(0.6 * max_epochs), int(0.8 * max_epochs)],
         gamma=0.1)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)

default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook', interval=max_epochs, max_keep_ckpts=1))
custom_hooks = [dict(type='BackboneCheckpointHook')]
randomness = dict(seed=0)
