# SAMix-I, ResNet-50, ImageNet-1k, MoCo v2 200-epoch settings, 8 GPUs x 32 images (Li et al., "Boosting Discriminative
# Visual Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 4.2, A.2, A.4;
# docs/methods.md#samix-and-amix).
#   mim train mmpretrain configs/samix_r50_in1k.py --launcher pytorch --gpus 8
# Upstream MoCo v2 recipe (queue 65536, t = 0.2, SGD lr 0.03 cosine, 200 epochs) plus the online Mixer on the
# momentum encoder's stage 3 (l = 3: 1024 x 14 x 14 at 224 px), lam ~ Beta(2, 2), eta = 0.5, beta 0.1 -> 0
# linear, momentum m 0.999 -> 1 cosine. The Mixer is trained by the same SGD in its own parameter group (no
# weight decay); its loss reaches only the Mixer (frozen momentum encoder), the online loss only the network.
_base_ = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='SAMixMoCo',
    queue_len=65536,
    feat_dim=128,
    momentum_coefficient=0.999,
    backbone=dict(type='ResNet', depth=50, norm_cfg=dict(type='BN'), zero_init_residual=False),
    neck=dict(type='MoCoV2Neck', in_channels=2048, hid_channels=2048, out_channels=128, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
    mixer=dict(type='SAMixMixer', in_channels=1024),
    mixer_stage=2,  # paper l = 3
    alpha=2.0,
    pairing='random',
    mix_loss_weight=1.0,
    eta=0.5,
    mask_loss_weight=0.1,
    mixer_local_loss='bce',
    mixer_global_loss='infonce')

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'mixer': dict(decay_mult=0.0)}))

custom_hooks = [
    dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0, curve='linear'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.999, end=1.0, curve='cosine'),
    dict(type='RNGStateHook'),
]
randomness = dict(seed=0, diff_rank_seed=True)
