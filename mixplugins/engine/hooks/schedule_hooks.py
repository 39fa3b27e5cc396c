"""Schedules of model attributes computed from training progress.

Used for the mask-loss weight ``beta`` (0.1 -> 0, linear; SAMix ``004_efcde85b9ca00546.txt`` A.2) and the
momentum coefficient (0.999 -> 1, cosine; SAMix A.2 Eq. 14, spec ``methods.md`` section 6). The value is a
function of ``start``, ``end`` and the progress only -- never compounded step by step -- so a resumed run gets
exactly the value of an uninterrupted one.
"""
import math
from numbers import Number
from typing import Tuple

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

CURVES = ('linear', 'cosine')


def schedule_value(start: float, end: float, progress: float, curve: str) -> float:
    """Value of the schedule at ``progress`` p in [0, 1].

    linear: ``start + (end - start) p``; cosine: ``end - (end - start) (cos(pi p) + 1) / 2``
    (the BYOL / SAMix momentum curve, e.g. 0.999 -> 1).
    """
    if curve == 'linear':
        return start + (end - start) * progress
    if curve == 'cosine':
        return end - (end - start) * (math.cos(math.pi * progress) + 1) / 2
    raise ValueError(f'curve must be one of {list(CURVES)}, got {curve!r}')


@HOOKS.register_module()
class AttrScheduleHook(Hook):
    """Sets ``attr`` of the (unwrapped) model to ``schedule_value(start, end, progress, curve)``.

    ``progress = iter / max_iters`` before every training iteration (``by_epoch=False``) or
    ``epoch / max_epochs`` before every epoch (``by_epoch=True``); the value is also set in ``before_train``,
    so a resumed run has the right value from its first iteration. The value is logged as ``train/<attr>``.

    Args:
        attr: attribute of the model, dotted paths allowed (``'mask_loss_weight'``, ``'mixer.loss_weight'``).
            A tensor attribute is filled in place (keeps its device), any other is replaced by a float.
        start: value at progress 0.
        end: value at progress 1.
        curve: ``'linear'`` or ``'cosine'``.
        by_epoch: progress by epochs instead of iterations.

    Example (SAMix A.2): ``dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0)``.
    """
    priority = 'NORMAL'

    def __init__(self, attr: str, start: float, end: float, curve: str = 'linear', by_epoch: bool = False):
        if not isinstance(attr, str) or not attr or any(not part for part in attr.split('.')):
            raise ValueError(f'attr must be a (dotted) attribute name of the model, got {attr!r}')
        for key, value in (('start', start), ('end', end)):
            if not isinstance(value, Number) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f'{key} must be a finite number, got {value!r}')
        if curve not in CURVES:
            raise ValueError(f'curve must be one of {list(CURVES)}, got {curve!r}')
        self.attr = attr
        self.start = float(start)
        self.end = float(end)
        self.curve = curve
        self.by_epoch = by_epoch

    def before_train(self, runner) -> None:
        self._resolve(runner)
        self._update(runner)

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._update(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.by_epoch:
            self._update(runner)

    def progress(self, runner) -> float:
        """``epoch / max_epochs`` or ``iter / max_iters``, clipped to [0, 1]."""
        done, total = (runner.epoch, runner.max_epochs) if self.by_epoch else (runner.iter, runner.max_iters)
        return min(max(done / total, 0.0), 1.0)

    def _resolve(self, runner) -> Tuple[object, str]:
        """The object owning the last component of ``attr`` and that component's name."""
        owner = runner.model.module if is_model_wrapper(runner.model) else runner.model
        *parents, name = self.attr.split('.')
        for part in parents:
            owner = getattr(self._check_has(owner, part), part)
        return self._check_has(owner, name), name

    def _check_has(self, owner, part: str):
        if not hasattr(owner, part):
            raise ValueError(f'attr={self.attr!r}: {type(owner).__name__} has no attribute {part!r}')
        return owner

    def _update(self, runner) -> None:
        value = schedule_value(self.start, self.end, self.progress(runner), self.curve)
        owner, name = self._resolve(runner)
        current = getattr(owner, name)
        if isinstance(current, torch.Tensor):
            with torch.no_grad():
                current.fill_(value)
        else:
            setattr(owner, name, value)
        runner.message_hub.update_scalar(f'train/{self.attr}', value)
