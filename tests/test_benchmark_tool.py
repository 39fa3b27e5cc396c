"""tools/benchmark.py: config parsing, synthetic batches for classifiers and self-supervisors, A/B timing,
the memory probe, and the docs section writer."""
import json
import shlex
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools'))
import benchmark  # noqa: E402

TINY_CLASSIFIER = """
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, stem_channels=16, base_channels=16),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=5, in_channels=128, loss=dict(type='CrossEntropyLoss')))
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
"""


@pytest.fixture
def classifier_cfg(tmp_path):
    path = tmp_path / 'tiny_classifier.py'
    path.write_text(TINY_CLASSIFIER)
    return str(path)


def test_parse_module_cfg():
    assert benchmark.parse_module_cfg("dict(type='CutMixPolicy', alpha=2.0, scale=(0.1, 0.8))") == dict(
        type='CutMixPolicy', alpha=2.0, scale=(0.1, 0.8))
    assert benchmark.parse_module_cfg('FMixPolicy') == dict(type='FMixPolicy')
    assert benchmark.parse_module_cfg("{'type': 'SAMixMixer', 'in_channels': -8}")['in_channels'] == -8
    with pytest.raises(ValueError, match='unsupported expression'):
        benchmark.parse_module_cfg("__import__('os').getcwd()")
    with pytest.raises(ValueError, match='"type"'):
        benchmark.parse_module_cfg("dict(alpha=1.0)")
    assert benchmark.cfg_label(dict(type='CutMixPolicy', alpha=2.0)) == 'CutMixPolicy(alpha=2.0)'
    assert benchmark.shell_quote("dict(type='CutMixPolicy')") == '"dict(type=\'CutMixPolicy\')"'
    assert benchmark.shell_quote('--rounds') == '--rounds'
    assert benchmark.shell_quote('a "b" $c') == shlex.quote('a "b" $c')


def test_count_views_and_num_classes():
    pipeline = dict(dataset=dict(pipeline=[dict(type='LoadImageFromFile'),
                                           dict(type='MultiView', num_views=[2, 6], transforms=[[], []]),
                                           dict(type='PackInputs')]))
    assert benchmark.count_views(pipeline) == 8
    assert benchmark.count_views(dict(dataset=dict(pipeline=[dict(type='MultiView', num_views=3)]))) == 3
    assert benchmark.count_views({}) == 2
    assert benchmark.find_num_classes(dict(head=dict(loss=dict(), num_classes=7))) == 7
    assert benchmark.find_num_classes(dict(backbone=dict(depth=18))) is None


def test_doc_section_replaced_or_appended(tmp_path):
    doc = tmp_path / 'benchmarks.md'
    doc.write_text('# Benchmarks\n\n<!-- bench:a -->\nold a\n<!-- /bench:a -->\n\ntail text\n')
    benchmark.write_doc_section(doc, 'a', 'new a\n')
    benchmark.write_doc_section(doc, 'b', 'new b\n')
    benchmark.write_doc_section(doc, 'b', 'newer b\n')
    text = doc.read_text()
    assert 'old a' not in text and '<!-- bench:a -->\nnew a\n<!-- /bench:a -->' in text
    assert 'tail text' in text
    assert text.count('<!-- bench:b -->') == 1 and 'newer b' in text and 'new b\n' not in text


