# Semi-supervised ImageNet-1k classification (BSIM: Chu et al., "A Unified Mixture-View Framework for Unsupervised
# Representation Learning", 2022, arXiv:2011.13356, supplementary sec. 3.2;
# docs/methods.md#transfer-and-evaluation-protocol): fine-tune the whole pretrained ResNet-50 and a new linear head on
# the 10% label split; SGD momentum 0.9, lr 0.01, batch 256 (8 x 32), 20 epochs, lr x0.2 at epochs 12 and 16. Weight
# decay 5e-4 (not stated in the paper; the value of OpenSelfSup's semi-supervised benchmark that the paper follows).
# Validation on the full ImageNet val set.
#
# Label split: an mmpretrain annotation file, one labelled image per line, "<path under train/> <class
# index>", e.g. "n01440764/n01440764_10026.JPEG 0" (format and how to make it from the SimCLR split lists:
# docs/evaluation.md). Backbone weights: as in resnet50_linear-8xb32-steplr-100e_in1k.py.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    'mmpretrain::_base_/datasets/imagenet_bs32_pil_resize.py',
    'mmpretrain::_base_/default_runtime.py',
]

custom_imports = dict(imports=['mixplugins', 'mixplugins.engine.hooks.backbone_checkpoint_hook'],
                      allow_failed_imports=False)

label_split_file = 'meta/train_10percent.txt'

model = dict(
    backbone=dict(frozen_stages=-1, init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')))
train_dataloader = dict(dataset=dict(split='train', ann_file=label_split_file))

optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[12, 16], gamma=0.2)]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
custom_hooks = [dict(type='BackboneCheckpointHook')]
