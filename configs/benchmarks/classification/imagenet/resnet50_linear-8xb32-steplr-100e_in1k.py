# Linear classification on ImageNet-1k (MoCo protocol; BSIM: Chu et al., "A Unified Mixture-View Framework for
# Unsupervised Representation Learning", 2022, arXiv:2011.13356, supplementary sec. 3.2; Un-Mix: Shen et al., AAAI
# 2022, arXiv:2003.05438, appendix A; docs/methods.md#transfer-and-evaluation-protocol): frozen ResNet-50 (stem and
# all 4 stages, BN in eval mode), global average pooling, one linear layer; SGD momentum 0.9, lr 30, weight decay 0,
# batch 256 (8 x 32), 100 epochs, lr x0.1 at epochs 60 and 80. All of it is upstream mmpretrain's MoCo v2 linear
# benchmark; this file adds the checked loading of mixplugins backbones.
#
# Backbone weights (docs/evaluation.md):
#   full mixplugins checkpoint:  --cfg-options model.backbone.init_cfg.checkpoint=work_dirs/x/epoch_200.pth
#   extracted backbone:          --cfg-options model.backbone.init_cfg.checkpoint=backbone.pth \
#                                              model.backbone.init_cfg.prefix=None
# BackboneCheckpointHook stops the run before training if the file is missing or does not hold the backbone.
_base_ = 'mmpretrain::mocov2/benchmarks/resnet50_8xb32-linear-steplr-100e_in1k.py'

custom_imports = dict(imports=['mixplugins', 'mixplugins.engine.hooks.backbone_checkpoint_hook'],
                      allow_failed_imports=False)

model = dict(
    backbone=dict(frozen_stages=4, init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')))
custom_hooks = [dict(type='BackboneCheckpointHook')]
