"""Model-side utilities that are not registered modules."""
from .cluster_memory import ClusterMemory
from .stage_features import check_stage_backbone, stage_features

__all__ = ['ClusterMemory', 'check_stage_backbone', 'stage_features']