def test_config_policy_and_mixer_against_base(tmp_path, classifier_cfg):
    doc = tmp_path / 'doc.md'
    argv = [classifier_cfg, '--base', classifier_cfg, '--policy', "dict(type='CutMixPolicy', alpha=1.0)",
            '--mixer', "dict(type='SAMixMixer', in_channels=8)", '--feat-shape', '8', '4', '4',
            '--batch-size', '4', '--img-size', '16', '--warmup', '1', '--rounds', '2', '--iters', '2',
            '--memory', 'none', '--limit', '0.5', '--json', str(tmp_path / 'r.json'), '--doc', str(doc),
            '--section', 'unit']
    report = benchmark.main(argv)
    rows = {r['name']: r for r in report['results']}
    base = rows[f'base: {classifier_cfg}']
    assert list(rows)[0] == base['name'] and base['role'] == 'base' and 'ratio' not in base
    for name, kind in ((classifier_cfg, 'config'), ('CutMixPolicy(alpha=1.0)', 'policy'),
                       ('SAMixMixer(in_channels=8) on 8x4x4', 'mixer')):
        row = rows[name]
        assert row['kind'] == kind and row['n'] == 4 and all(t > 0 for t in row['times_s'])
        assert row['ratio'] == pytest.approx(row['median_s'] / base['median_s'])
        assert row['images_per_s'] == pytest.approx(4 / row['median_s'])  # batch 4
        assert row['within_limit'] == (row['ratio'] <= 0.5)
    assert json.loads((tmp_path / 'r.json').read_text())['results'][1]['name'] == classifier_cfg
    text = doc.read_text()
    assert '<!-- bench:unit -->' in text and 'python tools/benchmark.py ' in text and '--section unit' in text
    assert '`CutMixPolicy(alpha=1.0)`' in text and 'load average' in text and '| images/s |' in text
    assert '--policy "dict(type=\'CutMixPolicy\', alpha=1.0)"' in text


def test_policies_against_their_peers(tmp_path):
    doc = tmp_path / 'doc.md'
    argv = ['--policy', 'MixupPolicy', '--policy', "dict(type='CutMixPolicy', alpha=0.5)", '--policy',
            'ResizeMixPolicy', '--policy', 'FMixPolicy', '--peers', '--batch-size', '4', '--img-size', '16',
            '--warmup', '1', '--rounds', '2', '--iters', '1', '--memory', 'none', '--limit', '1.2', '--doc',
            str(doc), '--section', 'peers']
    report = benchmark.main(argv)
    rows = {r['name']: r for r in report['results']}
    mm = {'MixupPolicy': 'mmpretrain Mixup(alpha=1.0)', 'CutMixPolicy(alpha=0.5)': 'mmpretrain CutMix(alpha=0.5)',
          'ResizeMixPolicy': 'mmpretrain ResizeMix(alpha=1.0)'}
    specs = {spec['name']: spec for spec in benchmark.build_specs(benchmark.parse_args(argv))}
    names = list(rows)
    for policy, peer in mm.items():
        assert names.index(peer) > names.index(policy) and rows[peer]['kind'] == rows[peer]['role'] == 'peer'
        assert 'ratio' not in rows[peer] and rows[peer]['n'] == 2
        peers = specs[policy]['compare_with']
        assert peer in peers and all(rows[name]['kind'] == 'peer' for name in peers)
        fastest = min((rows[name] for name in peers), key=lambda r: r['median_s'])
        row = rows[policy]
        assert row['reference'] == fastest['name']
        assert row['ratio'] == pytest.approx(row['median_s'] / fastest['median_s'])
        assert row['within_limit'] == (row['ratio'] <= 1.2)
    # mmpretrain's CutMix and ResizeMix paste into their input: they are timed on a copy; its Mixup is not
    assert rows[mm['CutMixPolicy(alpha=0.5)']]['changes_input'] and rows[mm['ResizeMixPolicy']]['changes_input']
    assert not rows[mm['MixupPolicy']]['changes_input']
    assert 'ratio' not in rows['FMixPolicy'] and 'FMixPolicy: no peer' in ' '.join(report['notes'])
    text = doc.read_text()
    assert '<!-- bench:peers -->' in text and 'peer, on a copy' in text and '--peers' in text
    assert '| `mmpretrain Mixup(alpha=1.0)` |' in text
    if not benchmark.library_available('timm'):
        assert 'timm is not installed' in text and 'timm Mixup' not in ' '.join(rows)


def test_timm_peers_when_installed():
    pytest.importorskip('timm')
    args = benchmark.parse_args(['--policy', 'MixupPolicy', '--policy', 'CutMixPolicy', '--peers'])
    peers = {s['name']: s for s in benchmark.build_specs(args) if s['kind'] == 'peer'}
    settings = dict(batch_size=4, img_size=16, device='cpu')
    for name, mode in (('timm Mixup(mixup_alpha=1.0, cutmix_alpha=0.0)', 'mixup'),
                       ('timm Mixup(cutmix_alpha=1.0, mixup_alpha=0.0)', 'cutmix')):
        target = benchmark.make_target(peers[name], settings)
        target.setup()
        assert target.details['changes_input']  # timm mixes its batch in place
        target.step()


