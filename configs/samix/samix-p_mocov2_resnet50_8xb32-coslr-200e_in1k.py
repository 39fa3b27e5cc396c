# SAMix^P for MoCo v2, ResNet-50, ImageNet-1k, 200 epochs (004_efcde85b9ca00546.txt sec. 3.2, 4.2): a SAMix-I
# Mixer pre-trained once on IN-1k with ResNet-50 generates the mixtures frozen: no Mixer loss, no backward
# through it. Train it with pretrained_mixer_from and export it:
#   tools/dist_train.sh configs/samix_r50_in1k.py 8
#   python tools/model_converters/export_mixer.py work_dirs/samix_r50_in1k/epoch_100.pth \
#       work_dirs/pretrained_mixers/samix-i_r50_in1k_mixer.pth
_base_ = '../samix_r50_in1k.py'

pretrained_mixer = 'work_dirs/pretrained_mixers/samix-i_r50_in1k_mixer.pth'
pretrained_mixer_from = 'configs/samix_r50_in1k.py'  # the config it was trained by
# The mixtures replace the clean queries (clean_loss_weight=0): one online forward per step, as a single mixup
# augmentation of a CL baseline (004 A.4), instead of SAMix-I's clean + mixed forwards.
model = dict(
    mixer=None,
    mix_policy=dict(type='PretrainedMixerPolicy', checkpoint=pretrained_mixer, alpha=2.0),
    clean_loss_weight=0.0)
custom_hooks = [
    dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.999, end=1.0, curve='cosine'),
    dict(type='RNGStateHook'),
]
