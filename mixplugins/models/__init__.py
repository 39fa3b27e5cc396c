from . import algorithms, heads, losses, mixers, mixing  # noqa: F401  (registration side effects)
