# Upstream mmpretrain SimSiam (CIFAR ResNet-18) on the embedded digits, CPU-sized: the SimSiam reference of
# the BSIM variants in docs/results_ssl.md. Plain BN1d in the necks (SyncBN has no CPU backend).
# BYOL's data, batch 16 and 60 epochs (cosine), with AdamW (lr 1e-3, weight decay 1e-6) instead of its SGD, and
# residual branches that are not zero-initialised (`zero_init_residual=False`, as in the MoCo v2, SimCLR and BYOL
# digits configs; mmpretrain's SimSiam config sets True). With BYOL's SGD (lr 0.015) SimSiam scored kNN
# 69.5 +- 3.5 over seeds 0-2, 11.6 points under raw pixels; with AdamW 83.0 +- 4.0 over seeds 0-2 and 81.2 +- 3.9 over
# seeds 0-5, level with them (the results table runs six seeds of it; docs/digits_recipes.md).
_base_ = './byol_resnet18-cifar_1xb16-coslr-60e_digits.py'

optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-6))

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
