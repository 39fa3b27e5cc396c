# Linear classification on a small data set (CIFAR-10; lr 0.1 on small data sets,
# docs/methods.md#transfer-and-evaluation-protocol): frozen CIFAR ResNet-18 (stem and all 4 stages), global
# average pooling, one linear layer; SGD momentum 0.9, lr 0.1,
# weight decay 0, batch 256, 100 epochs, lr x0.1 at epochs 60 and 80 (mmpretrain's step schedule).
# Backbone weights: as in ../imagenet/resnet50_linear-8xb32-steplr-100e_in1k.py (docs/evaluation.md).
_base_ = [
    'mmpretrain::_base_/models/resnet18_cifar.py',
    'mmpretrain::_base_/datasets/cifar10_bs16.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_steplr_100e.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mixplugins', 'mixplugins.engine.hooks.backbone_checkpoint_hook'],
                      allow_failed_imports=False)

model = dict(
    backbone=dict(frozen_stages=4, init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')))
train_dataloader = dict(batch_size=256)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.1, weight_decay=0.))

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))
custom_hooks = [dict(type='BackboneCheckpointHook')]
