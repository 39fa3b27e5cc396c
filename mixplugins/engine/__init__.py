from . import hooks  # noqa: F401
from .optim_wrappers import BF16AmpOptimWrapper, use_amp

__all__ = ['BF16AmpOptimWrapper', 'use_amp']
