# Supervised AutoMix, ResNet-18 (CIFAR stem), Tiny-ImageNet, 400 epochs: the SAMix Tiny-ImageNet recipe with
# AutoMix's MixBlock and objective.
_base_ = '../samix/samix_resnet18-cifar_1xb100-coslr-400e_tiny-imagenet.py'

model = dict(mixer=dict(_delete_=True, type='AutoMixBlock', in_channels=256), loss_local=None, eta=1.0)
