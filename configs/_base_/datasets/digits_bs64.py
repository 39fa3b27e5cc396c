# The embedded digits (scikit-learn, 1,438 train / 359 val, scattered on 24 px RGB canvases) for
# classification, layered on mmpretrain's CIFAR-10 settings (the same small-image regime).
_base_ = 'mmpretrain::_base_/datasets/cifar10_bs16.py'

custom_imports = dict(imports=['mixplugins'], allow_failed_imports=False)

dataset_type = 'DigitsDataset'
image_size = 24
data_preprocessor = dict(num_classes=10, mean=[44.6] * 3, std=[73.6] * 3, to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=image_size, padding=2),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=False,
    collate_fn=dict(type='default_collate'),
    dataset=dict(_delete_=True, type=dataset_type, split='train', image_size=image_size,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    collate_fn=dict(type='default_collate'),
    dataset=dict(_delete_=True, type=dataset_type, split='val', image_size=image_size,
                 pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
