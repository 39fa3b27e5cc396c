# ManifoldMix on MoCo v2, ResNet-50, ImageNet-1k, 200 epochs (SAMix paper, arXiv:2111.15454, Table 5 and A.4):
# mmpretrain's mocov2 recipe unchanged plus the mixup infoNCE of the query whose hidden features at a random
# stage k in {0 (the input), 1, 2 (after residual stages 1, 2)} are mixed, lam ~ Beta(2, 2) (SAMix's alpha, sec. 4,
# and the default of OpenMixup's MoCo mixups), random pairing; the clean MoCo term is kept.
_base_ = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

model = dict(type='ManifoldMixMoCo', alpha=2.0, stages=(0, 1, 2), pairing='random',
             mix_loss=dict(type='MixupInfoNCELoss'))
randomness = dict(seed=0, diff_rank_seed=True)
