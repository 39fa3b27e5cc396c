# Un-Mix byol on the embedded digits, CPU-sized (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised
# Visual Representation Learning", AAAI 2022, arXiv:2003.05438; docs/methods.md#un-mix): the 120-epoch BYOL digits
# config plus the self-mixture terms; P = 0.5 on small data sets (Un-Mix, sec. 5.3), lam ~ Beta(1, 1).
_base_ = ['../bsim/byol_resnet18-cifar_1xb16-coslr-120e_digits.py', '../_base_/unmix_policy.py']

model = dict(type='UnMixBYOL', mix_policy=_base_.unmix_policy, pairing='flip')  # P = 0.5
randomness = dict(seed=0, diff_rank_seed=True)
