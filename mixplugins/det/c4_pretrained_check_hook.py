"""Checked pretrained initialisation of the C4 transfer detectors (configs/benchmarks/mmdetection).

MMEngine's ``Pretrained`` initialiser loads non-strictly: a full training checkpoint (keys ``backbone.*``)
given without ``prefix``, or a checkpoint of another architecture, silently leaves the backbone and the shared
head randomly initialised, and the transfer benchmark then measures nothing. :class:`C4PretrainedCheckHook`
runs before the weights are initialised and turns that into one error naming the config key to fix.
"""
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop

from ..engine.hooks.backbone_checkpoint_hook import backbone_state_dict_from_checkpoint


def check_pretrained_module(module, init_cfg_key, new_prefixes=()):
    """Check that ``module.init_cfg`` (config key ``init_cfg_key``) loads every tensor of ``module``.

    Every parameter and buffer whose name does not start with one of ``new_prefixes`` (layers the checkpoint
    cannot provide, e.g. the shared head's extra ``norm.``) must be in the checkpoint with the same shape.
    Checkpoint keys the module does not use are allowed (the backbone skips ``layer4``, the shared head takes
    only ``layer4``). Raises ValueError / FileNotFoundError / KeyError naming ``init_cfg_key``.
    """
    init_cfg = module.init_cfg
    if not isinstance(init_cfg, dict) or init_cfg.get('type') != 'Pretrained':
        raise ValueError(f"{init_cfg_key} must be dict(type='Pretrained', checkpoint=PATH) for a transfer "
                         f'benchmark, got {init_cfg}')
    weights = backbone_state_dict_from_checkpoint(
        init_cfg.get('checkpoint'), init_cfg.get('prefix'),
        keys=(f'{init_cfg_key}.checkpoint', f'{init_cfg_key}.prefix'))
    expected = {name: value for name, value in module.state_dict().items()
                if not name.startswith(tuple(new_prefixes))}
    missing = sorted(set(expected) - set(weights))
    mismatched = sorted(name for name in set(expected) & set(weights)
                        if tuple(expected[name].shape) != tuple(weights[name].shape))
    if missing or mismatched:
        raise KeyError(
            f"{init_cfg_key}: {init_cfg['checkpoint']} (prefix={init_cfg.get('prefix')!r}) does not hold "
            f'the weights of {type(module).__name__}: missing {missing[:5]} ({len(missing)} keys), shape '
            f'mismatch {mismatched[:5]} ({len(mismatched)}); a full training checkpoint needs '
            f"prefix='backbone.' or tools/model_converters/extract_backbone_weights.py")
    return weights


@HOOKS.register_module()
class C4PretrainedCheckHook(Hook):
    """Before training initialises the weights, check the backbone's and the shared head's ``init_cfg``
    (:func:`check_pretrained_module`; the shared head's extra ``norm`` is new). Does nothing in test-only runs
    (there the whole detector comes from ``--checkpoint``)."""
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        # Runner.train builds its train loop before 'before_run'; Runner.test/val never do.
        if not isinstance(runner._train_loop, BaseLoop):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        check_pretrained_module(model.backbone, 'model.backbone.init_cfg')
        check_pretrained_module(model.roi_head.shared_head, 'model.roi_head.shared_head.init_cfg',
                                new_prefixes=('norm.', ))
        runner.logger.info('C4PretrainedCheckHook: the backbone and shared-head checkpoints hold all their '
                           'tensors (except the shared head\'s extra norm)')
