import os
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# Overrides that shrink any digits config to a few seconds: 16 px images, small batches, no workers.
TINY_DIGITS = {
    'train_dataloader.batch_size': 8,
    'train_dataloader.num_workers': 0,
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


@pytest.fixture(autouse=True)
def mmpretrain_default_scope():
    """Registries resolve names in mmpretrain's scope, as configs with default_scope='mmpretrain' do."""
    from mmengine.registry import DefaultScope
    import mixplugins  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield
