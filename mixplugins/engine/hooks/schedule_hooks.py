"""Schedules of model attributes and of a sub-module's learning rate, computed from training progress.

Used for the mask-loss weight ``beta`` (0.1 -> 0, linear; SAMix: Li et al., "Boosting Discriminative Visual
Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454, A.2) and the momentum coefficient
(0.999 -> 1, cosine; SAMix A.2 Eq. 14; ``docs/methods.md#samix-and-amix``). The value is a function of ``start``,
``end`` and the progress only -- never compounded step by step -- so a resumed run gets exactly the value of an
uninterrupted one. The Mixer's own lr schedule (AutoMix / SAMix) uses the same curves.
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


class ProgressScheduleHook(Hook):
    """Base of the schedule hooks: ``schedule_value(start, end, progress, curve)`` applied by :meth:`apply`.

    ``progress = iter / max_iters`` before every training iteration (``by_epoch=False``) or
    ``epoch / max_epochs`` before every epoch (``by_epoch=True``); the value is also applied in
    ``before_train``, so a resumed run has the right value from its first iteration.
    """
    priority = 'NORMAL'

    def __init__(self, start: float, end: float, curve: str = 'linear', by_epoch: bool = False):
        for key, value in (('start', start), ('end', end)):
            if not isinstance(value, Number) or isinstance(value, bool) or not math.isfinite(value):
                raise ValueError(f'{key} must be a finite number, got {value!r}')
        if curve not in CURVES:
            raise ValueError(f'curve must be one of {list(CURVES)}, got {curve!r}')
        self.start = float(start)
        self.end = float(end)
        self.curve = curve
        self.by_epoch = by_epoch

    def before_train(self, runner) -> None:
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

    def _update(self, runner) -> None:
        self.apply(runner, schedule_value(self.start, self.end, self.progress(runner), self.curve))

    def apply(self, runner, value: float) -> None:
        raise NotImplementedError


@HOOKS.register_module()
class AttrScheduleHook(ProgressScheduleHook):
    """Sets ``attr`` of the (unwrapped) model to ``schedule_value(start, end, progress, curve)``.

    The value is logged as ``train/<attr>``.

    Args:
        attr: attribute of the model, dotted paths allowed (``'mask_loss_weight'``, ``'mixer.loss_weight'``).
            A tensor attribute is filled in place (keeps its device), any other is replaced by a float.
        start: value at progress 0.
        end: value at progress 1.
        curve: ``'linear'`` or ``'cosine'``.
        by_epoch: progress by epochs instead of iterations.

    Example (SAMix A.2): ``dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0)``.
    """

    def __init__(self, attr: str, start: float, end: float, curve: str = 'linear', by_epoch: bool = False):
        if not isinstance(attr, str) or not attr or any(not part for part in attr.split('.')):
            raise ValueError(f'attr must be a (dotted) attribute name of the model, got {attr!r}')
        super().__init__(start, end, curve, by_epoch)
        self.attr = attr

    def before_train(self, runner) -> None:
        self._resolve(runner)
        super().before_train(runner)

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

    def apply(self, runner, value: float) -> None:
        owner, name = self._resolve(runner)
        current = getattr(owner, name)
        if isinstance(current, torch.Tensor):
            with torch.no_grad():
                current.fill_(value)
        else:
            setattr(owner, name, value)
        runner.message_hub.update_scalar(f'train/{self.attr}', value)


@HOOKS.register_module()
class ModuleLrScheduleHook(ProgressScheduleHook):
    """An own learning-rate schedule for one sub-module (the Mixer of AutoMix / SAMix).

    ``lr = lr_0 * schedule_value(start_factor, end_factor, progress, curve)`` for every optimizer parameter group
    that holds only parameters of ``model.<module>``, with ``lr_0`` the group's initial lr (``initial_lr``, after
    ``paramwise_cfg`` multipliers and ``auto_scale_lr``). It is set before each iteration, after the main
    schedulers have run, so the main ``param_scheduler`` no longer acts on those groups: the Mixer keeps
    adapting to an encoder that still changes while the encoder's lr decays. The Mixer gets its own groups from
    ``optim_wrapper.paramwise_cfg.custom_keys={'mixer': ...}`` (also where ``decay_mult=0`` goes). The value
    is logged as ``train/lr_<module>``.

    Args:
        module: attribute of the (unwrapped) model, dotted paths allowed. Defaults to ``'mixer'``.
        start_factor, end_factor: multipliers of ``lr_0`` at progress 0 and 1 (>= 0). Defaults to 1 and 1:
            a constant lr.
        curve, by_epoch: as in :class:`AttrScheduleHook`.
    """

    def __init__(self, module: str = 'mixer', start_factor: float = 1.0, end_factor: float = 1.0,
                 curve: str = 'cosine', by_epoch: bool = False):
        if not isinstance(module, str) or not module or any(not part for part in module.split('.')):
            raise ValueError(f'module must be a (dotted) sub-module name of the model, got {module!r}')
        for key, value in (('start_factor', start_factor), ('end_factor', end_factor)):
            if not isinstance(value, Number) or isinstance(value, bool) or not value >= 0:
                raise ValueError(f'{key} must be a number >= 0 (a multiplier of the initial lr), got {value!r}')
        super().__init__(start_factor, end_factor, curve, by_epoch)
        self.module = module
        self._groups = []

    def before_train(self, runner) -> None:
        self._groups = self._module_groups(runner)
        for group in self._groups:
            group.setdefault('initial_lr', group['lr'])
        super().before_train(runner)

    def _module_groups(self, runner) -> list:
        module = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for part in self.module.split('.'):
            if not isinstance(getattr(module, part, None), torch.nn.Module):
                raise ValueError(f'module={self.module!r}: {type(module).__name__} has no sub-module {part!r}')
            module = getattr(module, part)
        owned = {id(p) for p in module.parameters()}
        groups = [
            group for group in runner.optim_wrapper.param_groups
            if group['params'] and all(id(p) in owned for p in group['params'])
        ]
        if not groups:
            raise ValueError(f'module={self.module!r}: no optimizer parameter group holds only its parameters; '
                             f"add optim_wrapper.paramwise_cfg.custom_keys={{'{self.module}': dict(...)}}")
        return groups

    def apply(self, runner, value: float) -> None:
        for group in self._groups:
            group['lr'] = group['initial_lr'] * value
        runner.message_hub.update_scalar(f'train/lr_{self.module}', self._groups[0]['lr'])
