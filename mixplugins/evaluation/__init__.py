from .batchnorm import calibrate_batchnorm, has_untracked_batchnorm
from .knn import knn_top1, weighted_knn_predict

__all__ = ['knn_top1', 'weighted_knn_predict', 'calibrate_batchnorm', 'has_untracked_batchnorm']
