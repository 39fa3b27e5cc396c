# SAMix-I, ResNet-50, ImageNet-1k, MoCo v2 200-epoch settings, 8 GPUs x 32 images
# (Li et al., "Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021,
# arXiv:2111.15454, sec. 4.2, A.2, A.4; docs/methods.md#samix-i-and-samix-c).
#   mim train mmpretrain configs/samix_r50_in1k.py --launcher pytorch --gpus 8   (the entry point: this recipe)
# Upstream MoCo v2 recipe (model, queue 65536, t = 0.2, SGD lr 0.03 cosine, 200 epochs; its arguments kept) plus
# the online Mixer on the momentum encoder's stage 3 (l = 3: 1024 x 14 x 14 at 224 px), lam ~ Beta(2, 2),
# eta = 0.5, beta 0.1 -> 0 linear, momentum m = 1 - model.momentum = 0.999 -> 1 cosine. The Mixer is trained by
# the same SGD in its own parameter group (no weight decay); its loss reaches only the Mixer (frozen momentum
# encoder), the online loss only the network.
_base_ = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

model = dict(
    type='SAMixMoCo',
    mixer=dict(type='SAMixMixer', in_channels=1024),
    mixer_stage=2,  # paper l = 3
    alpha=2.0,
    pairing='random',
    mix_loss_weight=1.0,
    eta=0.5,
    mask_loss_weight=0.1,
    loss_local=dict(type='InstanceBCELoss'),  # temperature: the head's
    loss_global=dict(type='MixupInfoNCELoss'))

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'mixer': dict(decay_mult=0.0)}))

custom_hooks = [
    dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0, curve='linear'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.999, end=1.0, curve='cosine'),
    dict(type='RNGStateHook'),
]
randomness = dict(seed=0, diff_rank_seed=True)
