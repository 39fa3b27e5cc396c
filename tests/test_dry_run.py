"""tools/dry_run.py: every real-scale config (ImageNet, CIFAR, Tiny-ImageNet, VOC, COCO) runs through its Runner
on synthetic data (slow), and the parts of the tool on tiny inputs."""
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools'))
import dry_run  # noqa: E402

REAL_SCALE_CONFIGS = sorted(str(p.relative_to(REPO)) for p in (REPO / 'configs').rglob('*.py')
                            if '_base_' not in p.parts and 'digits' not in p.name)

# Detection at a CPU-sized scale: single-scale 333 x 200 resize; the C4 RoI head (ResNet stage 5 on every sampled
# RoI) on 32 RoIs per image instead of 512.
SMALL_DET = ['--img-scale', '333', '200']
SMALL_C4 = SMALL_DET + ['--cfg-options', 'model.train_cfg.rcnn.sampler.num=32']
C4_BOF = 'configs/benchmarks/mmdetection/voc0712/faster-rcnn_r50-c4_ms-24k_voc0712_bof.py'
FPN_BOF = 'configs/bof/faster-rcnn_r50_fpn_bof_voc0712.py'
UNMIX = 'configs/unmix/unmix-mocov2_resnet50_8xb32-coslr-200e_in1k.py'
EXTRA_ARGS = {
    FPN_BOF: SMALL_DET,
    'configs/bof/faster-rcnn_r50_fpn_voc0712_baseline.py': SMALL_DET,
    C4_BOF: SMALL_C4 + ['custom_hooks.1.num_last_iters=1'],
    **{c: SMALL_C4 for c in REAL_SCALE_CONFIGS if c.startswith('configs/benchmarks/mmdetection/') and c != C4_BOF},
}
# 2 iterations: BoF mixing on, then switched off by MixUpSwitchOffHook (last epoch / last iteration); Un-Mix MoCo
# for 2 epochs with the checkpoint hook (epoch hooks, momentum update and queue twice, a checkpoint saved).
TWO_ITERS = {FPN_BOF, C4_BOF, UNMIX}
WITH_CHECKPOINT = {UNMIX}


def expected_input(config: str) -> str:
    """The input shape the config's train pipeline produces for a batch of 2."""
    if config in EXTRA_ARGS:
        return '2 x (uint8 3x200x267)'
    side = '32x32' if ('cifar10' in config or 'cifar100' in config) else '64x64' if 'tiny-imagenet' in config \
        else '224x224'
    views = str(Config.fromfile(str(REPO / config)).train_dataloader).count("'MultiView'")
    return f'2 x (uint8 2x3x{side})' if views else f'2 x (uint8 3x{side})'


def test_every_real_scale_config_is_covered():
    assert len(REAL_SCALE_CONFIGS) >= 36
    assert set(EXTRA_ARGS) | TWO_ITERS <= set(REAL_SCALE_CONFIGS)
    assert sum('mmdetection' in c or 'bof/' in c for c in EXTRA_ARGS) == len(EXTRA_ARGS) == 6


@pytest.mark.slow
@pytest.mark.parametrize('config', REAL_SCALE_CONFIGS)
def test_dry_run_real_scale_config(config):
    iters = 2 if config in TWO_ITERS else 1
    argv = [config, '--batch-size', '2', '--device', 'cpu', '--iters', str(iters)]
    argv += [] if config in WITH_CHECKPOINT else ['--no-checkpoint']
    result = dry_run.run(argv + EXTRA_ARGS.get(config, []))
    assert result['line'].startswith(f'dry run OK: {config}, {iters} iters x batch 2 on cpu (fp32)')
    assert len(result['losses']) == iters and all(result['losses'])
    assert result['inputs'] == expected_input(config)
    assert ('CheckpointHook' in result['hooks']) == (config in WITH_CHECKPOINT)


# ------------------------------------------------------------------------------------------ tool parts
# A tiny classifier config with what the dry run changes: a wrapped CIFAR data set that is not on disk, workers,
# val loop, 100 epochs, logger / checkpoint intervals; and the collate_fn with '_scope_' that an mmpretrain:: base
# leaves (it fails at the first batch without mixplugins.utils.config_compat).
TINY_CLASSIFIER = """
default_scope = 'mmpretrain'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8{init}),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=10, in_channels={in_channels}, loss=dict(type='CrossEntropyLoss')))
train_dataloader = dict(
    batch_size=64, num_workers=2, persistent_workers=True, sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate', _scope_='mmpretrain'),
    dataset=dict(type='RepeatDataset', times=5, dataset=dict(type='CIFAR10', data_root='no/such/dir', pipeline=[
        dict(type='RandomCrop', crop_size=32, padding=4), dict(type='PackInputs')])))
val_dataloader = dict(batch_size=2, dataset=dict(type='CIFAR10', data_root='no/such/dir', pipeline=[]))
val_cfg = dict()
val_evaluator = dict(type='Accuracy')
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
param_scheduler = dict(type='CosineAnnealingLR', T_max=100, by_epoch=True)
default_hooks = dict(logger=dict(type='LoggerHook', interval=50), checkpoint=dict(type='CheckpointHook', interval=10))
{extra}
"""


