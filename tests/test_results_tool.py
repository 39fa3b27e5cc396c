"""tools/make_results.py without training: the table, noise and commands written from fake results, reading of
MMEngine's outputs (last_checkpoint, scalars.json), and the generated linear-probe config."""
import json
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools'))

import make_results  # noqa: E402

DEMO = 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py'


def _row(name, knn, linear, pretrain_min=2.0):
    return dict(name=name,
                config=f'configs/x/{name}.py',
                labels='no',
                knn_top1=knn,
                linear_top1=linear,
                pretrain_min=pretrain_min,
                eval_min=1.25,
                commands=[f'tools/train.py configs/x/{name}.py --seed 0'])


META = dict(date='2026-11-23 09:00 UTC',
            seed=7,
            machine='CPU, 2 cores',
            total_min=42.0,
            linear_config='configs/benchmarks/classification/digits/lin.py',
            environment='torch 2.1.2',
            linear_setting='10 epochs, SGD lr 0.1, batch 64', pretrain_options='', num_configs=1, done=True,
            command='python tools/make_results.py configs/x/a.py --seed 7')


def test_table_rows_noise_and_commands():
    random_init = dict(_row('random init', 21.456, 33.333, pretrain_min=0.0), labels='-')
    rows = [random_init, _row('mocov2', 90.0, 92.125)]
    noise = make_results.run_to_run_noise(rows[1], _row('mocov2', 89.75, 92.5))
    # |90.0 - 89.75| = 0.25, |92.125 - 92.5| = 0.375, max 0.375
    assert noise == dict(config='configs/x/mocov2.py',
                         knn=pytest.approx(0.25),
                         linear=pytest.approx(0.375),
                         max=pytest.approx(0.375))
    text = make_results.render_markdown(rows, noise, META)
    table = [line for line in text.splitlines() if line.startswith('| ')]
    assert table[0].startswith(
        '| method (pretraining config) | labels in pretraining | kNN top-1 (%) | linear')
    assert table[1] == ('| random init (no pretraining, backbone of `configs/x/random init.py`) | - | '
                        '21.46 | 33.33 | 0.0 | 1.2 |')
    assert table[2] == '| mocov2 (`configs/x/mocov2.py`) | no | 90.00 | 92.12 | 2.0 | 1.2 |'
    assert 'Seed 7 for every run' in text
    assert '`configs/benchmarks/classification/digits/lin.py`: 10 epochs, SGD lr 0.1, batch 64' in text
    assert 'changed kNN top-1 by 0.25 and linear top-1 by 0.38 points' in text
    assert 'differences up to 0.38 points between reruns of this file are noise' in text
    exact = dict(noise, knn=0.0, linear=0.0, max=0.0)
    assert 'with the same seed reproduced both numbers exactly; differences up to 0.01 points' in \
        make_results.render_markdown(rows, exact, META)
    assert '  python tools/train.py configs/x/mocov2.py --seed 0' in text
    assert META['command'] in text and 'torch 2.1.2' in text
    failed_row = make_results.failed_row('configs/x/bad.py', 'work_dirs/r/bad')
    failed = make_results.render_markdown([failed_row], {}, META)
    assert '| bad (`configs/x/bad.py`) | ? | failed | failed | - | - |' in failed
    assert '(failed: logs in work_dirs/r/bad/)' in failed


def test_table_without_noise_and_incomplete_rows():
    text = make_results.render_markdown([_row('a', 1.0, 2.0)], {}, META)
    assert 'not measured in this run' in text and 'Incomplete' not in text and 'overrides' not in text
    partial = dict(META, done=False, num_configs=5, pretrain_options='train_cfg.max_epochs=1')
    text = make_results.render_markdown([_row('r', 1.0, 2.0, 0.0), _row('a', 1.0, 2.0)], {}, partial)
    assert ('**Incomplete**: the run was still going when this was written (1 of 5 pretraining configs done)'
            in text)
    assert ('Pretraining overrides (`--pretrain-options`, applied to every config): `train_cfg.max_epochs=1`'
            in text)
    bad = _row('a', 1.0, 2.0)
    del bad['linear_top1']
    with pytest.raises(KeyError, match='linear_top1'):
        make_results.render_markdown([bad], {}, META)


def test_reads_runner_outputs(tmp_path):
    with pytest.raises(FileNotFoundError, match='last_checkpoint'):
        make_results.last_checkpoint(str(tmp_path))
    (tmp_path / 'last_checkpoint').write_text('/w/epoch_8.pth\n')
    assert make_results.last_checkpoint(str(tmp_path)) == '/w/epoch_8.pth'
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        make_results.read_val_top1(str(tmp_path))
    old, new = tmp_path / '20260101_000000' / 'vis_data', tmp_path / '20260102_000000' / 'vis_data'
    for folder, top1 in ((old, 11.0), (new, 55.5)):
        folder.mkdir(parents=True)
        records = [
            dict(loss=2.0, step=1), {
                'accuracy/top1': top1 - 10,
                'step': 5
            }, {
                'accuracy/top1': top1,
                'step': 10
            },
            dict(loss=1.0, step=11)
        ]
        (folder / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    assert make_results.read_val_top1(str(tmp_path)) == 55.5  # last value of the latest run


def test_linear_config_takes_the_pretraining_backbone(tmp_path):
    pretrain = Config.fromfile(str(REPO / DEMO))
    pretrain.model.backbone.base_channels = 8
    pretrain.model.backbone.stem_channels = 8
    out = make_results.write_linear_config(make_results.DEFAULT_LINEAR_CONFIG, pretrain, 'ckpt/epoch_8.pth',
                                           'backbone.', str(tmp_path / 'linear_probe.py'))
    cfg = Config.fromfile(out)
    assert cfg.model.backbone.type == 'ResNet_CIFAR' and cfg.model.backbone.base_channels == 8
    assert cfg.model.backbone.frozen_stages == 4
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained',
                                               checkpoint=str(Path('ckpt/epoch_8.pth').resolve()),
                                               prefix='backbone.')
    assert cfg.model.head.in_channels == 64  # 8 * 2^3 channels of the last stage
    assert [neck.get('input_features') for neck in cfg.model.neck] == [None, 64]
    assert cfg.optim_wrapper.optimizer.lr == 0.1


def test_random_init_backbone_is_seeded_with_data_bn_statistics(tmp_path):
    pretrain = Config.fromfile(str(REPO / DEMO))
    pretrain.model.backbone.base_channels = 4
    pretrain.model.backbone.stem_channels = 4
    linear = make_results.DEFAULT_LINEAR_CONFIG
    a, b, c = (torch.load(make_results.write_random_init_backbone(pretrain, seed, str(tmp_path / f'{name}.pth'),
                                                                  linear))['state_dict']
               for name, seed in (('a', 3), ('b', 3), ('c', 4)))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a['conv1.weight'], c['conv1.weight'])
    assert a['bn1.num_batches_tracked'] > 0 and not torch.equal(a['bn1.running_var'], torch.ones(4))
    assert not any(k.startswith('backbone.') for k in a)  # extracted layout: loaded with prefix=None
