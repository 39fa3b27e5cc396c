"""Random-number-generator state in checkpoints, so that a resumed run continues the same random stream."""
import random

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import CheckpointHook, Hook
from mmpretrain.registry import HOOKS


def rng_state() -> dict:
    """The python, numpy and torch (CPU) RNG states of this process."""
    return dict(python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state())


def set_rng_state(state: dict) -> None:
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Saves the python, numpy and torch RNG states of every rank into checkpoints and restores them on resume.

    With a fixed seed and ``num_workers=0`` (or mmengine's per-worker seeding without persistent workers), an
    interrupted and resumed run then draws the same augmentations, pairings and mixing ratios as an uninterrupted
    one. Checkpoints are written by rank 0 only, so under torch.distributed the states of all ranks are gathered
    first, at the end of every epoch (and of every iteration when the checkpoints are iteration-based), by all ranks,
    before ``CheckpointHook`` saves; each rank restores its own (``rng_state['ranks'][rank]``). With
    ``diff_rank_seed=True`` the ranks' streams differ (each draws its own mixing ratios,
    ``docs/methods.md#notation-and-conventions``) and stay different after a resume. A checkpoint of another world
    size restores rank 0's state on every rank, with a
    warning.
    """
    priority = 'LOW'  # before CheckpointHook (VERY_LOW) at the end of an epoch / iteration

    def __init__(self):
        self._rank_states = None

    def _gather(self) -> None:
        if get_world_size() > 1:
            self._rank_states = all_gather_object(rng_state())

    def after_train_epoch(self, runner) -> None:
        self._gather()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        checkpoint_hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
        if checkpoint_hook is not None and not checkpoint_hook.by_epoch:
            self._gather()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = dict(rng_state(), ranks=self._rank_states)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('rng_state')
        if state is None:
            runner.logger.warning('RNGStateHook: the checkpoint has no rng_state; random streams restart.')
            return
        ranks = state.get('ranks')
        if get_world_size() > 1 and (ranks is None or len(ranks) != get_world_size()):
            runner.logger.warning(f'RNGStateHook: the checkpoint holds the RNG states of '
                                  f'{len(ranks) if ranks else 1} rank(s), this run has {get_world_size()}: '
                                  "every rank restores rank 0's state.")
            ranks = None
        set_rng_state(ranks[get_rank()] if ranks else state)