def tiny_config(tmp_path, in_channels=64, init='', extra=''):
    path = tmp_path / 'tiny_cfg.py'
    path.write_text(TINY_CLASSIFIER.format(in_channels=in_channels, init=init, extra=extra))
    return str(path)


def test_tiny_config_end_to_end(tmp_path, capsys):
    work_dir = tmp_path / 'work'
    result = dry_run.run([tiny_config(tmp_path), '--iters', '3', '--device', 'cpu', '--work-dir', str(work_dir)])
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == result['line']
    assert result['line'].startswith('dry run OK: ') and ', 3 iters x batch 2 on cpu (fp32) in ' in result['line']
    for part in ('model ImageClassifier', 'optimizer SGD (OptimWrapper)', 'scheduler [CosineAnnealingLR]',
                 'CheckpointHook', 'inputs uint8 2x3x32x32', 'finite losses: loss='):
        assert part in result['line']
    assert len(result['losses']) == 3 and all(np.isfinite(v) for it in result['losses'] for v in it.values())
    # one iteration per epoch: RepeatDataset.times -> 1 and 2 synthetic samples; 3 epochs, checkpoint at the end
    assert result['notes'] == ['CIFAR10 -> 2 synthetic 32x32 arrays, 10 classes']
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_3.pth']
    # each iteration is logged with its own value (window 1), not a running mean
    for i, losses in enumerate(result['losses'], 1):
        assert re.search(rf"Epoch\(train\) +\[{i}\]\[1/1\] .* loss: {losses['loss']:.4f}", out)


def test_temporary_work_dir_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(dry_run.tempfile, 'tempdir', str(tmp_path))
    dry_run.run([tiny_config(tmp_path), '--iters', '1', '--device', 'cpu', '--no-checkpoint'])
    assert [p.name for p in tmp_path.iterdir()] == ['tiny_cfg.py']


