"""End-to-end runs: the README demo (`make demo`'s config through the demo tool and `mim train`), and on the
MoCo v2 demo config 2-process CPU DDP and resume determinism."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import REPO, TINY_KNN, free_port, tiny_cfg_options

DEMO = REPO / 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'
README_DEMO = re.search(r'^DEMO \?= (\S+)$', (REPO / 'Makefile').read_text(), re.M).group(1)
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def run(cmd, **env):
    proc = subprocess.run([str(c) for c in cmd], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, 'PYTHONPATH': f'{REPO}:{REPO / "tests"}', **env}, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout + proc.stderr


def probe_config(tmp_path, **overrides) -> Path:
    """A config inheriting the demo, tiny, with the test probe hook (losses, samples, final params)."""
    lines = [f"_base_ = ['{DEMO}']",
             "custom_imports = dict(imports=['mixplugins', 'helpers.probe'], allow_failed_imports=False)",
             "custom_hooks = [dict(type='ProbeHook'), dict(type='RNGStateHook')]",
             "train_dataloader = dict(batch_size=4, num_workers=0, dataset=dict(image_size=16, indices=32))",
             "default_hooks = dict(logger=dict(interval=1))"]
    lines += [f'{k} = {v!r}' for k, v in overrides.items()]
    path = tmp_path / 'probe_cfg.py'
    path.write_text('\n'.join(lines) + '\n')
    return path


def test_demo_tool_through_mim_train(tmp_path):
    """`make demo`'s config (Un-Mix SimCLR) through `tools/demo.py`: `mim train mmpretrain CONFIG` from the repo root,
    the kNN monitor every epoch, the side-by-side baselines, the learning curves and its mixing masks."""
    assert README_DEMO.startswith('configs/demo/unmix-simclr_')
    out = run([sys.executable, 'tools/demo.py', README_DEMO, '--work-dir', tmp_path / 'w', '--knn-interval', '1',
               *tiny_cfg_options(**{'train_cfg.max_epochs': 2, 'param_scheduler.0.T_max': 2,
                                    'param_scheduler.0.end': 2}, **TINY_KNN)])
    assert 'mim' in out
    for label in ('raw pixels', 'random init (BN of the data)', 'random init (initial BN buffers)',
                  'trained backbone', 'mean per-sample std'):
        assert label in out, label
    knn = json.loads((tmp_path / 'w' / 'knn.json').read_text())['results']
    assert set(knn) == {'random_init', 'random_init_default_bn', 'epoch_1', 'trained'}
    assert all(0 <= r['top1'] <= 100 for r in knn.values())
    spread = float(re.search(r'mean per-sample std (\d\.\d+)', out).group(1))
    assert 0 <= spread <= 0.5
    for picture in ('masks.png', 'curves.png'):
        assert (tmp_path / 'w' / picture).stat().st_size > 0


def test_two_process_cpu_ddp_syncs_gradients(tmp_path):
    cfg = probe_config(tmp_path, train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1))
    run(['bash', 'tools/dist_train.sh', cfg, 2, '--work-dir', tmp_path / 'w'],
        PYTHON=sys.executable, PORT=str(free_port()))
    r0, r1 = (torch.load(tmp_path / 'w' / f'probe_rank{r}.pt') for r in (0, 1))
    assert len(r0['losses']) == len(r1['losses']) == 4  # 32 samples / (2 ranks x 4)
    assert r0['params'].keys() == r1['params'].keys()
    for name, p0 in r0['params'].items():
        assert torch.equal(p0, r1['params'][name]), f'{name} differs between ranks'
    assert not set(r0['samples']) & set(r1['samples']), 'ranks saw the same samples'
    assert len(set(r0['samples']) | set(r1['samples'])) == 32
    moved = [n for n, p in r0['params'].items() if not torch.equal(p, r0['init_params'][n])]
    assert moved, 'no parameter changed: nothing was trained'


def test_resume_continues_with_identical_losses(tmp_path):
    """Train 2 epochs straight vs 1 epoch + `--resume` for the 2nd: the 2nd epoch's losses are identical."""
    cfg = probe_config(tmp_path, train_dataloader=dict(batch_size=4, num_workers=0,
                                                       dataset=dict(image_size=16, indices=16)))
    def train(work_dir, epochs, *extra):
        run([sys.executable, 'tools/train.py', cfg, '--work-dir', work_dir, *extra,
             '--cfg-options', f'train_cfg.max_epochs={epochs}'])
        return torch.load(work_dir / 'probe_rank0.pt')['losses']

    straight = train(tmp_path / 'a', 2)
    first = train(tmp_path / 'b', 1)
    resumed = train(tmp_path / 'b', 2, '--resume')
    assert sorted(straight) == list(range(8)) and sorted(first) == list(range(4))
    assert sorted(resumed) == list(range(4, 8))
    for it in range(4):
        assert first[it] == pytest.approx(straight[it], abs=1e-6)
    for it in range(4, 8):
        assert resumed[it] == pytest.approx(straight[it], abs=1e-6), f'iteration {it} differs after resume'
