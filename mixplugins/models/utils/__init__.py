"""Model-side utilities that are not registered modules."""
from .cluster_memory import ClusterMemory
from .stage_features import check_manifold_stages, check_stage_backbone, manifold_mix_forward, stage_features

__all__ = [
    'ClusterMemory', 'check_stage_backbone', 'stage_features', 'check_manifold_stages', 'manifold_mix_forward'
]