def test_a_shape_error_fails_with_one_line_and_the_next_config_still_runs(tmp_path, capsys):
    good = tiny_config(tmp_path)
    bad = tmp_path / 'bad_cfg.py'
    bad.write_text(Path(good).read_text().replace('in_channels=64', 'in_channels=65'))  # the backbone gives 64
    summary = tmp_path / 'summary.md'
    assert dry_run.main([str(bad), good, '--iters', '1', '--device', 'cpu', '--summary', str(summary)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    failed = next(line for line in lines if line.startswith('dry run FAILED'))
    assert failed.startswith(f'dry run FAILED: {bad}: RuntimeError: ') and '64' in failed and '65' in failed
    assert lines[-2].startswith(f'dry run OK: {good}') and lines[-1] == 'dry run: 1 of 2 configs OK'
    table = summary.read_text().splitlines()
    assert table[0].startswith('1 of 2 configs OK: 1 iterations x batch 2 per process on cpu (fp32)')
    assert table[2] == '| config | result | seconds | last losses / error |'
    assert table[4].startswith(f'| `{bad}` | FAILED | ') and 'RuntimeError' in table[4]
    assert table[5].startswith(f'| `{good}` | OK | ') and table[5].endswith(' |') and 'loss=' in table[5]


def test_pretrained_backbone_gets_random_weights_under_its_prefix(tmp_path):
    import torch
    init = ", init_cfg=dict(type='Pretrained', checkpoint='no/such/backbone.pth', prefix='backbone.')"
    extra = "custom_imports = dict(imports=['mixplugins'])\ncustom_hooks = [dict(type='BackboneCheckpointHook')]"
    work_dir = tmp_path / 'work'
    result = dry_run.run([tiny_config(tmp_path, init=init, extra=extra), '--iters', '1', '--device', 'cpu',
                          '--no-checkpoint', '--work-dir', str(work_dir)])
    assert 'BackboneCheckpointHook' in result['hooks']
    assert result['notes'][1].startswith('Pretrained no/such/backbone.pth of backbone -> random weights ')
    state = torch.load(work_dir / 'random_weights' / 'rank0' / 'random_pretrained_0.pth')['state_dict']
    assert 'backbone.conv1.weight' in state and all(k.startswith('backbone.') for k in state)


def test_amp_on_cpu_is_bf16(tmp_path):
    result = dry_run.run([tiny_config(tmp_path), '--amp', '--device', 'cpu', '--iters', '1', '--no-checkpoint'])
    assert ' on cpu (AMP bf16) in ' in result['line'] and 'optimizer SGD (BF16AmpOptimWrapper)' in result['line']


def test_argument_errors(tmp_path, capsys):
    with pytest.raises(ValueError, match='run\\(\\) takes one config'):
        dry_run.run(['a.py', 'b.py'])
    for argv, message in ((['--iters', '0'], '--iters must be >= 1'),
                          (['--batch-size', '0'], '--batch-size must be >= 1'),
                          (['--img-scale', '0', '5'], '--img-scale must be two positive sides'),
                          (['--device', 'tpu'], "invalid choice: 'tpu'")):
        with pytest.raises(SystemExit):
            dry_run.parse_args(['cfg.py'] + argv)
        assert message in capsys.readouterr().err
    with pytest.raises(ValueError, match='--img-scale: the train pipelines have no \\*Resize'):
        dry_run.run([tiny_config(tmp_path), '--img-scale', '100', '60', '--device', 'cpu'])


def test_leaves_repeat_and_resize_of_a_wrapped_dataset():
    voc = dict(type='VOCDataset', pipeline=[dict(type='LoadImageFromFile')])
    mix = dict(type='MultiImageMixDataset', pipeline=[
        dict(type='RandomChoiceResize', scales=[(1333, 480), (1333, 512)]), dict(type='Resize', scale=224),
        dict(type='Resize', scale=(1000, 600))],
        dataset=dict(type='RepeatDataset', times=3, dataset=dict(type='ConcatDataset', datasets=[voc, dict(voc)])))
    assert dry_run.leaf_datasets(mix) == [voc, voc]
    dry_run.set_repeat_times_to_one(mix)
    assert mix['dataset']['times'] == 1
    assert dry_run.set_resize_scales(mix, (333, 200)) == 2
    assert [t.get('scales', t.get('scale')) for t in mix['pipeline']] == [[(333, 200)], 224, (333, 200)]


def test_check_losses():
    dry_run.check_losses([{'loss': 1.0}, {'loss': 0.5}], 2)
    with pytest.raises(FloatingPointError, match="iteration 2: {'loss_mix': nan}"):
        dry_run.check_losses([{'loss': 1.0}, {'loss': 1.0, 'loss_mix': float('nan')}], 2)
    with pytest.raises(RuntimeError, match='ran 1 iterations, expected 2'):
        dry_run.check_losses([{'loss': 1.0}], 2)


# ------------------------------------------------------------------------------------------ SyntheticDataset
def test_synthetic_classification_samples(tmp_path):
    from mixplugins.datasets import SyntheticDataset
    in_memory = SyntheticDataset(num_samples=3, img_shape=(32, 40), num_classes=5)
    info = in_memory.get_data_info(0)
    assert info['img'].shape == (32, 40, 3) and info['img'].dtype == np.uint8 and 0 <= info['gt_label'] < 5
    files = SyntheticDataset(num_samples=2, img_shape=(32, 40), image_dir=str(tmp_path / 'imgs'),
                             pipeline=[dict(type='LoadImageFromFile')])
    assert 'gt_label' not in files.get_data_info(1)
    assert files[1]['img'].shape == (32, 40, 3) and files[1]['img_path'].endswith('000001.jpg')
    again = SyntheticDataset(num_samples=3, img_shape=(32, 40), num_classes=5)
    assert np.array_equal(again.get_data_info(2)['img'], in_memory.get_data_info(2)['img'])  # seeded


def test_synthetic_detection_samples():
    from mixplugins.datasets import SyntheticDataset
    data = SyntheticDataset(num_samples=20, img_shape=(60, 80), num_classes=4, num_instances=3, min_box_size=32)
    for i in range(20):
        info = data.get_data_info(i)
        assert (info['height'], info['width'], info['img_id']) == (60, 80, i) and len(info['instances']) == 3
        for inst in info['instances']:
            x1, y1, x2, y2 = inst['bbox']
            assert 0 <= x1 and 0 <= y1 and x2 <= 80 and y2 <= 60 and x2 - x1 >= 32 and y2 - y1 >= 32
            assert 0 <= inst['bbox_label'] < 4 and inst['ignore_flag'] == 0
            assert inst['mask'] == [[x1, y1, x2, y1, x2, y2, x1, y2]]


def test_synthetic_dataset_errors():
    from mixplugins.datasets import SyntheticDataset
    with pytest.raises(ValueError, match='num_samples must be >= 1'):
        SyntheticDataset(num_samples=0)
    with pytest.raises(ValueError, match='needs num_classes'):
        SyntheticDataset(num_samples=1, num_instances=2)
    with pytest.raises(ValueError, match='min_box_size=32 does not fit'):
        SyntheticDataset(num_samples=1, img_shape=(16, 16), num_classes=2, num_instances=1)


def test_late_schedulers_are_left_out_and_clustering_fits_the_synthetic_data():
    from mmengine.config import Config
    cfg = Config(dict(model=dict(clustering=dict(num_samples=1281167, num_clusters=200)),
                      param_scheduler=[dict(type='LinearLR', begin=0, end=500),
                                       dict(type='CosineAnnealingLR', begin=500)]))
    assert dry_run.drop_late_schedulers(cfg, 2) == [
        'param_scheduler CosineAnnealingLR begins at 500, after the 2 dry-run steps: left out']
    assert [s['type'] for s in cfg.param_scheduler] == ['LinearLR']
    assert dry_run.drop_late_schedulers(cfg, 2) == []
    assert dry_run.fit_clustering(cfg, 4) == [
        'model.clustering num_samples, num_clusters (1281167, 200) -> (4, 4) (the synthetic data set)']
    assert dry_run.fit_clustering(Config(dict(model=dict(type='MoCo'))), 4) == []
