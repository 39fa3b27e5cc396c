# ManifoldMix on MoCo v2 (SAMix paper, arXiv:2111.15454, Table 5 and A.4: one mixup on the CL baseline) on the
# embedded digits, CPU-sized: the MoCo v2 digits recipe of every MoCo v2 variant plus the mixup infoNCE of the
# query whose hidden features at a random stage k in {0, 1, 2} are mixed (lam ~ Beta(2, 2), random pairing, as the
# SAMix digits configs draw them); the clean MoCo term is kept.
_base_ = '../demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'

model = dict(type='ManifoldMixMoCo', alpha=2.0, stages=(0, 1, 2), pairing='random',
             mix_loss=dict(type='MixupInfoNCELoss'))
randomness = dict(seed=0, diff_rank_seed=True)  # each rank draws its own lam, pairing and stage
