# byol-BSIM on the embedded digits, CPU-sized: the 120-epoch BYOL digits config with the mixtures of the first
# views (Mixup, lam ~ Beta(1, 1), j = N-1-i) in place of them (BSIM: Chu et al., "A Unified Mixture-View Framework for
# Unsupervised Representation Learning", 2022, arXiv:2011.13356; docs/methods.md#bsim-and-wbsim).
# Mixup, the paper's option, instead of its default CutMix: on these small scattered digits a CutMix box often
# holds the whole digit or none of it while the target splits by area, and BSIM MoCo v2 with CutMix did not learn
# (kNN 58.8% against 78.8% with Mixup, seed 0, the same recipe otherwise; docs/digits_recipes.md).
_base_ = './byol_resnet18-cifar_1xb16-coslr-120e_digits.py'

model = dict(
    type='BSIMBYOL',
    mix_policy=dict(type='MixupPolicy', alpha=1.0),
    pairing='flip',
    w_bsim=1.0,
    w_sim=0.0)
randomness = dict(seed=0, diff_rank_seed=True)
