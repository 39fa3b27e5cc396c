# Supervised SAMix, ResNet-18, ImageNet-1k, 100 epochs, 8 x 32: the run whose Mixer SAMix^P
# (./samix-p_resnet50_8xb32-coslr-100e_in1k.py) loads frozen (Li et al., "Boosting Discriminative Visual
# Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 3.2, 4.1: the Mixer is
# pre-trained once with ResNet-18). Same recipe as ./samix_resnet50_8xb32-coslr-100e_in1k.py; the
# Mixer reads ResNet-18's stage 3 (l = 3: 256 x 14 x 14 at 224 px).
_base_ = './samix_resnet50_8xb32-coslr-100e_in1k.py'

model = dict(
    backbone=dict(depth=18),
    head=dict(in_channels=512),
    mixer=dict(in_channels=256))
