# byol-BSIM on the embedded digits, CPU-sized: the upstream byol digits config with the mixtures of the first
# views (CutMix, lam ~ Beta(1, 1), j = N-1-i) in place of them (000_9be933358e97b3b9.txt, spec methods.md sec.
# 3).
_base_ = './byol_resnet18-cifar_1xb64-coslr-30e_digits.py'

model = dict(
    type='BSIMBYOL',
    mix_policy=dict(type='CutMixPolicy', alpha=1.0),
    pairing='flip',
    w_bsim=1.0,
    w_sim=0.0)
randomness = dict(seed=0, diff_rank_seed=True)
