from .dist import apply_cpu_distributed_shim
from .setup_env import register_all_modules

__all__ = ['apply_cpu_distributed_shim', 'register_all_modules']
