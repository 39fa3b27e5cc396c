# The demo (`make demo`): Un-Mix MoCo v2 on the embedded digits, sized to train in under 6 minutes on 2 CPU cores.
# It is the Un-Mix MoCo v2 row of the results table with two changes that only buy time:
# - 45 epochs instead of 50 (the cosine schedule ends at 45);
# - persistent data-loader workers (they save about 0.4 s an epoch on 2 cores). The workers then keep their RNG streams
#   across epochs, so a resumed run no longer draws exactly the augmentations of an uninterrupted one (RNGStateHook);
#   the results table keeps the resumable setting.
_base_ = '../unmix/unmix-mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'

max_epochs = 45
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs)]
train_cfg = dict(max_epochs=max_epochs)
train_dataloader = dict(persistent_workers=True)
