"""mixplugins: mixup-based visual representation learning for MMPretrain / MMDetection.

``import mixplugins`` registers every module into mmpretrain's registries (default scope ``mmpretrain``);
``import mixplugins.det`` registers the detection modules into mmdet's registries; ``mixplugins.registry`` adds
the scope ``mixplugins`` that ``mixplugins::`` config paths need.
"""
from .version import __version__
from . import registry  # noqa: F401  (mixplugins:: config paths)
from .utils import apply_collate_scope_fix, apply_cpu_distributed_shim

apply_cpu_distributed_shim()
apply_collate_scope_fix()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registration side effects)

__all__ = ['__version__']
