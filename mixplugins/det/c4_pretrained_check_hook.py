"""Checked pretrained initialisation of the C4 transfer detectors (configs/benchmarks/mmdetection).

MMEngine's ``Pretrained`` initialiser loads non-strictly: a full training checkpoint (keys ``backbone.*``)
given without ``prefix``, or a checkpoint of another architecture, silently leaves the backbone and the shared
head randomly initialised, and the transfer benchmark then measures nothing. :class:`C4PretrainedCheckHook`
runs before the weights are initialised and turns that into one error naming the config key to fix.
"""
from mmdet.registry import HOOKS

from ..engine.hooks.backbone_checkpoint_hook import BackboneCheckpointHook
from ..utils.checkpoint import check_pretrained_init


@HOOKS.register_module()
class C4PretrainedCheckHook(BackboneCheckpointHook):
    """Before training initialises the weights, check the backbone's and the shared head's ``init_cfg``
    (:func:`~mixplugins.utils.checkpoint.check_pretrained_init`, ``partial``: the backbone skips ``layer4``,
    the shared head takes only ``layer4``; the shared head's extra ``norm`` is new). Does nothing in test-only
    runs (there the whole detector comes from ``--checkpoint``)."""

    def check(self, model, logger) -> None:
        check_pretrained_init(model.backbone, 'model.backbone.init_cfg', partial=True)
        check_pretrained_init(model.roi_head.shared_head, 'model.roi_head.shared_head.init_cfg', partial=True,
                              new_prefixes=('norm.', ))
        logger.info('C4PretrainedCheckHook: the backbone and shared-head checkpoints hold all their tensors '
                    '(except the shared head\'s extra norm)')
