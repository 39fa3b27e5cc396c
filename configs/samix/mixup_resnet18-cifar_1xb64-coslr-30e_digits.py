# Mixup (alpha = 1) supervised baseline on the embedded digits: the vanilla digits recipe with mmpretrain's
# Mixup batch augment.
_base_ = './resnet18-cifar_1xb64-coslr-30e_digits.py'

model = dict(train_cfg=dict(augments=dict(type='Mixup', alpha=1.0)))
