# AMix-I, ResNet-50, ImageNet-1k, MoCo v2 200 epochs (AMix: "Improving Discriminative Visual Representation Learning
# via Automatic Mixup", anonymous ICLR 2022 submission, no arXiv id, sec. 3.3, 4.2;
# docs/methods.md#samix-i-and-samix-c): the SAMix-I machinery with AMix's Mixer objective L_BCE + L_infoNCE
# (unweighted: eta = 1).
_base_ = 'samix-i_resnet50_8xb32-coslr-200e_in1k.py'

model = dict(loss_local=dict(type='InstanceBCELoss'), loss_global=dict(type='MixupInfoNCELoss'), eta=1.0)
