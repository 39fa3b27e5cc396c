from .checkpoint import (UnsafePickleError, literal_config, load_weights_file, parse_literal_config,
                         unsafe_file_error)
from .dist import apply_cpu_distributed_shim

__all__ = [
    'apply_cpu_distributed_shim', 'UnsafePickleError', 'load_weights_file', 'unsafe_file_error', 'literal_config',
    'parse_literal_config'
]
