from .backbone_checkpoint_hook import BackboneCheckpointHook, check_backbone_checkpoint
from .cluster_init_hook import ClusterMemoryInitHook
from .knn_hook import KNNEvalHook
from .rng_state_hook import RNGStateHook
from .schedule_hooks import AttrScheduleHook, ModuleLrScheduleHook

__all__ = [
    'KNNEvalHook', 'RNGStateHook', 'BackboneCheckpointHook', 'check_backbone_checkpoint', 'AttrScheduleHook',
    'ModuleLrScheduleHook', 'ClusterMemoryInitHook'
]
