# Supervised SAMix, ResNet-50, ImageNet-1k, 300 epochs (Li et al., "Boosting Discriminative Visual Representation
# Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, sec. 4.1): the 100-epoch recipe on a 300-epoch
# cosine schedule.
_base_ = './samix_resnet50_8xb32-coslr-100e_in1k.py'

param_scheduler = dict(T_max=300, end=300)
train_cfg = dict(max_epochs=300)
