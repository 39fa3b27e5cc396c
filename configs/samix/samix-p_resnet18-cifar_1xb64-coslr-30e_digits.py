# SAMix^P on the embedded digits, CPU-sized: the vanilla digits classifier with a frozen pre-trained Mixer as
# its batch augment. tools/make_results.py exports the Mixer file, if missing, from its run of
# pretrained_mixer_from (the supervised digits SAMix); by hand:
#   python tools/train.py configs/samix/samix_resnet18-cifar_1xb64-coslr-30e_digits.py \
#       --work-dir work_dirs/samix_digits
#   python tools/model_converters/export_mixer.py work_dirs/samix_digits/epoch_8.pth \
#       work_dirs/pretrained_mixers/samix_r18-cifar_digits_mixer.pth --allow-unsafe-pickle
_base_ = './resnet18-cifar_1xb64-coslr-30e_digits.py'

pretrained_mixer = 'work_dirs/pretrained_mixers/samix_r18-cifar_digits_mixer.pth'
pretrained_mixer_from = 'configs/samix/samix_resnet18-cifar_1xb64-coslr-30e_digits.py'  # the config it was trained by
model = dict(
    head=dict(loss=dict(type='CrossEntropyLoss', use_soft=True)),
    train_cfg=dict(augments=dict(type='PretrainedMixer', checkpoint=pretrained_mixer, alpha=2.0)))
