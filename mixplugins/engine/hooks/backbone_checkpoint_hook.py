"""Checked loading of pretrained backbone weights for the evaluation protocols (linear probe, SVM,
fine-tuning).

A backbone can come from two kinds of files:

- a full mixplugins training checkpoint, ``{'state_dict': {'backbone.conv1.weight': ..., 'neck.*', ...}}``:
  load it with ``prefix='backbone.'`` (or ``'momentum_encoder.module.0.'`` etc. for another copy);
- an extracted backbone (``tools/model_converters/extract_backbone_weights.py``), keys without prefix:
  load it with ``prefix=None``.

MMEngine's ``Pretrained`` initialiser loads non-strictly, so a wrong prefix or a wrong file silently leaves
the backbone randomly initialised. :class:`BackboneCheckpointHook` (run before the weights are initialised)
turns every such mistake into one error naming the config key to fix
(:func:`mixplugins.utils.checkpoint.check_pretrained_init`).
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmpretrain.registry import HOOKS

from ...utils.checkpoint import INIT_CFG_KEY, check_pretrained_init


@HOOKS.register_module()
class BackboneCheckpointHook(Hook):
    """Before training initialises the weights, check the backbone's ``init_cfg``.

    It must be ``dict(type='Pretrained', checkpoint=PATH, prefix='backbone.' | None)`` and the file must hold
    exactly the backbone's weights (:func:`~mixplugins.utils.checkpoint.check_pretrained_init`). Does nothing
    in test-only runs (there the whole trained model comes from ``load_from``). Subclasses check other
    modules by overriding :meth:`check`.
    """
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        # Runner.train builds its train loop before 'before_run'; Runner.test/val never do.
        if not isinstance(runner._train_loop, BaseLoop):
            return
        self.check(runner.model.module if is_model_wrapper(runner.model) else runner.model, runner.logger)

    def check(self, model, logger) -> None:
        """Check the pretrained initialisation of ``model`` (unwrapped); raise naming the key to fix."""
        init_cfg = model.backbone.init_cfg
        check_pretrained_init(model.backbone, INIT_CFG_KEY)
        logger.info(f"{INIT_CFG_KEY}: {init_cfg['checkpoint']} (prefix={init_cfg.get('prefix')!r}) holds "
                    f'all {len(model.backbone.state_dict())} backbone tensors')
