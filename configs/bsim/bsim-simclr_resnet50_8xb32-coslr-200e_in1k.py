# simclr-BSIM (BSIM: Chu et al., "A Unified Mixture-View Framework for Unsupervised Representation Learning", 2022,
# arXiv:2011.13356; docs/methods.md#bsim-and-wbsim) on ImageNet-1k with ResNet-50: mmpretrain's simclr recipe
# unchanged; the mixtures of the first views (CutMix, lam ~ Beta(1, 1), j = N-1-i) replace them.
_base_ = 'mmpretrain::simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

model = dict(
    type='BSIMSimCLR',
    mix_policy=dict(type='CutMixPolicy', alpha=1.0),
    pairing='flip',
    w_bsim=1.0,
    w_sim=0.0)
# one seed per process: every process pairs its local batch and draws its own lam
# (BSIM supplementary, sec. 3.4; docs/methods.md#notation-and-conventions)
randomness = dict(seed=0, diff_rank_seed=True)
