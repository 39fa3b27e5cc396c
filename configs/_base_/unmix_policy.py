# Un-Mix's mixing policy (Shen et al., "Un-Mix: Rethinking Image Mixtures for Unsupervised Visual Representation
# Learning", 2020, arXiv:2003.05438, sec. 3.2 and 5.3), inherited by every config in configs/unmix/: Mixup with
# probability P, else CutMix, lam ~ Beta(1, 1). `probs` = [P, 1 - P] with P = 0.5, the paper's choice on small
# data sets; the ImageNet configs set P = 0 (CutMix only).
unmix_policy = dict(
    type='RandomChoicePolicy',
    policies=[dict(type='MixupPolicy', alpha=1.0), dict(type='CutMixPolicy', alpha=1.0)],
    probs=[0.5, 0.5])
