"""mixplugins: mixup-based visual representation learning for MMPretrain / MMDetection.

``import mixplugins`` registers every module into mmpretrain's registries (default scope ``mmpretrain``);
``import mixplugins.det`` registers the detection modules into mmdet's registries.
"""
from .version import __version__
from .utils import apply_collate_scope_fix, apply_cpu_distributed_shim

apply_cpu_distributed_shim()
apply_collate_scope_fix()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registration side effects)

__all__ = ['__version__']
