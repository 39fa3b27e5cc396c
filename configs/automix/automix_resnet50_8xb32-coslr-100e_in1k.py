# Supervised AutoMix, ResNet-50, ImageNet-1k, 100 epochs (Liu et al., "AutoMix: Unveiling the Power of Mixup for
# Stronger Classifiers", ECCV 2022, arXiv:2103.13027; the baseline of AMix, sec. 4.1: "Improving Discriminative Visual
# Representation Learning via Automatic Mixup", anonymous ICLR 2022 submission, no arXiv id; docs/methods.md#mixer):
# the SAMix recipe with AutoMix's MixBlock and its objective, mixup CE + mean mask loss.
_base_ = '../samix/samix_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(mixer=dict(_delete_=True, type='AutoMixBlock', in_channels=1024), loss_local=None, eta=1.0)
