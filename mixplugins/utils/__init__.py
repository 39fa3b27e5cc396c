from .checkpoint import (UnsafePickleError, check_backbone_checkpoint, check_pretrained_init, literal_config,
                         load_weights_file, parse_literal_config, read_backbone_weights, select_prefix,
                         unsafe_file_error)
from .config_compat import apply_collate_scope_fix
from .dist import apply_cpu_distributed_shim
from .setup_env import register_all_modules

__all__ = [
    'apply_collate_scope_fix', 'apply_cpu_distributed_shim', 'register_all_modules', 'UnsafePickleError',
    'load_weights_file', 'unsafe_file_error', 'literal_config', 'parse_literal_config', 'select_prefix',
    'read_backbone_weights', 'check_backbone_checkpoint', 'check_pretrained_init'
]
