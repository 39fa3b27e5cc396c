# Supervised SAMix, ResNet-18 (CIFAR stem, as for 64 px inputs), Tiny-ImageNet, 400 epochs, batch 100, lr 0.2 (AMix:
# "Improving Discriminative Visual Representation Learning via Automatic Mixup", anonymous ICLR 2022 submission, no
# arXiv id, sec. 4.1 setups, shared by SAMix: Li et al., "Boosting Discriminative Visual Representation Learning with
# Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, A.3; RandomResizedCrop + flip; eta = 0.5).
# Data: data/tiny-imagenet-200/{train,val}/<wnid>/... (the official val/ reorganised into class folders with
# its val_annotations.txt), read by mmpretrain's CustomDataset.
_base_ = ['./samix_resnet18-cifar_1xb100-coslr-800e_cifar100.py']

max_epochs = 400
data_preprocessor = dict(
    num_classes=200, mean=[122.46, 114.26, 101.37], std=[70.49, 68.76, 71.93], to_rgb=True)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=64, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=100,
    dataset=dict(_delete_=True, type='CustomDataset', data_root='data/tiny-imagenet-200', data_prefix='train',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=100,
    dataset=dict(_delete_=True, type='CustomDataset', data_root='data/tiny-imagenet-200', data_prefix='val',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(head=dict(num_classes=200))
optim_wrapper = dict(optimizer=dict(lr=0.2))
param_scheduler = dict(T_max=max_epochs, end=max_epochs)
train_cfg = dict(max_epochs=max_epochs)
