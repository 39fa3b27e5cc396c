"""BatchNorm statistics of a randomly initialised network, for a fair random-init baseline."""
import copy
from typing import Iterable

import torch
from mmengine.dist import all_reduce, get_world_size
from torch import nn


def has_untracked_batchnorm(module: nn.Module) -> bool:
    """True if some BatchNorm layer of ``module`` never updated its running statistics."""
    return any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats and int(m.num_batches_tracked) == 0
        for m in module.modules())


@torch.no_grad()
def calibrate_batchnorm(module: nn.Module, batches: Iterable[torch.Tensor]) -> nn.Module:
    """A copy of ``module`` whose BatchNorm running statistics are estimated on ``batches``; weights unchanged.

    A fresh BN layer stores ``mean = 0, var = 1``, so in eval mode it is the identity and an untrained deep
    network evaluates as an un-normalised random projection of the pixels. Its eval-mode features then
    measure the initial BN buffers rather than the random weights. This copy instead uses the cumulative
    average over the batches, ``mu = mean_b mu_b``, ``sigma^2 = mean_b sigma_b^2`` (PyTorch's
    ``momentum=None``), averaged over the ranks under torch.distributed. ``module`` itself (and the global RNG
    state) is left untouched.
    """
    calibrated = copy.deepcopy(module)
    norms = [m for m in calibrated.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
    calibrated.train()
    with torch.random.fork_rng(devices=[]):
        for inputs in batches:
            calibrated(inputs)
    if get_world_size() > 1:
        for norm in norms:
            all_reduce(norm.running_mean, op='mean')
            all_reduce(norm.running_var, op='mean')
    originals = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm, original in zip(norms, originals):
        norm.momentum = original.momentum
    calibrated.eval()  # not chained: some mmpretrain backbones' train() returns None
    return calibrated
