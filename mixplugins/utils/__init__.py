from .dist import apply_cpu_distributed_shim

__all__ = ['apply_cpu_distributed_shim']
