# AMix-C, ResNet-50, ImageNet-1k, MoCo v2 200 epochs (AMix: "Improving Discriminative Visual Representation Learning
# via Automatic Mixup", anonymous ICLR 2022 submission, no arXiv id, sec. 3.3, 4.2;
# docs/methods.md#samix-i-and-samix-c): the SAMix-C machinery (ODC pseudo labels, K = 200) with AMix's Mixer objective
# L_CE + L_BCE (instance BCE, mixup CE on pseudo labels, eta = 1).
_base_ = './samix-c_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(loss_local=dict(type='InstanceBCELoss'), loss_global=dict(type='MixupSoftCrossEntropyLoss'), eta=1.0)
