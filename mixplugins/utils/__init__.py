from .config_compat import apply_collate_scope_fix
from .dist import apply_cpu_distributed_shim

__all__ = ['apply_collate_scope_fix', 'apply_cpu_distributed_shim']
