"""Argument checks on tensor values without a host-device synchronisation in a training step."""
import torch
from torch import Tensor


def check_async(condition: Tensor, message: str) -> None:
    """Raise ``ValueError(message)`` unless the one-element boolean ``condition`` holds.

    The check is ``torch._assert_async``: a CPU tensor is checked at once (its RuntimeError becomes the
    ValueError); on CUDA the check runs on the device without synchronising, and a failure is a device-side
    assert reported at a later CUDA call.
    """
    try:
        torch._assert_async(condition, message)
    except RuntimeError as error:
        raise ValueError(message) from error
