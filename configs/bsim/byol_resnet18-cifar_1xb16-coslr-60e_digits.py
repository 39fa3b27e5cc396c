# Upstream mmpretrain BYOL (CIFAR ResNet-18) on the embedded digits, CPU-sized: the BYOL reference of the BSIM
# / Un-Mix variants in docs/results_ssl.md. Plain BN1d in the necks (SyncBN has no CPU backend).
# The SimCLR-family recipe at batch 16 (lr 0.06 scaled linearly to 0.015), for 60 epochs: 89 steps an epoch instead of
# 23, 5,340 in all. At batch 64 BYOL did not learn in 30 epochs (kNN 47.1 +- 1.7, under random init with the
# initial BN buffers); at batch 16 it scored 66.8 +- 2.5 over seeds 0-2 in 30 epochs and, in 60, 79.3 +- 2.8 over
# seeds 0-5, level with raw pixels (81.1). A faster target (base_momentum=0.04, m = 0.96 -> 1) scored 80.7 +- 5.3
# over six runs on two machines: level with this one. The results table's BYOL rows run this recipe for 120 epochs
# (byol_resnet18-cifar_1xb16-coslr-120e_digits.py); SimSiam inherits this one (docs/digits_recipes.md).
_base_ = './simclr_resnet18-cifar_1xb64-coslr-30e_digits.py'

train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=0.015))
max_epochs = 60
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

model = dict(
    _delete_=True,
    type='BYOL',
    base_momentum=0.01,
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=16, base_channels=16, norm_cfg=dict(type='BN'),
                  zero_init_residual=False),
    neck=dict(type='NonLinearNeck', in_channels=128, hid_channels=1024, out_channels=128, num_layers=2,
              with_bias=True, with_last_bn=False, with_avg_pool=True, norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        predictor=dict(type='NonLinearNeck', in_channels=128, hid_channels=1024, out_channels=128,
                       num_layers=2,
                       with_bias=True, with_last_bn=False, with_avg_pool=False, norm_cfg=dict(type='BN1d')),
        loss=dict(type='CosineSimilarityLoss')))
