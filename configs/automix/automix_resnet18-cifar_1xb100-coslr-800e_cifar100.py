# Supervised AutoMix, ResNet-18 (CIFAR stem), CIFAR-100, 800 epochs: the SAMix CIFAR-100 recipe with AutoMix's
# MixBlock and objective (mixup CE + mean mask loss).
_base_ = '../samix/samix_resnet18-cifar_1xb100-coslr-800e_cifar100.py'

model = dict(mixer=dict(_delete_=True, type='AutoMixBlock', in_channels=256), loss_local=None, eta=1.0)
