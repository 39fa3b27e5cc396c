"""Random-number-generator state in checkpoints, so that a resumed run continues the same random stream."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Saves the python, numpy and torch RNG states into checkpoints and restores them on resume.

    With a fixed seed and ``num_workers=0`` (or mmengine's per-worker seeding without persistent workers), an
    interrupted and resumed run then draws the same augmentations, pairings and mixing ratios as an
    uninterrupted one. Checkpoints are written by rank 0 only, so its state is the one saved; with mmengine's
    default ``diff_rank_seed=False`` every rank starts from the same seed and draws the same number of random
    numbers per step, so all ranks restore that state.
    """
    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = dict(
            python=random.getstate(), numpy=np.random.get_state(), torch=torch.get_rng_state())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get('rng_state')
        if state is None:
            runner.logger.warning('RNGStateHook: the checkpoint has no rng_state; random streams restart.')
            return
        random.setstate(state['python'])
        np.random.set_state(state['numpy'])
        torch.set_rng_state(state['torch'])
