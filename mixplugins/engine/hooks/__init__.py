from . import schedule_hooks  # noqa: F401
from .backbone_checkpoint_hook import BackboneCheckpointHook, check_backbone_checkpoint
from .knn_hook import KNNEvalHook
from .rng_state_hook import RNGStateHook

__all__ = ['KNNEvalHook', 'RNGStateHook', 'BackboneCheckpointHook', 'check_backbone_checkpoint']
