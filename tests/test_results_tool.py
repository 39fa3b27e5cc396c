"""tools/make_results.py without training: the tables (full and subsets), noise and commands written from fake
results, the own top-1 of classifiers, the SAMix^P Mixer export, reading of MMEngine's outputs (last_checkpoint,
scalars.json), and the generated linear-probe config."""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools'))

import make_results  # noqa: E402

DEMO = 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py'
SAMIX_P = 'configs/samix/samix-p_resnet18-cifar_1xb64-coslr-8e_digits.py'
SAMIX = 'configs/samix/samix_resnet18-cifar_1xb64-coslr-8e_digits.py'


def _row(name, knn, linear, pretrain_min=2.0, config=None, labels='no', own=None):
    return dict(name=name,
                config=config or f'configs/x/{name}.py',
                labels=labels,
                knn_top1=knn,
                linear_top1=linear,
                own_top1=own,
                pretrain_min=pretrain_min,
                eval_min=1.25,
                commands=[f'tools/train.py configs/x/{name}.py --seed 0'])


META = dict(date='2026-11-23 09:00 UTC',
            seed=7,
            machine='CPU, 2 cores',
            total_min=42.0,
            linear_config='configs/benchmarks/classification/digits/lin.py',
            environment='torch 2.1.2',
            linear_setting='logistic regression on the features',
            pretrain_options='',
            configs=['configs/x/a.py'],
            done=True,
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
    assert table[0] == ('| method (pretraining config) | labels in pretraining | kNN top-1 (%) | linear top-1 (%) | '
                        'own top-1 (%) | pretraining (min) | evaluation (min) |')
    assert table[1] == ('| random init (no pretraining, backbone of `configs/x/random init.py`) | - | '
                        '21.46 | 33.33 | - | 0.0 | 1.2 |')
    assert table[2] == '| mocov2 (`configs/x/mocov2.py`) | no | 90.00 | 92.12 | - | 2.0 | 1.2 |'
    assert text.startswith('# Results on the embedded digits\n')
    assert 'Seed 7 for every run' in text
    assert 'train / val split of `configs/benchmarks/classification/digits/lin.py`' in text
    assert 'linear classifier on the frozen backbone (logistic regression on the features)' in text
    assert 'it does not rank the methods' in text
    assert 'changed kNN top-1 by 0.25 and linear top-1 by 0.38 points' in text
    assert 'differences up to 0.38 points between reruns of this file are noise' in text
    exact = dict(noise, knn=0.0, linear=0.0, max=0.0)
    assert 'with the same seed reproduced both numbers exactly; differences up to 0.01 points' in \
        make_results.render_markdown(rows, exact, META)
    assert '  python tools/train.py configs/x/mocov2.py --seed 0' in text
    assert META['command'] in text and 'torch 2.1.2' in text
    failed_row = make_results.failed_row('configs/x/bad.py', 'work_dirs/r/bad')
    failed = make_results.render_markdown([failed_row], {}, META)
    assert '| bad (`configs/x/bad.py`) | ? | failed | failed | failed | - | - |' in failed
    assert '(failed: logs in work_dirs/r/bad/)' in failed


def test_table_without_noise_and_incomplete_rows():
    text = make_results.render_markdown([_row('a', 1.0, 2.0)], {}, META)
    assert 'not measured in this run' in text and 'Incomplete' not in text and 'overrides' not in text
    partial = dict(META, done=False, configs=[f'c{i}.py' for i in range(5)], pretrain_options='train_cfg.max_epochs=1')
    text = make_results.render_markdown([_row('r', 1.0, 2.0, 0.0), _row('a', 1.0, 2.0)], {}, partial)
    assert ('**Incomplete**: the run was still going when this was written (1 of 5 pretraining configs done)'
            in text)
    assert ('Pretraining overrides (`--pretrain-options`, applied to every config): `train_cfg.max_epochs=1`'
            in text)
    bad = _row('a', 1.0, 2.0)
    del bad['linear_top1']
    with pytest.raises(KeyError, match='linear_top1'):
        make_results.render_markdown([bad], {}, META)



def _table_names(path):
    """Row names of the results table in the document at ``path``."""
    lines = Path(path).read_text().splitlines()
    return [line[2:line.index(' (')] for line in lines if line.startswith('| ') and not line.startswith('| method')]


def test_subset_documents_get_their_rows(tmp_path):
    configs = [DEMO, 'configs/unmix/unmix-mocov2_d.py', 'configs/bsim/bsim-mocov2_d.py',
               'configs/samix/samix-i_d.py', 'configs/automix/automix_d.py', 'configs/bsim/wbsim-mocov2_d.py',
               'configs/other/x_d.py']
    rows = [_row('random init', 10.0, 20.0, 0.0, config=DEMO, labels='-'),
            _row('mocov2', 50.0, 60.0, config=DEMO),
            _row('unmix', 51.0, 61.0, config=configs[1]),
            _row('bsim', 52.0, 62.0, config=configs[2]),
            _row('samix-i', 53.0, 63.0, config=configs[3]),
            _row('automix', 54.0, 64.0, config=configs[4], labels='yes', own=90.0),
            make_results.failed_row(configs[5], 'work_dirs/r/wbsim'),
            _row('other', 55.0, 65.0, config=configs[6])]
    noise = make_results.run_to_run_noise(rows[2], _row('unmix', 51.5, 61.0, config=configs[1]))
    out = tmp_path / 'docs' / 'results.md'
    out.parent.mkdir()
    meta = dict(META, configs=configs, done=False)
    written = make_results.write_documents(str(out), rows, noise, meta)
    ssl, samix = out.parent / 'results_ssl.md', out.parent / 'results_samix.md'
    assert written == [str(out), str(ssl), str(samix)]
    assert _table_names(out) == ['random init', 'mocov2', 'unmix', 'bsim', 'samix-i', 'automix',
                                 'wbsim-mocov2_d', 'other']
    assert _table_names(ssl) == ['random init', 'mocov2', 'unmix', 'bsim', 'wbsim-mocov2_d']
    assert _table_names(samix) == ['random init', 'mocov2', 'samix-i', 'automix']
    ssl_text, samix_text = ssl.read_text(), samix.read_text()
    assert ssl_text.startswith('# Results on the embedded digits: Un-Mix and BSIM / WBSIM\n')
    assert samix_text.startswith('# Results on the embedded digits: SAMix and AutoMix\n')
    assert '(4 of 4 pretraining configs done)' in ssl_text and '(3 of 3 pretraining configs done)' in samix_text
    assert '(7 of 7 pretraining configs done)' in out.read_text()
    # the noise config (Un-Mix) is in the SSL subset only: the SAMix file refers to results.md
    assert 'rerunning `configs/unmix/unmix-mocov2_d.py` with the same seed changed kNN top-1 by 0.50' in ssl_text
    assert ('Run-to-run noise: measured in [results.md](results.md) (rerunning `configs/unmix/unmix-mocov2_d.py`, '
            'not in this table): differences up to 0.50 points') in samix_text
    for text in (ssl_text, samix_text):
        assert META['command'] in text and 'torch 2.1.2' in text
        assert 'Written by `python tools/make_results.py`' in text
    # a subset with only the random-init row is not written
    only_ssl = tmp_path / 'only_ssl'
    only_ssl.mkdir()
    assert make_results.write_documents(str(only_ssl / 'results.md'), [rows[0], rows[2]], {}, meta) == [
        str(only_ssl / 'results.md'), str(only_ssl / 'results_ssl.md')]
    assert not (only_ssl / 'results_samix.md').exists()


def test_supervised_rows_show_their_own_top1(tmp_path, monkeypatch):
    rows = [_row('sup', 50.0, 60.0, labels='yes', own=97.456), _row('ssl', 51.0, 61.0)]
    table = [line for line in make_results.render_markdown(rows, {}, META).splitlines() if line.startswith('| ')]
    assert table[1] == '| sup (`configs/x/sup.py`) | yes | 50.00 | 60.00 | 97.46 | 2.0 | 1.2 |'
    assert table[2] == '| ssl (`configs/x/ssl.py`) | no | 51.00 | 61.00 | - | 2.0 | 1.2 |'
    # evaluate_config reads the pretraining run's val top-1 for a classifier only (no training: stubs)
    monkeypatch.setattr(make_results, 'run_command', lambda cmd, log: 1.5)
    monkeypatch.setattr(make_results, 'last_checkpoint', lambda work_dir: 'ckpt.pth')
    monkeypatch.setattr(make_results, 'evaluate_backbone', lambda *a: (40.0, 45.0, 0.5, ['py', 'tools/train.py']))
    scalars = tmp_path / make_results.config_name(SAMIX) / 'pretrain' / '20260101_000000' / 'vis_data'
    scalars.mkdir(parents=True)
    (scalars / 'scalars.json').write_text(json.dumps({'accuracy/top1': 88.5, 'step': 8}) + '\n')
    args = SimpleNamespace(pretrain_options=[], linear_config=make_results.DEFAULT_LINEAR_CONFIG, linear_options={})
    supervised = make_results.evaluate_config(SAMIX, 0, str(tmp_path), args)
    assert (supervised['labels'], supervised['own_top1']) == ('yes', 88.5)
    ssl = make_results.evaluate_config(DEMO, 0, str(tmp_path), args)
    assert (ssl['labels'], ssl['own_top1']) == ('no', None)


def test_samix_p_exports_the_mixer_of_its_source_row(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(make_results, 'run_command', lambda cmd, log: calls.append(cmd) or 0.1)
    cfg = Config.fromfile(str(REPO / SAMIX_P))
    assert cfg.pretrained_mixer_from == SAMIX
    cfg.pretrained_mixer = str(tmp_path / 'mixers' / 'samix_mixer.pth')
    work_root = tmp_path / 'work'
    source_row = _row(make_results.config_name(SAMIX), 50.0, 60.0, config=SAMIX, labels='yes', own=80.0)
    not_finished = ([], [make_results.failed_row(SAMIX, 'w')], [dict(source_row, labels='-')])
    for rows in not_finished:  # not run, failed, or only the random-init row of that config
        with pytest.raises(RuntimeError, match=f"pretrained_mixer_from='{SAMIX}'"):
            make_results.prepare_pretrained_mixer(cfg, rows, str(work_root), str(tmp_path / 'run'))
    assert calls == []
    pretrain = work_root / make_results.config_name(SAMIX) / 'pretrain'
    pretrain.mkdir(parents=True)
    (pretrain / 'last_checkpoint').write_text('/w/samix/epoch_8.pth\n')
    cmds = make_results.prepare_pretrained_mixer(cfg, [source_row], str(work_root), str(tmp_path / 'run'))
    assert calls == cmds and len(cmds) == 1
    assert cmds[0][1:] == ['tools/model_converters/export_mixer.py', '/w/samix/epoch_8.pth', cfg.pretrained_mixer]
    (tmp_path / 'mixers').mkdir()
    (tmp_path / 'mixers' / 'samix_mixer.pth').write_bytes(b'')
    assert make_results.prepare_pretrained_mixer(cfg, [], str(work_root), str(tmp_path / 'run')) == []
    assert len(calls) == 1  # an existing Mixer file is used as it is, unless its source row is in the run:
    assert make_results.prepare_pretrained_mixer(cfg, [source_row], str(work_root), str(tmp_path / 'run'),
                                                 [SAMIX, SAMIX_P]) == cmds
    with pytest.raises(RuntimeError, match='no finished row'):
        make_results.prepare_pretrained_mixer(cfg, [], str(work_root), str(tmp_path / 'run'), [SAMIX, SAMIX_P])
    assert make_results.prepare_pretrained_mixer(Config.fromfile(str(REPO / SAMIX)), [], str(work_root), 'r') == []


def test_default_order_runs_mixer_sources_first():
    configs = make_results.default_configs()
    digits = sorted(str(p.relative_to(REPO)) for folder in ('unmix', 'bsim', 'samix', 'automix')
                    for p in (REPO / 'configs' / folder).glob('*_digits.py'))
    assert sorted(configs) == sorted([DEMO, *digits]) and len(set(configs)) == len(configs)
    sources = {SAMIX_P: SAMIX,
               'configs/samix/samix-p_mocov2_resnet18-cifar_1xb64-coslr-8e_digits.py':
               'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-8e_digits.py'}
    for config in configs:
        cfg = Config.fromfile(str(REPO / config))
        if 'pretrained_mixer' in cfg:
            assert cfg.pretrained_mixer_from == sources.pop(config)
            assert configs.index(cfg.pretrained_mixer_from) < configs.index(config)
    assert not sources

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


def test_documented_short_schedule_applies_to_every_default_config():
    """docs/evaluation.md's --pretrain-options (param_scheduler.0.*) need a scheduler list in every config."""
    options = {'train_cfg.max_epochs': 3, 'param_scheduler.0.T_max': 3, 'param_scheduler.0.end': 3}
    for config in make_results.default_configs():
        cfg = Config.fromfile(str(REPO / config))
        cfg.merge_from_dict(options)
        assert isinstance(cfg.param_scheduler, list), config
        assert (cfg.param_scheduler[0].T_max, cfg.param_scheduler[0].end) == (3, 3), config


def test_pretraining_switches_the_knn_monitor_off():
    ssl = Config.fromfile(str(REPO / 'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-8e_digits.py'))
    knn = [i for i, hook in enumerate(ssl.custom_hooks) if hook.type == 'KNNEvalHook']
    assert knn == [0]
    assert make_results.pretrain_options(ssl, ['train_cfg.max_epochs=3']) == [
        'train_cfg.max_epochs=3', 'custom_hooks.0.before_train=False', 'custom_hooks.0.after_train=False']
    ssl.merge_from_dict({'custom_hooks.0.before_train': False, 'custom_hooks.0.after_train': False})
    assert ssl.custom_hooks[0].type == 'KNNEvalHook' and ssl.custom_hooks[0].interval == 0
    assert ssl.custom_hooks[0].before_train is False and ssl.custom_hooks[0].after_train is False
    assert make_results.pretrain_options(Config.fromfile(str(REPO / SAMIX)), []) == []  # no kNN monitor


def test_logistic_regression_probe_by_construction(monkeypatch):
    """The default linear probe: separable features -> 100%; labels independent of the features -> near chance;
    in evaluate_backbone it runs no command (in-process) and uses the same features as the kNN."""
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(400) % 4
    centres = torch.eye(4, 16) * 10
    feats = centres[labels] + torch.randn(400, 16, generator=gen)
    assert make_results.logreg_eval(feats[:300], labels[:300], feats[300:], labels[300:]) == 100.0
    noise = torch.randn(2000, 16, generator=gen)
    shuffled = torch.randint(0, 4, (2000, ), generator=gen)
    assert abs(make_results.logreg_eval(noise[:1500], shuffled[:1500], noise[1500:], shuffled[1500:]) - 25) < 8
    seen = []
    monkeypatch.setattr(make_results, 'backbone_features', lambda *a: (feats[:300], labels[:300], feats[300:],
                                                                        labels[300:]))
    monkeypatch.setattr(make_results, 'knn_eval', lambda *f: seen.append(f) or 50.0)
    args = SimpleNamespace(linear_probe='logreg', linear_config=make_results.DEFAULT_LINEAR_CONFIG)
    knn, linear, _, commands = make_results.evaluate_backbone(None, 'ckpt.pth', None, 'run', 0, args)
    assert (knn, linear, commands) == (50.0, 100.0, [])
    assert seen[0][0] is feats[:300] or torch.equal(seen[0][0], feats[:300])
    assert 'logistic regression' in make_results.linear_setting(args)
    runner = SimpleNamespace(linear_probe='runner', linear_config=make_results.DEFAULT_LINEAR_CONFIG,
                             linear_options={})
    assert make_results.linear_setting(runner).endswith('through the Runner: frozen backbone, 5 epochs, SGD lr 0.1, '
                                                        'batch 64')
    row = dict(_row('random init', 10.0, 20.0, 0.0), labels='-', commands=[])
    assert '- random init: evaluated by the script itself (no training run).' in make_results.render_markdown(
        [row], {}, META)
