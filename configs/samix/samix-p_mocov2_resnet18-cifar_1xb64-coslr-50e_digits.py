# SAMix^P for MoCo v2 on the embedded digits, CPU-sized (Li et al., "Boosting Discriminative Visual Representation
# Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3.2; docs/methods.md#pre-trained-mixer-samixp):
# the MoCo v2 digits recipe of SAMix-I (model, data, schedule, m 0.99 -> 1) with the Mixer of a finished SAMix-I run
# loaded frozen as the mixing policy (no Mixer loss, no backward through it). tools/make_results.py exports the Mixer
# file, if missing, from its run of pretrained_mixer_from; by hand:
#   python tools/model_converters/export_mixer.py work_dirs/samix-i_digits/epoch_8.pth \
#       work_dirs/pretrained_mixers/samix-i_r18-cifar_digits_mixer.pth --allow-unsafe-pickle
_base_ = '../demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'

pretrained_mixer = 'work_dirs/pretrained_mixers/samix-i_r18-cifar_digits_mixer.pth'
pretrained_mixer_from = 'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-50e_digits.py'  # the config it was trained by
# Online loss: SAMix-I's, clean MoCo infoNCE + mixup infoNCE of the Mixer's mixtures (clean_loss_weight=1,
# mix_loss_weight=1). SAMix^P only replaces the online-trained Mixer by a pre-trained frozen one (SAMix sec. 3.2,
# "Pre-trained pipeline v.s. Online pipeline"); the online networks keep the SAMix objective of step (3) of the
# online pipeline (SAMix A.2), as OpenMixup's MoCo mixup models weight both terms 1. ("only use the single Mixup
# augmentation" in SAMix A.4 means one mixing policy per method, not that the clean term is dropped.)
# Option: clean_loss_weight=0.0 -- the mixtures replace the clean queries, one online forward per step instead of
# two (cheaper, not the paper's loss; docs/methods.md#pre-trained-mixer-samixp).
model = dict(
    type='SAMixPMoCo',
    mix_policy=dict(type='PretrainedMixerPolicy', checkpoint=pretrained_mixer, alpha=2.0),
    clean_loss_weight=1.0)
custom_hooks = [
    {{_base_.knn_hook}},
    dict(type='RNGStateHook'),
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.99, end=1.0, curve='cosine'),
]
# each rank draws its own lam and pairings (docs/methods.md#notation-and-conventions)
randomness = dict(seed=0, diff_rank_seed=True)
