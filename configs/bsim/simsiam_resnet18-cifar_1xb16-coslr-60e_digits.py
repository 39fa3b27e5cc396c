# Upstream mmpretrain SimSiam (CIFAR ResNet-18) on the embedded digits, CPU-sized: the SimSiam reference of
# the BSIM variants in docs/results_ssl.md. Plain BN1d in the necks (SyncBN has no CPU backend).
# BYOL's recipe for 60 epochs: batch 16, lr 0.015 (0.06 scaled linearly), and residual branches that are not
# zero-initialised (`zero_init_residual=False`, as in the MoCo v2, SimCLR and BYOL digits configs; mmpretrain's
# SimSiam config sets True). At batch 64 with zero-initialised branches SimSiam scored kNN 42.2 +- 4.5, under random
# init; at batch 16, seed 0, 30 epochs: 46.8% with them, 65.7% without; 30 epochs over seeds 0-2: 61.5 +- 10.2;
# 60 epochs: 69.5 +- 3.5 (docs/digits_recipes.md).
_base_ = './byol_resnet18-cifar_1xb16-coslr-60e_digits.py'

model = dict(
    _delete_=True,
    type='SimSiam',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=16, base_channels=16, norm_cfg=dict(type='BN'),
                  zero_init_residual=False),
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=512, num_layers=3,
              with_last_bn_affine=False, with_avg_pool=True, norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(type='NonLinearNeck', in_channels=512, hid_channels=128, out_channels=512,
                       with_avg_pool=False, with_last_bn=False, with_last_bias=True,
                       norm_cfg=dict(type='BN1d'))))
