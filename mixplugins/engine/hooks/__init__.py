from .backbone_checkpoint_hook import BackboneCheckpointHook
from .cluster_init_hook import ClusterMemoryInitHook
from .knn_hook import KNNEvalHook
from .rng_state_hook import RNGStateHook
from .schedule_hooks import AttrScheduleHook, ModuleLrScheduleHook

__all__ = [
    'KNNEvalHook', 'RNGStateHook', 'BackboneCheckpointHook', 'AttrScheduleHook',
    'ModuleLrScheduleHook', 'ClusterMemoryInitHook'
]
