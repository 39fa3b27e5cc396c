# Baseline of the Bag of Freebies comparison (Zhang et al., "Bag of Freebies for Training Object Detection Neural
# Networks", 2019, arXiv:1902.04103, Table 3; docs/methods.md#bag-of-freebies): mmdet's Faster R-CNN R50-FPN on PASCAL
# VOC07+12 trainval, tested on VOC2007 test (mAP@0.5, VOC 11-point), unchanged: step schedule (4 epochs over a 3x
# repeated set = 12 epochs, decay at epoch 3), BN frozen (norm_eval), no label smoothing, no mixup. Paper's figure for
# this row: 77.77 mAP (600 x 1000 px).
# The BoF version is ./faster-rcnn_r50_fpn_bof_voc0712.py.
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50_fpn_1x_voc0712.py'

custom_imports = dict(imports=['mixplugins.det'], allow_failed_imports=False)
