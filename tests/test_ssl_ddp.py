"""2-process CPU DDP runs of a MoCo-based and the SimCLR-based BSIM variant through tools/dist_train.sh (issue
4):
gradients synchronised, MoCo's queue filled with the keys of the GLOBAL batch (identical on both ranks)."""
import os
import subprocess
import sys

import pytest
import torch

from helpers import REPO, free_port

pytestmark = pytest.mark.slow


def ddp_run(tmp_path, config: str):
    lines = [f"_base_ = ['{REPO / config}']",
             "custom_imports = dict(imports=['mixplugins', 'helpers.probe'], allow_failed_imports=False)",
             "custom_hooks = [dict(type='ProbeHook'), dict(type='RNGStateHook')]",
             "train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False, "
             "dataset=dict(image_size=16, indices=16))",
             "model = dict(backbone=dict(stem_channels=8, base_channels=8), neck=dict(in_channels=64))",
             "train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)",
             "param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]",
             "default_hooks = dict(checkpoint=None, logger=dict(type='LoggerHook', interval=1))"]
    cfg = tmp_path / 'ddp_cfg.py'
    cfg.write_text('\n'.join(lines) + '\n')
    proc = subprocess.run(['bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir', str(tmp_path / 'w')],
                          cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, 'PYTHONPATH': f'{REPO}:{REPO / "tests"}',
                               'PYTHON': sys.executable, 'PORT': str(free_port())})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return [torch.load(tmp_path / 'w' / f'probe_rank{r}.pt') for r in (0, 1)]


def assert_synchronised(r0, r1):
    assert len(r0['losses']) == len(r1['losses']) == 2  # 16 samples / (2 ranks x 4)
    assert not set(r0['samples']) & set(r1['samples'])
    for name, p0 in r0['params'].items():
        assert torch.equal(p0, r1['params'][name]), f'{name} differs between ranks'
    assert any(not torch.equal(p, r0['init_params'][n]) for n, p in r0['params'].items())


def test_ddp_wbsim_moco(tmp_path):
    r0, r1 = ddp_run(tmp_path, 'configs/bsim/wbsim-mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py')
    assert_synchronised(r0, r1)
    queue0, queue1 = r0['buffers']['queue'], r1['buffers']['queue']
    assert int(r0['buffers']['queue_ptr']) == 16  # 2 iterations x global batch 8
    assert torch.equal(queue0, queue1)


def test_ddp_bsim_simclr(tmp_path):
    config = 'configs/bsim/bsim-simclr_resnet18-cifar_1xb64-coslr-30e_digits.py'
    assert_synchronised(*ddp_run(tmp_path, config))
