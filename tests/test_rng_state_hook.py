"""RNGStateHook: every rank's RNG state is saved and each rank restores its own (two ranks simulated: the
gather and the rank come from mmengine.dist, patched here; the real 2-process runs are in test_ssl_ddp.py)."""
import random
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.hooks import CheckpointHook

from mixplugins.engine.hooks import rng_state_hook
from mixplugins.engine.hooks.rng_state_hook import RNGStateHook, rng_state, set_rng_state


def _draws():
    return random.random(), float(np.random.rand()), float(torch.rand(()))


def _seed(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def test_each_rank_restores_its_own_stream(monkeypatch):
    states = []
    for rank_seed in (10, 11):  # diff_rank_seed=True: seed + rank
        _seed(rank_seed)
        _draws()
        states.append(rng_state())
    expected = []
    for state in states:
        set_rng_state(state)
        expected.append(_draws())
    assert expected[0] != expected[1]

    monkeypatch.setattr(rng_state_hook, 'get_world_size', lambda: 2)
    monkeypatch.setattr(rng_state_hook, 'all_gather_object', lambda obj: states)
    runner = SimpleNamespace(hooks=[CheckpointHook(interval=1, by_epoch=True)], logger=None)
    hook = RNGStateHook()
    set_rng_state(states[0])
    hook.after_train_iter(runner, 0)  # epoch-based checkpoints: no gather per iteration
    assert hook._rank_states is None
    hook.after_train_epoch(runner)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)  # rank 0 writes the file
    for rank in (1, 0):
        monkeypatch.setattr(rng_state_hook, 'get_rank', lambda rank=rank: rank)
        _seed(99)
        RNGStateHook().after_load_checkpoint(runner, checkpoint)
        assert _draws() == expected[rank]

    iter_runner = SimpleNamespace(hooks=[CheckpointHook(interval=10, by_epoch=False)])
    iter_hook = RNGStateHook()
    iter_hook.after_train_iter(iter_runner, 0)
    assert iter_hook._rank_states == states


def test_single_process_and_other_world_sizes(monkeypatch):
    warnings = []
    runner = SimpleNamespace(hooks=[], logger=SimpleNamespace(warning=warnings.append))
    _seed(3)
    hook, checkpoint = RNGStateHook(), {}
    hook.after_train_epoch(runner)  # world size 1: nothing gathered
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['rng_state']['ranks'] is None
    expected = _draws()
    _seed(4)
    hook.after_load_checkpoint(runner, checkpoint)
    assert _draws() == expected and not warnings
    # a single-process checkpoint resumed by 2 ranks: rank 0's state everywhere, said in the log
    monkeypatch.setattr(rng_state_hook, 'get_world_size', lambda: 2)
    monkeypatch.setattr(rng_state_hook, 'get_rank', lambda: 1)
    _seed(4)
    hook.after_load_checkpoint(runner, checkpoint)
    assert _draws() == expected
    assert len(warnings) == 1 and '1 rank(s), this run has 2' in warnings[0]
    hook.after_load_checkpoint(runner, {})
    assert 'no rng_state' in warnings[-1]
