"""bf16 mixed precision on any device, CPU included (MMEngine's ``AmpOptimWrapper`` asserts an accelerator)."""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()  # MMEngine's root registry: found from the mmpretrain and mmdet scopes
class BF16AmpOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward (data preprocessor and loss) runs under ``torch.autocast(device_type,
    dtype=torch.bfloat16)``, ``device_type`` that of the model's parameters (``'cpu'`` or ``'cuda'``).

    No loss scaling: bf16 keeps float32's 8 exponent bits, so gradients do not underflow as in fp16 and
    MMEngine's ``GradScaler`` (CUDA only) is not needed. Config: ``optim_wrapper = dict(type='BF16AmpOptimWrapper',
    optimizer=...)``; ``tools/train.py --amp`` selects it on a machine without CUDA.
    """

    @contextmanager
    def optim_context(self, model: torch.nn.Module):
        device_type = next(model.parameters()).device.type
        with super().optim_context(model), torch.autocast(device_type=device_type, dtype=torch.bfloat16):
            yield


def use_amp(cfg, device_type: str) -> str:
    """``--amp`` of ``tools/train.py`` and ``tools/dry_run.py``: on CUDA, MMEngine's ``AmpOptimWrapper`` (fp16
    autocast, dynamic loss scale); elsewhere :class:`BF16AmpOptimWrapper`. Sets ``cfg.optim_wrapper`` in place and
    returns the precision's name (``'AMP fp16'`` or ``'AMP bf16'``)."""
    if device_type == 'cuda':
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        return 'AMP fp16'
    cfg.optim_wrapper.type = 'BF16AmpOptimWrapper'
    return 'AMP bf16'
