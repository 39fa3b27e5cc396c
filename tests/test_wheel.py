"""The wheel, installed without dependencies into a fresh venv that sees the project venv's site-packages (no
second mmcv build), used from a directory outside the checkout: import, ``mixplugins::`` configs and
``mim train mixplugins`` for one iteration."""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser

import pytest
from packaging.requirements import Requirement

from helpers import REPO

DIGITS_CONFIG = 'samix/resnet18-cifar_1xb64-coslr-30e_digits.py'
# One iteration: 8 training images in one batch of 8; validation on 16 images at the end of the single epoch.
ONE_ITERATION = ['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=8', 'train_dataloader.batch_size=8',
                 'train_dataloader.num_workers=0', 'val_dataloader.dataset.indices=16',
                 'default_hooks.logger.interval=1']


def _run(args, **kwargs):
    proc = subprocess.run(args, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f'{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc


@pytest.fixture(scope='module')
def wheel_venv(tmp_path_factory):
    """Build the wheel from a copy of the checkout's files, then install it into a fresh venv."""
    tmp = tmp_path_factory.mktemp('wheel')
    files = _run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=REPO).stdout
    source = tmp / 'source'
    for name in filter(None, files.split('\0')):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(OMP_NUM_THREADS='1', PYTHONNOUSERSITE='1', PIP_DISABLE_PIP_VERSION_CHECK='1')
    _run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--wheel-dir',
          str(tmp / 'dist'), str(source)], env=env, cwd=tmp)
    wheel, = (tmp / 'dist').glob('mixplugins-*.whl')

    venv = tmp / 'venv'
    _run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], env=env)
    python = str(venv / 'bin' / 'python')
    site = _run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], env=env).stdout.strip()
    # A plain path line: the project venv's packages become importable; its .pth files (the editable install
    # of the checkout) are not processed.
    (tmp / 'venv' / site / 'project_venv.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    # --ignore-installed: pip leaves the project venv's editable mixplugins alone.
    _run([python, '-m', 'pip', 'install', '--no-deps', '--no-index', '--ignore-installed', str(wheel)], env=env)
    outside = tmp / 'outside'
    outside.mkdir()
    return dict(wheel=wheel, venv=venv, python=python, env=env, cwd=outside)


@pytest.mark.slow
def test_wheel_contents(wheel_venv):
    names = zipfile.ZipFile(wheel_venv['wheel']).namelist()
    assert 'mixplugins/.mim/configs/' + DIGITS_CONFIG in names
    assert 'mixplugins/.mim/tools/train.py' in names and 'mixplugins/.mim/model-index.yml' in names
    assert not [n for n in names if n.startswith(('tests/', 'work_dirs/')) or '/work_dirs/' in n
                or '__pycache__' in n or n.endswith(('.pyc', '.pyo', '.pth'))]


@pytest.mark.slow
def test_requires_dist_keeps_the_installed_torch(wheel_venv):
    """Installing the wheel into an environment with another torch patch release in range replaces nothing."""
    metadata = zipfile.ZipFile(wheel_venv['wheel']).read('mixplugins-0.1.0.dist-info/METADATA').decode()
    requires = {r.name: r for r in map(Requirement, Parser().parsestr(metadata).get_all('Requires-Dist'))
                if r.marker is None}
    assert all(requires['torch'].specifier.contains(v) for v in ('2.1.0', '2.1.1', '2.1.2'))
    # The resolver, offline, against the installed stack (torch 2.1.2, mmcv 2.1.0, ...): nothing to install.
    report = wheel_venv['cwd'] / 'report.json'
    _run([wheel_venv['python'], '-m', 'pip', 'install', '--dry-run', '--no-index', '--find-links',
          str(wheel_venv['wheel'].parent), '--report', str(report), 'mixplugins'],
         env=wheel_venv['env'], cwd=wheel_venv['cwd'])
    assert json.loads(report.read_text())['install'] == []


@pytest.mark.slow
def test_installed_package_resolves_mixplugins_configs(wheel_venv):
    (wheel_venv['cwd'] / 'child.py').write_text(f"_base_ = 'mixplugins::{DIGITS_CONFIG}'\n")
    script = f"""
import mixplugins
from mmengine.config import Config
from mmengine.hub import get_config, get_model
from mmengine.registry import MODELS, init_default_scope
from mmengine.utils import get_installed_path
print(mixplugins.__file__)
print(get_installed_path('mixplugins'))
print(get_config('mixplugins::{DIGITS_CONFIG}').filename)
print(type(get_model('mixplugins::{DIGITS_CONFIG}')).__name__)
init_default_scope('mmpretrain')
print(type(MODELS.build(Config.fromfile('child.py').model)).__name__)
"""
    out = _run([wheel_venv['python'], '-c', script], env=wheel_venv['env'], cwd=wheel_venv['cwd']).stdout.split()
    package = str(wheel_venv['venv'])
    assert out[0].startswith(package) and out[0].endswith('mixplugins/__init__.py')
    assert out[1].startswith(package)
    assert out[2] == os.path.join(out[1], '.mim', 'configs', DIGITS_CONFIG)
    assert out[3:] == ['ImageClassifier', 'ImageClassifier']


@pytest.mark.slow
def test_mim_train_mixplugins_one_iteration(wheel_venv):
    work_dir = wheel_venv['cwd'] / 'work'
    proc = _run([wheel_venv['python'], '-m', 'mim', 'train', 'mixplugins', os.path.basename(DIGITS_CONFIG),
                 '--work-dir', str(work_dir), '--cfg-options', *ONE_ITERATION],
                env=wheel_venv['env'], cwd=wheel_venv['cwd'])
    assert os.path.join(str(wheel_venv['venv']), '') in proc.stdout  # the config and train.py of the wheel
    assert (work_dir / 'epoch_1.pth').is_file()
    log, = work_dir.glob('*/*.log')
    assert 'Epoch(train) [1][1/1]' in log.read_text()
