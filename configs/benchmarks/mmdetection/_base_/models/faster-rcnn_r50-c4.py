# Faster R-CNN R50-C4 for transferring a self-supervised / supervised ResNet-50 (MoCo's Detectron2 protocol; BSIM: Chu
# et al., "A Unified Mixture-View Framework for Unsupervised Representation Learning", 2022, arXiv:2011.13356,
# supplementary sec. 3.3; docs/methods.md#transfer-and-evaluation-protocol), on mmdet's caffe C4 model base:
# - SyncBN in the backbone and in the shared head, all stages trainable (frozen_stages=-1,
#   norm_eval=False). SyncBN needs a torch.distributed process group: single-process / CPU runs override
#   model.backbone.norm_cfg and model.roi_head.shared_head.norm_cfg to dict(type='BN', requires_grad=True);
# - 'pytorch' ResNet style and PyTorch (RGB, ImageNet mean/std) normalisation, matching the pre-training;
# - shared head = ResNet stage 5 (`layer4.*`, the key names of the ResNet checkpoint) + an extra norm
#   (`ResLayerExtraNorm`, mmselfsup's module, which mmpretrain 1.2 registers into mmdet's MODELS);
# - backbone AND shared head initialised from `pretrained`, a backbone checkpoint with ResNet key names
#   (tools/model_converters/extract_backbone_weights.py). The backbone (num_stages=3) takes
#   conv1/bn1/layer1-3 and ignores layer4; the shared head takes layer4 and ignores the rest; only its
#   `norm.*` is not in the checkpoint. Override both from the command line (the launch scripts
#   tools/benchmarks/mmdetection/*.sh do this): --cfg-options model.backbone.init_cfg.checkpoint=PATH
#   model.roi_head.shared_head.init_cfg.checkpoint=PATH
#   C4PretrainedCheckHook (mixplugins.det) checks before training that both checkpoints hold every tensor of
#   their module (a full training checkpoint without prefix='backbone.' would load nothing, silently).
_base_ = 'mmdet::_base_/models/faster-rcnn_r50-caffe-c4.py'
custom_imports = dict(
    imports=['mixplugins.det', 'mmpretrain.models.utils.res_layer_extra_norm'], allow_failed_imports=False)

# Default: torchvision's supervised ImageNet ResNet-50 (the "supervised" row of the transfer tables).
pretrained = 'torchvision://resnet50'
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    roi_head=dict(
        shared_head=dict(
            type='ResLayerExtraNorm',
            norm_cfg=norm_cfg,
            norm_eval=False,
            style='pytorch',
            init_cfg=dict(type='Pretrained', checkpoint=pretrained))))
custom_hooks = [dict(type='C4PretrainedCheckHook')]
