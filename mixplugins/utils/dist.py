"""The CPU path of torch.distributed under MMEngine's launchers.

MMEngine's pytorch launcher calls ``torch.cuda.set_device`` and initialises the config's backend (``nccl`` in
every mmpretrain config), and ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]`` to DDP. On a machine
without CUDA all three fail. :func:`apply_cpu_distributed_shim` makes the launcher use ``gloo`` without
``set_device`` and lets DDP wrap a CPU module without ``device_ids``. It does nothing when CUDA is available,
so GPU runs keep upstream behaviour exactly.
"""
import functools

import torch


def apply_cpu_distributed_shim() -> bool:
    """Patch MMEngine's pytorch launcher and DDP wrapper for CPU-only machines; returns whether it applied."""
    if torch.cuda.is_available():
        return False
    import mmengine.dist.utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel
    if getattr(dist_utils._init_dist_pytorch, '_mixplugins_cpu', False):
        return True

    def _init_dist_pytorch_cpu(backend, init_backend='torch', **kwargs):
        import os
        torch.distributed.init_process_group(
            backend='gloo', rank=int(os.environ['RANK']), world_size=int(os.environ['WORLD_SIZE']), **kwargs)

    _init_dist_pytorch_cpu._mixplugins_cpu = True
    dist_utils._init_dist_pytorch = _init_dist_pytorch_cpu

    ddp_init = MMDistributedDataParallel.__init__

    @functools.wraps(ddp_init)
    def ddp_init_cpu(self, module, *args, **kwargs):
        kwargs.pop('device_ids', None)
        ddp_init(self, module, *args, **kwargs)

    MMDistributedDataParallel.__init__ = ddp_init_cpu
    return True
