"""Tests of tools/visualize_mixing.py on the embedded digits."""
import importlib.util
import os.path as osp

import pytest
import torch

TOOL = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools', 'visualize_mixing.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('visualize_mixing', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parse_policy_cfgs(tool):
    assert tool.parse_policy_cfgs("dict(type='CutMixPolicy', alpha=1.0)") == [
        dict(type='CutMixPolicy', alpha=1.0)
    ]
    assert tool.parse_policy_cfgs("[dict(type='MixupPolicy'), {'type': 'FMixPolicy', 'decay_power': 3}]") == [
        dict(type='MixupPolicy'), dict(type='FMixPolicy', decay_power=3)
    ]
    assert tool.parse_policy_cfgs(
        "dict(type='RandomChoicePolicy', policies=[dict(type='MixupPolicy')], probs=(0.5, ))") == [
            dict(type='RandomChoicePolicy', policies=[dict(type='MixupPolicy')], probs=(0.5, ))
        ]
    assert tool.parse_policy_cfgs(' FMixPolicy ') == [dict(type='FMixPolicy')]
    assert tool.parse_policy_cfgs("{'type': 'ResizeMixPolicy', 'scale': (0.1, -0.8)}")[0]['scale'] == (0.1, -0.8)
    for bad in ("dict(alpha=1.0)", "__import__('os').getcwd()", "dict(type='MixupPolicy'"):
        with pytest.raises(ValueError, match='--policy'):
            tool.parse_policy_cfgs(bad)


def test_grid_on_digits(tool, tmp_path):
    out = tmp_path / 'grid.png'
    rows = tool.main(['--policy', "[dict(type='MixupPolicy', alpha=1.0), dict(type='CutMixPolicy', alpha=1.0)]",
                      '--untrained-mixer', '--num-pairs', '3', '--seed', '1', '--out', str(out)])
    assert [row.label.split('(')[0].split(',')[0] for row in rows] == ['MixupPolicy', 'CutMixPolicy', 'SAMixMixer']
    from mmengine.config import Config
    cfg = Config.fromfile(tool.DEFAULT_CONFIG)
    size = cfg.val_dataloader.dataset.image_size
    source = tool.read_data_config(tool.DEFAULT_CONFIG)
    assert source.dataset['type'] == 'DigitsDataset' and source.dataset['split'] == 'val'
    torch.testing.assert_close(source.mean.flatten(), torch.tensor(cfg.data_preprocessor.mean) / 255)
    torch.testing.assert_close(source.std.flatten(), torch.tensor(cfg.data_preprocessor.std) / 255)
    images = tool.load_images(source, 6, seed=1)
    assert images.shape == (6, 3, size, size) and images.min() >= 0 and images.max() <= 1
    first, second = images[:3], images[3:]
    for row in rows:
        assert row.mixed.shape == (3, 3, size, size) and row.mask.shape == (3, 1, size, size)
        torch.testing.assert_close(row.mixed, row.mask * first + (1 - row.mask) * second)
        # Mixup: constant mask lam; CutMix: lam = 1 - box area / HW; mixer: lambda adjusting gives mean = lam
        torch.testing.assert_close(row.mask.mean(dim=(1, 2, 3)), row.lam, atol=1e-6, rtol=0)

    import matplotlib.image
    png = matplotlib.image.imread(str(out))
    assert png.shape[0] > png.shape[1] > 200  # 2 + 2 * 3 rows of images, 3 columns

    policy = tool.build_policies([dict(type='MixupPolicy', alpha=1.0)], [], False)[0][1]
    draws = [
        tool.mix_pairs('Mixup', policy, first, second, torch.Generator().manual_seed(3), source.mean, source.std).lam
        for _ in range(2)
    ]
    torch.testing.assert_close(draws[0], draws[1])  # seeded


def test_mask_spread_by_hand(tool):
    half = torch.tensor([0., 0., 1., 1.]).view(1, 1, 2, 2)
    blend = torch.full((1, 1, 2, 2), 0.3)
    assert tool.mask_spread(half) == pytest.approx(0.5)  # population std of {0, 0, 1, 1}
    assert tool.mask_spread(blend) == pytest.approx(0.0)
    assert tool.mask_spread(torch.cat([half, blend])) == pytest.approx(0.25)  # mean over samples
    quarter = torch.tensor([0., 0., 0., 1.]).view(1, 1, 2, 2)
    assert tool.mask_spread(quarter) == pytest.approx(3 ** 0.5 / 4)  # sqrt(mean((x - 1/4)^2)) = sqrt(3/16)


def test_mixer_checkpoint_row(tool, tmp_path):
    """A (randomly initialised) exported Mixer file goes through PretrainedMixerPolicy (SAMix^P)."""
    from mmpretrain.registry import MODELS
    from mixplugins.models.mixing.pretrained_mixer import EXPORT_FORMAT
    from mixplugins.utils.checkpoint import literal_config
    backbone_cfg = dict(type='ResNet_CIFAR', depth=18)
    mixer_cfg = dict(type='SAMixMixer', in_channels=256)
    checkpoint = tmp_path / 'mixer.pth'
    meta = dict(format=EXPORT_FORMAT, backbone=literal_config(backbone_cfg, 'backbone'),
                mixer=literal_config(mixer_cfg, 'mixer'), mixer_stage=2)
    torch.save(dict(meta=meta,
                    backbone=MODELS.build(backbone_cfg).state_dict(), mixer=MODELS.build(mixer_cfg).state_dict()),
               checkpoint)
    rows = tool.main(['--mixer-checkpoint', str(checkpoint), '--num-pairs', '2', '--out', str(tmp_path / 'p.png')])
    assert len(rows) == 1 and rows[0].label.startswith('PretrainedMixerPolicy')
    assert rows[0].mask.shape[:2] == (2, 1) and rows[0].mask.shape[2:] == rows[0].mixed.shape[2:]
    torch.testing.assert_close(rows[0].mask.mean(dim=(1, 2, 3)), rows[0].lam, atol=1e-6, rtol=0)


def test_fallback_without_config_is_the_digits_val_split(tool):
    from mixplugins.datasets.digits import DigitsDataset
    source = tool.read_data_config(None)
    assert source.dataset == dict(type='DigitsDataset', split='val') and not source.to_rgb
    images = tool.load_images(source, 4, seed=0)
    dataset = DigitsDataset(split='val')
    size = dataset[0]['img'].shape[0]
    assert images.shape == (4, 3, size, size) and 0 <= images.min() < images.max() <= 1


def test_bad_arguments(tool, tmp_path):
    out = str(tmp_path / 'x.png')
    with pytest.raises(KeyError, match='policy type must be one of'):
        tool.main(['--policy', "dict(type='NoSuchPolicy')", '--out', out])
    with pytest.raises(FileNotFoundError, match='--mixer-checkpoint'):
        tool.main(['--mixer-checkpoint', str(tmp_path / 'missing.pth'), '--out', out])
    with pytest.raises(FileNotFoundError, match='--config'):
        tool.main(['--config', str(tmp_path / 'missing.py'), '--out', out])
    with pytest.raises(ValueError, match='--num-pairs'):
        tool.main(['--num-pairs', '0', '--out', out])


def test_self_supervised_config_uses_whole_train_images(tool):
    """An SSL config has no val_dataloader and a multi-view training pipeline: the grid gets the unaugmented
    train images (loading steps only)."""
    config = osp.join(osp.dirname(osp.dirname(TOOL)), 'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-50e_digits.py')
    source = tool.read_data_config(config)
    assert source.dataset['type'] == 'DigitsDataset' and source.dataset['split'] == 'train'
    assert source.dataset['pipeline'] == []
    images = tool.load_images(source, 2, seed=0)
    assert images.shape == (2, 3, 24, 24)
