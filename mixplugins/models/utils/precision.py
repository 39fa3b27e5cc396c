"""A safe precision for the numerically delicate steps of mixing under mixed-precision training.

Under ``torch.autocast`` (``--amp``: fp16 on CUDA; bf16 on CPU) convolutions and matmuls return fp16 / bf16
tensors. fp16 keeps 11 significant bits and overflows above 65504; bf16 keeps 8 bits (relative rounding
2^-9, about 2e-3). The mixing masks, the mixing itself, the lambda adjusting (a division by the mask mean),
the mask loss and every mixup loss (log-softmax, BCE, soft targets) are computed by pure functions decorated
with :func:`full_precision`: autocast off, low-precision floating inputs upcast to float32. float32 and float64
inputs are passed through untouched, so full-precision numbers are unchanged.
"""
import functools
from typing import Callable

import torch


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype the delicate steps run in: float32 for fp16 / bf16, the dtype itself for float32 / float64."""
    return torch.promote_types(dtype, torch.float32)


def upcast(value):
    """A low-precision floating tensor as float32; anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.to(compute_dtype(value.dtype))
    return value


def full_precision(fn: Callable) -> Callable:
    """Decorator: run ``fn`` with autocast disabled on its tensors' device and its fp16 / bf16 tensor
    arguments upcast to float32 (:func:`upcast`); it returns what ``fn`` returns."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = [upcast(a) for a in args]
        kwargs = {k: upcast(v) for k, v in kwargs.items()}
        device_type = next((a.device.type for a in (*args, *kwargs.values()) if isinstance(a, torch.Tensor)),
                           'cpu')
        with torch.autocast(device_type=device_type, enabled=False):
            return fn(*args, **kwargs)

    return wrapper
