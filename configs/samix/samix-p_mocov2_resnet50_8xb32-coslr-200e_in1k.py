# SAMix^P for MoCo v2, ResNet-50, ImageNet-1k, 200 epochs (Li et al., "Boosting Discriminative Visual Representation
# Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3.2, 4.2): the upstream MoCo v2 recipe of
# SAMix-I (m 0.999 -> 1) where a SAMix-I Mixer pre-trained once on IN-1k with ResNet-50 generates the mixtures
# frozen: no Mixer loss, no backward through it. Train it with pretrained_mixer_from and export it:
#   tools/dist_train.sh configs/samix_r50_in1k.py 8
#   python tools/model_converters/export_mixer.py work_dirs/samix_r50_in1k/epoch_100.pth \
#       work_dirs/pretrained_mixers/samix-i_r50_in1k_mixer.pth --allow-unsafe-pickle
_base_ = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

pretrained_mixer = 'work_dirs/pretrained_mixers/samix-i_r50_in1k_mixer.pth'
pretrained_mixer_from = 'configs/samix_r50_in1k.py'  # the config it was trained by
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
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.999, end=1.0, curve='cosine'),
    dict(type='RNGStateHook'),
]
randomness = dict(seed=0, diff_rank_seed=True)
