# Supervised SAMix on the embedded digits, CPU-sized (Li et al., "Boosting Discriminative Visual Representation
# Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3.1, A.2;
# docs/methods.md#supervised-samix-and-automix): the vanilla digits recipe with a momentum copy feeding a Mixer (stage
# 3, 64 channels), online loss CE + mixup CE on Mixer mixtures, Mixer loss pBCE + eta * mixup CE (eta = 0.5, small
# data set) + beta L_mask; the EMA model is the one evaluated. m from 0.9 to 1, cosine: the evaluated EMA copy keeps a
# share exp(-T (1 - m0) / 2) of its random init after T steps, 71% with m0 = 0.99 over 3 CPU epochs (69 steps), 3%
# with 0.9; beta 0.1 -> 0, linear.
_base_ = './resnet18-cifar_1xb64-coslr-30e_digits.py'

model = dict(
    type='SAMixClassifier',  # the vanilla digits backbone, neck and head
    mixer=dict(type='SAMixMixer', in_channels=64),
    mixer_stage=2,
    momentum=0.1,  # m = 0.9
    alpha=2.0,
    eta=0.5,
    mask_loss_weight=0.1,
    loss_local=dict(type='PairwiseBCELoss'),
    loss_global=dict(type='MixupSoftCrossEntropyLoss'))

optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'mixer': dict(decay_mult=0.0)}))
custom_hooks = [
    dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0, curve='linear'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.9, end=1.0, curve='cosine'),
    dict(type='ModuleLrScheduleHook', module='mixer'),  # the Mixer keeps its initial lr (own schedule)
    dict(type='RNGStateHook'),
]
