# AMix-I, ResNet-50, ImageNet-1k, MoCo v2 200 epochs (AMix: "Improving Discriminative Visual Representation Learning
# via Automatic Mixup", anonymous ICLR 2022 submission, no arXiv id, sec. 3.3, 4.2;
# docs/methods.md#samix-i-and-samix-c): the SAMix-I machinery with AMix's Mixer objective L_BCE + L_infoNCE
# (unweighted: eta = 1).
_base_ = '../samix_r50_in1k.py'

model = dict(mixer_local_loss='bce', mixer_global_loss='infonce', eta=1.0)
