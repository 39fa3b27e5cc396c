from . import hooks  # noqa: F401
from .optim_wrappers import BF16AmpOptimWrapper

__all__ = ['BF16AmpOptimWrapper']
