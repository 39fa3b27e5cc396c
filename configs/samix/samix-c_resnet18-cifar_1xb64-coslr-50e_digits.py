# SAMix-C on the embedded digits, CPU-sized (Li et al., "Boosting Discriminative Visual Representation Learning with
# Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3.1, A.4; docs/methods.md#samix-i-and-samix-c): SAMix-I with
# pseudo labels from an ODC-style clustering of a key memory over the 1,438 training images; Mixer loss pBCE + eta *
# mixup CE through a cluster head. C = 20 here (10 digit classes, 1,438 images; the papers' C = 200 is for 100k-image
# sets), centroids refreshed every 11 steps (two per epoch).
_base_ = './samix-i_resnet18-cifar_1xb64-coslr-50e_digits.py'

model = dict(
    loss_local=dict(type='PairwiseBCELoss'),
    loss_global=dict(type='MixupSoftCrossEntropyLoss'),
    clustering=dict(num_samples=1438, num_clusters=20, momentum=0.5, update_interval=11),
    cluster_head=dict(type='ClusterHead', loss_weight=1.0))
# ODC's start: k-means of the keys of the whole training set before the first iteration (not sample_idx % C).
custom_hooks = [
    dict(type='ClusterMemoryInitHook', num_iters=20),
    {{_base_.knn_hook}},
    dict(type='RNGStateHook'),
    dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0, curve='linear'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.99, end=1.0, curve='cosine'),
]