def test_ssl_config_gets_multi_view_batch_and_steps(repo_root):
    demo = str(repo_root / 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py')
    shrink = {'model.backbone.stem_channels': 16, 'model.backbone.base_channels': 16,
              'model.neck.in_channels': 128}
    settings = dict(batch_size=4, img_size=16, device='cpu', cfg_options=shrink)
    target = benchmark.make_target(dict(kind='config', config=demo, name='demo'), settings)
    target.setup()
    assert isinstance(target.data['inputs'], list) and len(target.data['inputs']) == 2
    assert target.data['inputs'][0].shape == (4, 3, 16, 16)
    before = next(target.model.backbone.parameters()).detach().clone()
    target.step()
    assert not next(target.model.backbone.parameters()).detach().equal(before), 'optimizer stepped'


def test_variant_is_the_config_with_its_own_overrides(repo_root):
    samix = str(repo_root / 'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-50e_digits.py')
    args = benchmark.parse_args([samix, '--variant', samix, 'model.clean_loss_weight=0', 'model.eta=0.25'])
    plain, variant = benchmark.build_specs(args)
    assert 'options' not in plain and variant['options'] == {'model.clean_loss_weight': 0, 'model.eta': 0.25}
    assert variant['name'] == f'{samix} model.clean_loss_weight=0 model.eta=0.25'
    shrink = {'model.backbone.stem_channels': 8, 'model.backbone.base_channels': 8, 'model.neck.in_channels': 64,
              'model.mixer.in_channels': 32}
    target = benchmark.make_target(variant, dict(batch_size=4, img_size=16, device='cpu', cfg_options=shrink))
    target.setup()  # the global options and the variant's own both reach the model
    assert target.model.clean_loss_weight == 0 and target.model.eta == 0.25
    assert target.model.backbone.base_channels == 8


def test_samix_p_target_gets_the_untrained_mixer_of_its_source_config(repo_root):
    samix_p = str(repo_root / 'configs/samix/samix-p_mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py')
    target = benchmark.make_target(dict(kind='config', config=samix_p, name='p'),
                                   dict(batch_size=4, img_size=32, device='cpu',
                                        cfg_options={'model.backbone.type': 'ResNet'}))
    target.setup()  # no work_dirs/pretrained_mixers file is needed
    policy = target.model.mix_policy
    assert type(policy.encoder).__name__ == 'ResNet'  # the benchmarked architecture, not ResNet_CIFAR
    assert all(not p.requires_grad for p in policy.parameters())
    target.step()


@pytest.mark.slow
def test_memory_probe_in_fresh_subprocess():
    settings = dict(batch_size=4, img_size=32, device='cpu', memory_iters=1, threads=1)
    result = benchmark.measure_memory_subprocess(
        dict(kind='policy', cfg=dict(type='MixupPolicy'), name='MixupPolicy'), settings)
    assert result['peak_mb'] > 0 and result['step_mb'] is not None and result['step_mb'] >= 0
    assert result['method']


def test_cli_errors():
    with pytest.raises(SystemExit):
        benchmark.parse_args(['--mixer', 'SAMixMixer'])
    with pytest.raises(SystemExit):
        benchmark.parse_args(['--policy', 'CutMixPolicy', '--batch-size', '1'])
    with pytest.raises(SystemExit):
        benchmark.parse_args(['--policy', 'CutMixPolicy', '--doc', 'x.md'])
    with pytest.raises(SystemExit):
        benchmark.parse_args(['--mixer', 'SAMixMixer', '--feat-shape', '8', '4', '4', '--peers'])
    for variant in (['--variant', 'c.py'], ['--variant', 'c.py', 'model.x']):  # no KEY=VALUE
        with pytest.raises(SystemExit):
            benchmark.parse_args(variant)
