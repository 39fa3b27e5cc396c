# The embedded digits (scikit-learn, 1,438 train / 359 val, scattered on 24 px RGB canvases) with
# MoCo v2's two-view pipeline, layered on mmpretrain's MoCo v2 ImageNet data settings. Also declares the kNN
# monitor used by every self-supervised config on these data (`knn_hook`: random init vs trained, knn.json).
_base_ = 'mmpretrain::_base_/datasets/imagenet_bs32_mocov2.py'

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

dataset_type = 'DigitsDataset'
image_size = 24
data_preprocessor = dict(
    type='SelfSupDataPreprocessor', mean=[44.6] * 3, std=[73.6] * 3, to_rgb=False)

# Views that keep the digit: crops of at least 60% of the canvas (a 0.3 crop often cuts the digit away) and no
# horizontal flip (a flipped digit is another symbol).
view_pipeline = [
    dict(type='RandomResizedCrop', scale=image_size, crop_ratio_range=(0.6, 1.), backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
        prob=0.8),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    collate_fn=dict(_delete_=True, type='default_collate'),
    dataset=dict(
        _delete_=True, type=dataset_type, split='train', image_size=image_size, pipeline=train_pipeline))

knn_dataloader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, split='train', image_size=image_size, pipeline=[dict(type='PackInputs')]))
knn_hook = dict(
    type='KNNEvalHook',
    train_dataloader=knn_dataloader,
    val_dataloader=dict(knn_dataloader, dataset=dict(knn_dataloader['dataset'], split='val')),
    k=20,
    temperature=0.07,
    interval=0)
custom_hooks = [knn_hook, dict(type='RNGStateHook')]
