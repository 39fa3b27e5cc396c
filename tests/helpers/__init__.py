"""Helpers shared by the tests (``conftest.py`` keeps only fixtures): the repository root, a free TCP port, and
the overrides that shrink a digits config to a few seconds. Submodules: :mod:`helpers.ssl_models` (tiny SSL
models for the Un-Mix / BSIM reductions), :mod:`helpers.det_data` (generated VOC / COCO folders and tiny
detection configs), :mod:`helpers.probe` (the ``ProbeHook`` that end-to-end runs import via custom_imports)."""
import socket
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# Overrides that shrink any digits config to a few seconds: 16 px images, small batches, no workers.
TINY_DIGITS = {
    'train_dataloader.batch_size': 8,
    'train_dataloader.num_workers': 0,
    'train_dataloader.persistent_workers': False,  # the demo config's True needs workers
    'train_dataloader.dataset.image_size': 16,
    'train_dataloader.dataset.indices': 32,
}


# The same for the kNN monitor (custom_hooks[0] in the digits SSL configs): 64 memory and 32 query images.
TINY_KNN = {f'custom_hooks.0.{split}_dataloader.dataset.{key}': value
            for split, n in (('train', 64), ('val', 32))
            for key, value in (('indices', n), ('image_size', 16))}


def tiny_cfg_options(**extra) -> list:
    """`--cfg-options` arguments for a tiny run of a digits config."""
    opts = {**TINY_DIGITS, **extra}
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]
