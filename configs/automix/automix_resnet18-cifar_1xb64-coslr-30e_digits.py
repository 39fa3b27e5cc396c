# Supervised AutoMix on the embedded digits, CPU-sized (Liu et al., "AutoMix: Unveiling the Power of Mixup for
# Stronger Classifiers", ECCV 2022, arXiv:2103.13027; docs/methods.md#supervised-samix-and-automix): the SAMix digits
# recipe with AutoMix's MixBlock (lam concatenated, cross attention, linear content, nearest upsampling, mean mask
# loss only, no lam adjusting) and AutoMix's Mixer objective: mixup CE only (no local term, eta = 1).
_base_ = '../samix/samix_resnet18-cifar_1xb64-coslr-30e_digits.py'

model = dict(mixer=dict(_delete_=True, type='AutoMixBlock', in_channels=64), loss_local=None, eta=1.0)
