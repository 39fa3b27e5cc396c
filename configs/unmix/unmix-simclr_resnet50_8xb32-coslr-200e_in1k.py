# Un-Mix simclr (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised Visual Representation Learning",
# AAAI 2022, arXiv:2003.05438; docs/methods.md#un-mix) on ImageNet-1k with ResNet-50: mmpretrain's simclr recipe
# unchanged plus the self-mixture terms; P = 0 (CutMix only) on ImageNet (Un-Mix, sec. 5.3), lam ~ Beta(1, 1), flip
# pairing.
_base_ = ['mmpretrain::simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py', '../_base_/unmix_policy.py']

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

# P = 0 on ImageNet: CutMix only
model = dict(type='UnMixSimCLR', mix_policy=dict(_base_.unmix_policy, probs=[0.0, 1.0]), pairing='flip')
randomness = dict(seed=0, diff_rank_seed=True)
