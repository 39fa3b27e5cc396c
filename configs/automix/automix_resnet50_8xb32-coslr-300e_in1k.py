# Supervised AutoMix, ResNet-50, ImageNet-1k, 300 epochs.
_base_ = './automix_resnet50_8xb32-coslr-100e_in1k.py'

param_scheduler = dict(T_max=300, end=300)
train_cfg = dict(max_epochs=300)
