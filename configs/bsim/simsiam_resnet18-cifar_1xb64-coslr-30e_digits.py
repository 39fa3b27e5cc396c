# Upstream mmpretrain SimSiam (CIFAR ResNet-18) on the embedded digits, CPU-sized: the SimSiam reference of
# the BSIM variants in docs/results_ssl.md. Plain BN1d in the necks (SyncBN has no CPU backend).
_base_ = './simclr_resnet18-cifar_1xb64-coslr-30e_digits.py'

model = dict(
    _delete_=True,
    type='SimSiam',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=16, base_channels=16, norm_cfg=dict(type='BN'),
                  zero_init_residual=True),
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=512, out_channels=512, num_layers=3,
              with_last_bn_affine=False, with_avg_pool=True, norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(type='NonLinearNeck', in_channels=512, hid_channels=128, out_channels=512,
                       with_avg_pool=False, with_last_bn=False, with_last_bias=True,
                       norm_cfg=dict(type='BN1d'))))
