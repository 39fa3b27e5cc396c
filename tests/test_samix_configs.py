"""SAMix / AutoMix configs: the CPU configs train a few iterations, SAMix-C resumes its clustering state,
SAMix^P configs build on an exported Mixer, SAMix-I trains under 2-process CPU DDP."""
import copy
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

import mixplugins  # noqa: F401
from helpers import REPO, free_port

pytestmark = pytest.mark.slow

CPU_CONFIGS = [
    'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-50e_digits.py',
    'configs/samix/samix-c_resnet18-cifar_1xb64-coslr-50e_digits.py',
    'configs/samix/samix_resnet18-cifar_1xb64-coslr-30e_digits.py',
    'configs/automix/automix_resnet18-cifar_1xb64-coslr-30e_digits.py',
]
TINY_MODEL = dict(backbone=dict(stem_channels=8, base_channels=8))


def tiny_cfg(path: str, work_dir: Path, max_epochs: int = 1) -> Config:
    """The config on 16 images of 16 px, batch 8, a ResNet_CIFAR-18 with 8 base channels, no kNN monitor."""
    cfg = Config.fromfile(str(REPO / path))
    cfg.work_dir = str(work_dir)
    cfg.merge_from_dict(dict(model=TINY_MODEL, train_cfg=dict(max_epochs=max_epochs),
                             train_dataloader=dict(batch_size=8, num_workers=0,
                                                   dataset=dict(image_size=16, indices=16)),
                             default_hooks=dict(logger=dict(interval=1))))
    model = cfg.model
    channels = dict(SAMixMoCo=(32, 64), SAMixClassifier=(32, 64))[model.type]
    model.mixer.in_channels = channels[0]
    if model.type == 'SAMixMoCo':
        model.neck.in_channels, model.neck.hid_channels, model.queue_len = channels[1], 32, 16
    else:
        model.head.in_channels = channels[1]
    if model.get('clustering'):
        model.clustering.update(num_samples=16, num_clusters=4, update_interval=1)
    if cfg.get('val_dataloader'):
        cfg.merge_from_dict(dict(val_dataloader=dict(dataset=dict(image_size=16, indices=16))))
    cfg.custom_hooks = [h for h in cfg.custom_hooks if h['type'] != 'KNNEvalHook']
    return cfg


def checkpoint_state(work_dir: Path, epoch: int) -> dict:
    return torch.load(work_dir / f'epoch_{epoch}.pth', map_location='cpu')


@pytest.mark.parametrize('path', [CPU_CONFIGS[0], CPU_CONFIGS[3]])
def test_cpu_config_trains(tmp_path, path):
    runner = Runner.from_cfg(tiny_cfg(path, tmp_path))
    runner.train()
    state = checkpoint_state(tmp_path, 1)['state_dict']
    assert any(k.startswith('mixer.') for k in state)
    model = runner.model
    # after 2 of 2 iterations: beta = 0.1 (1 - 1/2) was the value of the last step, m = 1 at the end
    assert model.mask_loss_weight == pytest.approx(0.05)
    assert math.isfinite(runner.message_hub.get_scalar('train/loss_mixer').current())


def test_samix_c_clustering_state_restored_on_resume(tmp_path):
    """Trains the CPU SAMix-C config (2 iterations), then resumes from its checkpoint."""
    path = CPU_CONFIGS[1]
    Runner.from_cfg(tiny_cfg(path, tmp_path)).train()
    saved = {k: v for k, v in checkpoint_state(tmp_path, 1)['state_dict'].items() if k.startswith('memory.')}
    assert int(saved['memory.num_updates']) == 2 and bool(saved['memory.visited'].all())
    labels = saved['memory.labels']
    assert int(labels.min()) >= 0 and int(labels.max()) < 4
    assert bool((torch.bincount(labels, minlength=4) > 0).all())
    cfg = tiny_cfg(path, tmp_path)
    cfg.resume = True
    runner = Runner.from_cfg(cfg)
    runner.train()  # resumes at epoch 1 of 1: loads the checkpoint, trains nothing
    for key, value in saved.items():
        assert torch.equal(runner.model.state_dict()[key], value), key


