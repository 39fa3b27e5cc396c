# Semi-supervised ImageNet-1k classification on the 1% label split; everything else as the 10% setting
# (20 epochs, lr 0.01, x0.2 at 12 and 16). Split file format: docs/evaluation.md.
_base_ = './resnet50_semi-10pct-8xb32-steplr-20e_in1k.py'

label_split_file = 'meta/train_1percent.txt'
train_dataloader = dict(dataset=dict(ann_file=label_split_file))
