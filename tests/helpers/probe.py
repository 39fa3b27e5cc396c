"""A test-only hook that records what each rank trained on and ended with (imported via custom_imports as
``helpers.probe``, with ``tests/`` on PYTHONPATH)."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


def unwrap(runner):
    return runner.model.module if is_model_wrapper(runner.model) else runner.model


@HOOKS.register_module()
class ProbeHook(Hook):
    """Writes ``probe_rank{r}.pt`` = dict(losses per iter, sample indices seen, initial and final parameters,
    final buffers, e.g. MoCo's queue)."""

    def before_train(self, runner):
        self.record = dict(losses={}, samples=[],
                           init_params={k: v.detach().clone() for k, v in unwrap(runner).named_parameters()})

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.record['losses'][runner.iter] = float(outputs['loss'])
        self.record['samples'].extend(int(s.sample_idx) for s in data_batch['data_samples'])

    def after_train(self, runner):
        model = unwrap(runner)
        self.record['params'] = {k: v.detach().clone() for k, v in model.named_parameters()}
        self.record['buffers'] = {k: v.detach().clone() for k, v in model.named_buffers()}
        torch.save(self.record, osp.join(runner.work_dir, f'probe_rank{get_rank()}.pt'))
