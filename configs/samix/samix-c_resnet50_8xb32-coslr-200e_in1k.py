# SAMix-C, ResNet-50, ImageNet-1k, MoCo v2 200 epochs, 8 x 32 (Li et al., "Boosting Discriminative Visual
# Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3.1, A.4;
# docs/methods.md#samix-i-and-samix-c): SAMix-I plus ODC-style online clustering of a memory of momentum keys over the
# 1,281,167 training images, C = 200 clusters (SAMix, sec. 4.3), Mixer loss pBCE + eta * mixup CE on the pseudo labels
# through a cluster head trained on the keys. Memory: 1,281,167 x 128 floats (0.66 GB) per process.
_base_ = 'samix-i_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(
    loss_local=dict(type='PairwiseBCELoss'),
    loss_global=dict(type='MixupSoftCrossEntropyLoss'),
    clustering=dict(num_samples=1281167, num_clusters=200, momentum=0.5, update_interval=500),
    cluster_head=dict(type='ClusterHead', loss_weight=1.0))
# ODC's start: k-means of the keys of the whole training set before the first iteration (one no-grad pass of
# the momentum encoder, gathered over the ranks), not sample_idx % C.
custom_hooks = [
    dict(type='ClusterMemoryInitHook', num_iters=20),
    dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0, curve='linear'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.999, end=1.0, curve='cosine'),
    dict(type='RNGStateHook'),
]
