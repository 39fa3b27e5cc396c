# Mask R-CNN R50-C4 transfer benchmark on COCO with the real 2x schedule of the papers (BSIM: Chu et al., "A Unified
# Mixture-View Framework for Unsupervised Representation Learning", 2022, arXiv:2011.13356, supplementary sec. 3.3;
# docs/methods.md#transfer-and-evaluation-protocol): 24 epochs, lr x0.1 at epochs 16 and 22 (everything else: the 1x
# config). mmselfsup's "2x" config trained 12 epochs; this one trains 24.
_base_ = './mask-rcnn_r50-c4_ms-1x_coco.py'
max_epochs = 24
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[16, 22], gamma=0.1),
]
