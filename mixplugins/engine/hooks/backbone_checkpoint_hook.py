"""Checked loading of pretrained backbone weights for the evaluation protocols (linear probe, SVM,
fine-tuning).

A backbone can come from two kinds of files:

- a full mixplugins training checkpoint, ``{'state_dict': {'backbone.conv1.weight': ..., 'neck.*', ...}}``:
  load it with ``prefix='backbone.'`` (or ``'momentum_encoder.module.0.'`` etc. for another copy);
- an extracted backbone (``tools/model_converters/extract_backbone_weights.py``), keys without prefix:
  load it with ``prefix=None``.

MMEngine's ``Pretrained`` initialiser loads non-strictly, so a wrong prefix or a wrong file silently leaves
the backbone randomly initialised. :func:`check_backbone_checkpoint` and :class:`BackboneCheckpointHook` (run
before the weights are initialised) turn every such mistake into one error naming the config key to fix.
"""
import os.path as osp
from collections import Counter

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.registry import HOOKS

INIT_CFG_KEY = 'model.backbone.init_cfg'
CONFIG_KEYS = (f'{INIT_CFG_KEY}.checkpoint', f'{INIT_CFG_KEY}.prefix')


def _is_remote(path: str) -> bool:
    return '://' in path


def backbone_state_dict_from_checkpoint(path, prefix, keys=CONFIG_KEYS) -> dict:
    """The backbone weights stored in ``path``: the keys under ``prefix`` with the prefix stripped, or the
    whole state dict when ``prefix`` is None (an extracted backbone).

    Raises ValueError (empty path), FileNotFoundError (no such file) or KeyError (no key under ``prefix``),
    each naming the setting to fix: ``keys`` = (name of the checkpoint setting, name of the prefix setting).
    """
    path_key, prefix_key = keys
    if not path:
        raise ValueError(
            f"{path_key} is empty: set it to a mixplugins checkpoint (with {prefix_key}='backbone.') "
            f'or an extracted backbone (with {prefix_key}=None)')
    if not _is_remote(path) and not osp.isfile(path):
        raise FileNotFoundError(f'{path_key}: file not found: {path}')
    checkpoint = _load_checkpoint(path, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state_dict, dict):
        raise ValueError(f'{path_key}: {path} holds a {type(checkpoint).__name__}, expected a state dict')
    if prefix is None:
        return dict(state_dict)
    prefix = prefix if prefix.endswith('.') else prefix + '.'
    backbone = {name[len(prefix):]: value for name, value in state_dict.items() if name.startswith(prefix)}
    if not backbone:
        found = Counter(name.split('.', 1)[0] + '.' for name in state_dict)
        listing = ', '.join(f"'{name}' ({count} keys)" for name, count in sorted(found.items())) or 'none'
        raise KeyError(f"{prefix_key}='{prefix}' matches no key of {path} (prefixes in the file: {listing}); "
                       f'an extracted backbone (tools/model_converters/extract_backbone_weights.py) needs '
                       f'{prefix_key}=None')
    return backbone


def check_backbone_checkpoint(backbone, path, prefix, keys=CONFIG_KEYS) -> dict:
    """Check that ``path`` (with ``prefix``) holds exactly the weights of ``backbone``; returns them.

    Every parameter and buffer of the backbone must be present with the same shape and no other key may be
    left over (a mismatch means the wrong file, prefix or architecture). Raises KeyError listing the
    differences.
    """
    weights = backbone_state_dict_from_checkpoint(path, prefix, keys)
    expected = backbone.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    mismatched = sorted(name for name in set(expected) & set(weights)
                        if tuple(expected[name].shape) != tuple(weights[name].shape))
    if missing or unexpected or mismatched:
        hint = ''
        if prefix is None and any(name.startswith('backbone.') for name in unexpected):
            hint = f" (a full training checkpoint: set {keys[1]}='backbone.')"
        raise KeyError(
            f'{keys[0]}: {path} ({keys[1]}={prefix!r}) does not hold the weights of {type(backbone).__name__}'
            f'{hint}: missing {missing[:5]}{"..." if len(missing) > 5 else ""} '
            f'({len(missing)}), unexpected {unexpected[:5]}{"..." if len(unexpected) > 5 else ""} '
            f'({len(unexpected)}), shape mismatch {mismatched[:5]} ({len(mismatched)})')
    return weights


@HOOKS.register_module()
class BackboneCheckpointHook(Hook):
    """Before training initialises the weights, check the backbone's ``init_cfg``.

    It must be ``dict(type='Pretrained', checkpoint=PATH, prefix='backbone.' | None)`` and the file must hold
    exactly the backbone's weights (:func:`check_backbone_checkpoint`). Does nothing in test-only runs (there
    the whole trained model comes from ``load_from``).
    """
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        # Runner.train builds its train loop before 'before_run'; Runner.test/val never do.
        if not isinstance(runner._train_loop, BaseLoop):
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        init_cfg = model.backbone.init_cfg
        if not isinstance(init_cfg, dict) or init_cfg.get('type') != 'Pretrained':
            raise ValueError(f"{INIT_CFG_KEY} must be dict(type='Pretrained', checkpoint=PATH, "
                             f"prefix='backbone.' or None) to evaluate pretrained weights, got {init_cfg}")
        check_backbone_checkpoint(model.backbone, init_cfg.get('checkpoint'), init_cfg.get('prefix'))
        runner.logger.info(
            f"{INIT_CFG_KEY}: {init_cfg['checkpoint']} (prefix={init_cfg.get('prefix')!r}) holds "
            f'all {len(model.backbone.state_dict())} backbone tensors')
