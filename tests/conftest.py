import os
import sys

import pytest

from helpers import REPO

sys.path.insert(0, str(REPO))
os.environ.setdefault('OMP_NUM_THREADS', '2')


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(autouse=True)
def mmpretrain_default_scope():
    """Registries resolve names in mmpretrain's scope, as configs with default_scope='mmpretrain' do."""
    from mmengine.registry import DefaultScope
    import mixplugins  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield
