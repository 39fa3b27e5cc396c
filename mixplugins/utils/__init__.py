from .checkpoint import (UnsafePickleError, literal_config, load_weights_file, parse_literal_config,
                         unsafe_file_error)
from .config_compat import apply_collate_scope_fix
from .dist import apply_cpu_distributed_shim
from .setup_env import register_all_modules

__all__ = [
    'apply_collate_scope_fix', 'apply_cpu_distributed_shim', 'register_all_modules', 'UnsafePickleError',
    'load_weights_file', 'unsafe_file_error', 'literal_config', 'parse_literal_config'
]
