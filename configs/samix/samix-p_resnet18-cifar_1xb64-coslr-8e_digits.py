# SAMix^P on the embedded digits, CPU-sized: the vanilla digits classifier with a frozen pre-trained Mixer as
# its batch augment. Train the supervised digits SAMix first and export its Mixer:
#   python tools/train.py configs/samix/samix_resnet18-cifar_1xb64-coslr-8e_digits.py \
#       --work-dir work_dirs/samix_digits
#   python tools/model_converters/export_mixer.py work_dirs/samix_digits/epoch_8.pth \
#       work_dirs/pretrained_mixers/samix_r18-cifar_digits_mixer.pth
_base_ = './resnet18-cifar_1xb64-coslr-8e_digits.py'

pretrained_mixer = 'work_dirs/pretrained_mixers/samix_r18-cifar_digits_mixer.pth'
model = dict(
    head=dict(loss=dict(type='CrossEntropyLoss', use_soft=True)),
    train_cfg=dict(augments=dict(type='PretrainedMixer', checkpoint=pretrained_mixer, alpha=2.0)))
