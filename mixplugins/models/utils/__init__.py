"""Model-side utilities that are not registered modules."""
from .checks import check_async
from .cluster_memory import ClusterMemory
from .precision import compute_dtype, full_precision, upcast
from .stage_features import check_stage_backbone, stage_features

__all__ = [
    'ClusterMemory', 'check_async', 'check_stage_backbone', 'compute_dtype', 'full_precision', 'stage_features',
    'upcast'
]
