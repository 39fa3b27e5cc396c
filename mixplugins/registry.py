"""The registry scope ``mixplugins``: where modules of configs inherited as ``mixplugins::...`` are looked up.

mixplugins registers its modules into mmpretrain's registries (and, via ``mixplugins.det``, mmdet's). Loading
``_base_ = 'mixplugins::samix/x.py'`` or ``mmengine.hub.get_config('mixplugins::samix/x.py')`` has mmengine
(a) look the package up in ``MODULE2PACKAGE`` and (b) tag each top-level ``type`` dict taken from that file with
``_scope_='mixplugins'``, which at build time is searched for in each registry tree. This module provides both:
the ``MODULE2PACKAGE`` entry, and one empty child of every mmpretrain registry under the scope ``mixplugins``,
so lookups fall through to mmpretrain, mmcv and mmengine exactly as under ``default_scope='mmpretrain'``.

Consequently ``mixplugins::`` inheritance builds in mmpretrain's scope: it serves the classification and
self-supervised configs. The detection configs (``bof/``, ``benchmarks/mmdetection/``) build in mmdet's scope;
inherit them by file path (docs/data.md, "Configs outside the checkout").
"""
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

SCOPE = 'mixplugins'
MODULE2PACKAGE.setdefault(SCOPE, 'mixplugins')

# Imported on the first lookup (mmengine's lazy ``locations``): mixplugins and every mmpretrain module package,
# the set mmpretrain.utils.register_all_modules imports.
LOCATIONS = ['mixplugins', 'mmpretrain.datasets', 'mmpretrain.engine', 'mmpretrain.evaluation',
             'mmpretrain.models', 'mmpretrain.structures', 'mmpretrain.visualization']


def scope_child(parent: Registry) -> Registry:
    """An empty registry in scope ``mixplugins`` under ``parent``: lookups resolve in ``parent``'s chain."""
    return Registry(parent.name, parent=parent, scope=SCOPE, locations=LOCATIONS)


RUNNERS = scope_child(mmpretrain_registry.RUNNERS)
RUNNER_CONSTRUCTORS = scope_child(mmpretrain_registry.RUNNER_CONSTRUCTORS)
LOOPS = scope_child(mmpretrain_registry.LOOPS)
HOOKS = scope_child(mmpretrain_registry.HOOKS)
LOG_PROCESSORS = scope_child(mmpretrain_registry.LOG_PROCESSORS)
OPTIMIZERS = scope_child(mmpretrain_registry.OPTIMIZERS)
OPTIM_WRAPPERS = scope_child(mmpretrain_registry.OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = scope_child(mmpretrain_registry.OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = scope_child(mmpretrain_registry.PARAM_SCHEDULERS)
DATASETS = scope_child(mmpretrain_registry.DATASETS)
DATA_SAMPLERS = scope_child(mmpretrain_registry.DATA_SAMPLERS)
TRANSFORMS = scope_child(mmpretrain_registry.TRANSFORMS)
MODELS = scope_child(mmpretrain_registry.MODELS)
MODEL_WRAPPERS = scope_child(mmpretrain_registry.MODEL_WRAPPERS)
WEIGHT_INITIALIZERS = scope_child(mmpretrain_registry.WEIGHT_INITIALIZERS)
BATCH_AUGMENTS = scope_child(mmpretrain_registry.BATCH_AUGMENTS)
TASK_UTILS = scope_child(mmpretrain_registry.TASK_UTILS)
METRICS = scope_child(mmpretrain_registry.METRICS)
EVALUATORS = scope_child(mmpretrain_registry.EVALUATORS)
VISUALIZERS = scope_child(mmpretrain_registry.VISUALIZERS)
VISBACKENDS = scope_child(mmpretrain_registry.VISBACKENDS)

__all__ = ['SCOPE', 'scope_child'] + list(mmpretrain_registry.__all__)

