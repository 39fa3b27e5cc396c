# Linear classification on non-ImageNet data as in Un-Mix (Shen et al., "Un-Mix: Rethinking Image Mixtures for
# Unsupervised Visual Representation Learning", AAAI 2022, arXiv:2003.05438, appendix A, "Evaluation Protocol on
# Non-ImageNet", following Ermolov et al., "Whitening for Self-Supervised Representation Learning", ICML 2021,
# arXiv:2007.06346): frozen backbone, 500 epochs of Adam without data augmentation, weight decay 5e-6, lr decayed
# exponentially from 1e-2 to 1e-6: lr_t = 1e-2 * gamma^t with gamma = (1e-6 / 1e-2)^(1 / 500) = 10^(-4/500) per epoch.
_base_ = './resnet18-cifar_linear-1xb256-steplr-100e_cifar10.py'

max_epochs = 500
lr_start, lr_end = 1e-2, 1e-6

train_dataloader = dict(batch_size=512, dataset=dict(pipeline=[dict(type='PackInputs')]))
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(_delete_=True, type='Adam', lr=lr_start, weight_decay=5e-6))
param_scheduler = [
    dict(type='ExponentialLR',
         gamma=(lr_end / lr_start)**(1 / max_epochs),
         by_epoch=True,
         begin=0,
         end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
default_hooks = dict(checkpoint=dict(interval=50))
