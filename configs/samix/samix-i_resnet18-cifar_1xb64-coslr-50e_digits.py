# SAMix-I on the embedded digits, CPU-sized (Li et al., "Boosting Discriminative Visual Representation Learning with
# Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3, A.2; docs/methods.md#samix-and-amix): the MoCo v2 digits
# recipe (model, data, schedule) plus an online Mixer fed by the momentum encoder's stage 3 (the width-16
# ResNet_CIFAR-18: 64 x 6 x 6 at 24 px), two (lam, pairing) draws per step, lam ~ Beta(2, 2), eta = 0.5 (all SSL runs,
# SAMix A.5.3). Differences from the ImageNet recipe, for a few CPU minutes: queue 1024 and momentum m from 0.99 (not
# 0.999: with ~1,100 steps a 0.999 key encoder would barely move) to 1 on a cosine.
_base_ = '../demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'

model = dict(
    type='SAMixMoCo',  # the MoCo v2 digits model and its arguments (queue 1024, momentum 0.01: m = 0.99)
    mixer=dict(type='SAMixMixer', in_channels=64),
    mixer_stage=2,  # paper l = 3
    alpha=2.0,
    pairing='random',
    eta=0.5,
    mask_loss_weight=0.1,
    loss_local=dict(type='InstanceBCELoss'),  # temperature: the head's
    loss_global=dict(type='MixupInfoNCELoss'))

# The Mixer is trained by the same optimizer in its own parameter group: no weight decay, base lr.
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'mixer': dict(decay_mult=0.0)}))

# beta 0.1 -> 0 linearly, m 0.99 -> 1 on a cosine curve (SAMix A.2); both set from the progress, resume-safe.
samix_hooks = [
    dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0, curve='linear'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.99, end=1.0, curve='cosine'),
]
custom_hooks = [{{_base_.knn_hook}}, dict(type='RNGStateHook')] + samix_hooks
# each rank draws its own lam and pairings (docs/methods.md#notation-and-conventions)
randomness = dict(seed=0, diff_rank_seed=True)
