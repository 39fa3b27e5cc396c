# Supervised AutoMix, ResNet-50, ImageNet-1k, 100 epochs (001_3cc5f7e0294eb80a.txt sec. 4.1 baseline; spec
# methods.md sec. 4 item 7): the SAMix recipe with AutoMix's MixBlock and its objective, mixup CE + mean mask
# loss.
_base_ = '../samix/samix_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(mixer=dict(_delete_=True, type='AutoMixBlock', in_channels=1024), loss_local=None, eta=1.0)
