"""Un-Mix / BSIM configs: every config builds; every CPU (digits) config trains a few iterations."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from helpers import REPO

import mixplugins  # noqa: F401

CONFIGS = sorted([*(REPO / 'configs/unmix').glob('*.py'), *(REPO / 'configs/bsim').glob('*.py')])
CPU_CONFIGS = [c for c in CONFIGS if c.name.endswith('_digits.py')]
IN1K_CONFIGS = [c for c in CONFIGS if c.name.endswith('_in1k.py')]
ALGORITHM = {'unmix-mocov2': 'UnMixMoCo', 'unmix-simclr': 'UnMixSimCLR', 'unmix-byol': 'UnMixBYOL',
             'bsim-mocov2': 'BSIMMoCo', 'bsim-simclr': 'BSIMSimCLR', 'bsim-byol': 'BSIMBYOL',
             'bsim-simsiam': 'BSIMSimSiam', 'wbsim-mocov2': 'BSIMMoCo', 'wbsim-simclr': 'BSIMSimCLR',
             'wbsim-byol': 'BSIMBYOL', 'wbsim-simsiam': 'BSIMSimSiam', 'simclr': 'SimCLR', 'byol': 'BYOL',
             'simsiam': 'SimSiam'}


def method(path: Path) -> str:
    return path.name.split('_')[0]


def test_every_method_has_an_imagenet_and_a_cpu_config():
    variants = {m for m in ALGORITHM if '-' in m}
    assert {method(c) for c in IN1K_CONFIGS} == variants
    assert {method(c) for c in CPU_CONFIGS} == set(ALGORITHM)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_config_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.model.type == ALGORITHM[method(path)]
    if '-' in method(path):
        model = MODELS.build(cfg.model)
        assert type(model).__name__ == cfg.model.type
        assert model.pairing == 'flip'
        if method(path).startswith('wbsim'):
            assert (model.w_bsim, model.w_sim) == (0.5, 0.5)
        elif method(path).startswith('bsim'):
            assert (model.w_bsim, model.w_sim) == (1.0, 0.0)


@pytest.mark.parametrize('path', IN1K_CONFIGS, ids=lambda p: p.name)
def test_imagenet_configs_keep_the_papers_settings(path):
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.depth == 50
    if 'mocov2' in path.name:  # MoCo v2: 200 epochs, SGD lr 0.03, 8 x 32, T 0.2, queue 65536
        assert cfg.train_cfg.max_epochs == 200 and cfg.optim_wrapper.optimizer.type == 'SGD'
        assert cfg.optim_wrapper.optimizer.lr == 0.03 and cfg.train_dataloader.batch_size == 32
        assert cfg.model.head.temperature == 0.2 and cfg.model.queue_len == 65536
    if method(path).startswith('unmix'):  # P = 0 (CutMix only) on ImageNet
        assert cfg.model.mix_policy.probs == [0.0, 1.0]


def tiny_runner_cfg(path: Path, work_dir: Path) -> Config:
    """The config with test-sized overrides: 2 iterations of 4 images at 16 px, a ResNet-18 of width 8."""
    cfg = Config.fromfile(path)
    cfg.model.backbone.update(stem_channels=8, base_channels=8)
    cfg.model.neck.in_channels = 64
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.batch_size = 4
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.dataset.indices = 8
    cfg.train_dataloader.dataset.pipeline[0].transforms[0][0].scale = 16
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]
    cfg.custom_hooks = [dict(type='RNGStateHook')]
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_level = 'WARNING'
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize('path', CPU_CONFIGS, ids=lambda p: p.name)
def test_cpu_config_trains(path, tmp_path):
    runner = Runner.from_cfg(tiny_runner_cfg(path, tmp_path))
    before = runner.model.backbone.conv1.weight.detach().clone()
    runner.train()
    assert runner.iter == 2
    assert not torch.equal(before, runner.model.backbone.conv1.weight.detach())
    scalars = runner.message_hub.log_scalars
    losses = [v.current() for k, v in scalars.items() if k.startswith('train/loss')]
    assert losses and all(torch.isfinite(torch.tensor(v)) for v in losses)
