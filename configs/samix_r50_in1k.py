# SAMix-I, ResNet-50, ImageNet-1k, MoCo v2 200 epochs, 8 GPUs x 32 images (Li et al., "Boosting Discriminative
# Visual Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454;
# docs/methods.md#samix-and-amix): the entry point of the SAMix pipeline. The recipe and its reasons are in
# configs/samix/samix-i_resnet50_8xb32-coslr-200e_in1k.py, which the SAMix-C, AMix-I and SAMix^P ImageNet configs
# also inherit.
#   mim train mmpretrain configs/samix_r50_in1k.py --launcher pytorch --gpus 8
_base_ = 'samix/samix-i_resnet50_8xb32-coslr-200e_in1k.py'