def test_samix_p_configs_build_on_an_exported_mixer(tmp_path):
    """Trains the CPU supervised SAMix config, exports its Mixer (the runner's checkpoint needs the opt-in),
    builds every SAMix^P config on it."""
    from mixplugins.utils.checkpoint import UnsafePickleError
    from tools.model_converters.export_mixer import export
    runner = Runner.from_cfg(tiny_cfg(CPU_CONFIGS[2], tmp_path))
    runner.train()
    mixer_file = tmp_path / 'mixer.pth'
    with pytest.raises(UnsafePickleError, match='Unsupported class mmengine.logging.history_buffer.HistoryBuffer'):
        export(str(tmp_path / 'epoch_1.pth'), str(mixer_file))
    # model config read from the checkpoint's meta
    export(str(tmp_path / 'epoch_1.pth'), str(mixer_file), allow_unsafe_pickle=True)
    torch.load(mixer_file, weights_only=True)
    for path in ['configs/samix/samix-p_mocov2_resnet50_8xb32-coslr-200e_in1k.py',
                 'configs/samix/samix-p_resnet50_8xb32-coslr-100e_in1k.py',
                 'configs/samix/samix-p_resnet18-cifar_1xb64-coslr-30e_digits.py']:
        cfg = Config.fromfile(str(REPO / path))
        with pytest.raises(FileNotFoundError, match='checkpoint'):
            with DefaultScope.overwrite_default_scope('mmpretrain'):
                MODELS.build(copy.deepcopy(cfg.model))
        model_cfg = copy.deepcopy(cfg.model)
        target = model_cfg.get('mix_policy') or model_cfg.train_cfg.augments
        target.checkpoint = str(mixer_file)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            assert MODELS.build(model_cfg) is not None


def test_samix_i_two_process_cpu_ddp(tmp_path):
    cfg_file = tmp_path / 'samix_i_ddp.py'
    cfg_file.write_text(
        f"_base_ = ['{REPO / CPU_CONFIGS[0]}']\n"
        "model = dict(backbone=dict(stem_channels=8, base_channels=8), mixer=dict(in_channels=32),\n"
        "             neck=dict(in_channels=64, hid_channels=32), queue_len=32)\n"
        "train_dataloader = dict(batch_size=4, num_workers=0, dataset=dict(image_size=16, indices=32))\n"
        "train_cfg = dict(max_epochs=1)\n"
        "default_hooks = dict(logger=dict(interval=1))\n"
        # the schedules and the per-rank RNG states under DDP; no kNN monitor (slow)
        "custom_hooks = [dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0),\n"
        "                dict(type='AttrScheduleHook', attr='momentum_coefficient', start=0.99, end=1.0,\n"
        "                     curve='cosine'), dict(type='RNGStateHook')]\n")
    env = {**os.environ, 'PYTHON': sys.executable, 'PORT': str(free_port()), 'PYTHONPATH': str(REPO),
           'OMP_NUM_THREADS': '1'}
    cmd = ['bash', 'tools/dist_train.sh', str(cfg_file), '2', '--work-dir', str(tmp_path / 'w')]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    log = proc.stdout + proc.stderr
    # 32 images, 4 per process and 2 processes: 4 iterations per epoch
    assert 'loss_mixer' in log and '[1][4/4]' in log
    checkpoint = torch.load(tmp_path / 'w' / 'epoch_1.pth', map_location='cpu')
    assert any(k.startswith('mixer.') for k in checkpoint['state_dict'])
    ranks = checkpoint['rng_state']['ranks']  # both ranks' streams (diff_rank_seed=True: they differ)
    assert len(ranks) == 2 and not torch.equal(ranks[0]['torch'], ranks[1]['torch'])
