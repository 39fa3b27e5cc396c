"""The results protocol without training: seed statistics checked against numbers worked out by hand, the
probes and features on tiny inputs, the run cache of tools/make_results.py (training subprocess and evaluation
mocked), failed runs, the results.json layout and the rendered documents."""
import json
import os
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mixplugins.evaluation import calibrate_batchnorm, features, probes, protocol, report, results, stats

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools'))

import make_results  # noqa: E402

MOCOV2 = 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'
SIMCLR = make_results.SIMCLR
BYOL = make_results.BYOL
VANILLA = 'configs/samix/resnet18-cifar_1xb64-coslr-30e_digits.py'
SAMIX = 'configs/samix/samix_resnet18-cifar_1xb64-coslr-30e_digits.py'
SAMIX_P = 'configs/samix/samix-p_resnet18-cifar_1xb64-coslr-30e_digits.py'
SAMIX_P_MOCOV2 = 'configs/samix/samix-p_mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'
SAMIX_I = 'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-50e_digits.py'


# ---------------------------------------------------------------- statistics


def test_mean_and_sample_std_by_hand():
    # mean (88.9 + 90.3 + 87.5) / 3 = 88.9; deviations 0, 1.4, -1.4: s^2 = (0 + 1.96 + 1.96) / (3 - 1) = 1.96
    assert stats.mean_std([88.9, 90.3, 87.5]) == (pytest.approx(88.9), pytest.approx(1.4))
    assert stats.mean_std([5.0]) == (5.0, None)  # one seed: no spread
    with pytest.raises(ValueError, match='no values'):
        stats.mean_std([])


def test_welch_interval_by_hand():
    # variant [4, 5, 6] vs base [1, 2, 3]: d = 5 - 2 = 3; s = 1 each; se = sqrt(1/3 + 1/3) = 0.81650;
    # df = (2/3)^2 / ((1/3)^2 / 2 + (1/3)^2 / 2) = (4/9) / (1/9) = 4; t_0.975,4 = 2.77645 -> half width 2.26696
    assert stats.welch_df([4, 5, 6], [1, 2, 3]) == pytest.approx(4.0)
    diff, lo, hi = stats.diff_ci([4, 5, 6], [1, 2, 3])
    assert (diff, lo, hi) == (pytest.approx(3.0), pytest.approx(0.73304, abs=1e-4), pytest.approx(5.26696, abs=1e-4))
    assert stats.is_resolved(lo, hi)
    assert stats.diff_ci([1, 2, 3], [4, 5, 6]) == (pytest.approx(-3.0), pytest.approx(-5.26696, abs=1e-4),
                                                   pytest.approx(-0.73304, abs=1e-4))
    # unequal spreads, variant [10, 12] vs base [1, 2, 3, 4]: a = s1^2/n1 = 2/2 = 1, b = s2^2/n2 = (5/3)/4 = 0.41667;
    # df = (1 + 0.41667)^2 / (1^2/1 + 0.41667^2/3) = 2.00694 / 1.05787 = 1.89716
    assert stats.welch_df([10, 12], [1, 2, 3, 4]) == pytest.approx(1.89716, abs=1e-4)
    # the 90% interval is narrower than the 95% one around the same difference 11 - 2.5 = 8.5
    d95, lo95, hi95 = stats.diff_ci([10, 12], [1, 2, 3, 4])
    d90, lo90, hi90 = stats.diff_ci([10, 12], [1, 2, 3, 4], level=0.90)
    assert d95 == d90 == pytest.approx(8.5) and lo95 < lo90 < 8.5 < hi90 < hi95


def test_mean_minus_a_fixed_reference_by_hand():
    # [80, 82, 84] vs 81: d = 82 - 81 = 1; s = 2, se = 2 / sqrt(3) = 1.15470; t_0.975,2 = 4.30265 -> half 4.96828
    diff, lo, hi = stats.offset_ci([80, 82, 84], 81.0)
    assert (diff, lo, hi) == (pytest.approx(1.0), pytest.approx(-3.96828, abs=1e-4), pytest.approx(5.96828, abs=1e-4))
    assert not stats.is_resolved(lo, hi)
    # [4, 5, 6] vs 1: d = 4, se = 1 / sqrt(3) = 0.57735, half 2.48414: resolved
    assert stats.offset_ci([4, 5, 6], 1.0) == (pytest.approx(4.0), pytest.approx(1.51586, abs=1e-4),
                                                pytest.approx(6.48414, abs=1e-4))
    assert stats.offset_ci([3, 3], 1.0) == (2.0, 2.0, 2.0)  # no spread: the point d
    with pytest.raises(ValueError, match='needs two values'):
        stats.offset_ci([1.0], 0.0)


def test_resolved_and_within_noise():
    # variant [2, 4] vs base [1, 2, 3]: d = 1, se = sqrt(2/2 + 1/3) = 1.1547, df = 1.68: the interval holds 0
    diff, lo, hi = stats.diff_ci([2, 4], [1, 2, 3])
    assert diff == pytest.approx(1.0) and lo < 0 < hi and not stats.is_resolved(lo, hi)
    assert stats.diff_ci([2, 2], [1, 1]) == (1.0, 1.0, 1.0)  # no spread on either side: the point d
    assert stats.is_resolved(0.1, 2.0) and stats.is_resolved(-2.0, -0.1)
    assert not stats.is_resolved(-1.0, 1.0) and not stats.is_resolved(0.0, 1.0)
    with pytest.raises(ValueError, match='two values per side'):
        stats.diff_ci([1.0], [1.0, 2.0])


# ---------------------------------------------------------------- probes and features


def _toy(n_per_class=20, classes=4, seed=0):
    """Tiny 3 x 4 x 4 'images': class c lights row c of every channel (+ small noise); trivially separable."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.arange(classes).repeat(n_per_class)
    images = 0.05 * torch.randn(len(labels), 3, 4, 4, generator=gen)
    images[torch.arange(len(labels)), :, labels] += 1.0
    return images, labels


def test_pixel_probes_on_a_separable_toy_set():
    train, train_labels = _toy(seed=0)
    val, val_labels = _toy(seed=1)
    assert features.pixel_features(train).shape == (80, 48)
    scores = probes.probe_top1(features.pixel_features(train), train_labels, features.pixel_features(val),
                               val_labels)
    assert scores == dict(knn_top1=100.0, linear_top1=100.0)
    # labels independent of the features: near chance (25%)
    gen = torch.Generator().manual_seed(0)
    noise, shuffled = torch.randn(2000, 16, generator=gen), torch.randint(0, 4, (2000, ), generator=gen)
    assert abs(probes.logreg_top1(noise[:1500], shuffled[:1500], noise[1500:], shuffled[1500:]) - 25) < 8


def test_standardise_uses_the_training_statistics():
    train = torch.tensor([[1.0, 5.0], [3.0, 5.0]])  # column 0: mean 2, population std 1; column 1: constant
    val = torch.tensor([[4.0, 7.0]])
    train_std, val_std = probes.standardise(train, val)
    assert train_std.tolist() == [[-1.0, 0.0], [1.0, 0.0]]
    assert val_std.tolist() == [[2.0, 2.0]]  # (4 - 2) / 1; (7 - 5) / 1 (a zero std counts as 1)


def test_digits_images_are_normalised_without_augmentation():
    images, labels = features.digits_images('val', [44.6] * 3, [73.6] * 3, image_size=16)
    assert images.shape == (359, 3, 16, 16) and labels.shape == (359, )
    assert images.min().item() == pytest.approx((0 - 44.6) / 73.6)  # black canvas
    again, _ = features.digits_images('val', [44.6] * 3, [73.6] * 3, image_size=16)
    assert torch.equal(images, again)
    cfg = Config.fromfile(str(REPO / MOCOV2))
    cfg.train_dataloader.dataset.image_size = 12
    from_config, config_labels = features.config_images(cfg, 'train')
    assert from_config.shape == (1438, 3, 12, 12) and config_labels.shape == (1438, )


def test_pooled_features_by_hand():
    """A 1 x 1 x 2 x 2 stage output [[1, 2], [3, 6]]: global mean 3; 2 x 2 pooling keeps the four values; an
    already pooled N x C output passes unchanged."""
    feats = torch.tensor([[[[1.0, 2.0], [3.0, 6.0]]]])
    assert features.pooled(feats).tolist() == [[3.0]]
    assert features.pooled(feats, 2).tolist() == [[1.0, 2.0, 3.0, 6.0]]
    assert features.pooled(torch.tensor([[1.0, 2.0]])).tolist() == [[1.0, 2.0]]
    mean, std = features.normalisation([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])
    assert mean.shape == std.shape == (1, 3, 1, 1) and mean.flatten().tolist() == [1.0, 2.0, 3.0]


def _small_cfg():
    cfg = Config.fromfile(str(REPO / MOCOV2))
    cfg.model.backbone.update(base_channels=4, stem_channels=4)
    return cfg


def test_random_init_backbone_features_under_both_bn_definitions(tmp_path):
    cfg = _small_cfg()
    images, _ = _toy()  # 3 x 4 x 4
    train, val = images[:16], images[16:32]
    feats = features.random_init_features(cfg, 3, train, val)
    assert feats['data'][0].shape == (16, 32) and feats['default'][1].shape == (16, 32)  # 4 * 2^3 channels
    assert not torch.allclose(feats['data'][0], feats['default'][0])  # BN statistics of the data vs mean 0 / var 1
    same = features.random_init_features(cfg, 3, train, val)
    other = features.random_init_features(cfg, 4, train, val)
    assert torch.equal(feats['data'][0], same['data'][0]) and not torch.equal(feats['data'][0], other['data'][0])
    # a training checkpoint ('backbone.' prefix) loads back exactly; a wrong prefix is an error
    backbone = features.random_init_backbone(cfg, 3)
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in backbone.state_dict().items()}), checkpoint)
    loaded = features.load_backbone(cfg, str(checkpoint))
    assert torch.equal(features.backbone_features(loaded, train), feats['default'][0])
    with pytest.raises(KeyError, match='prefix'):
        features.load_backbone(cfg, str(checkpoint), prefix='encoder.')


def test_effective_rank_by_hand():
    """Centred rows (+-2, 0), (0, +-1): squared singular values 8 and 2, shares p = (0.8, 0.2), erank
    exp(-(0.8 ln 0.8 + 0.2 ln 0.2)) = exp(0.5004) = 1.6494; equal shares give 2, one direction 1."""
    erank, top5 = features.effective_rank(torch.tensor([[2.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, -1.0]]))
    assert erank == pytest.approx(1.64938, abs=1e-5) and top5 == pytest.approx(1.0)
    assert features.effective_rank(torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]))[0] == \
        pytest.approx(2.0)
    # the constant second column is removed by centring: one direction, whatever the offset and the scale
    assert features.effective_rank(torch.tensor([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]) * 7)[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match='do not vary'):
        features.effective_rank(torch.ones(4, 3))


def test_feature_rank_tool_measures_the_loaded_backbone(tmp_path, capsys):
    from feature_rank import main as feature_rank
    cfg = _small_cfg()
    config = tmp_path / 'small.py'
    cfg.dump(str(config))
    backbone = features.random_init_backbone(cfg, 3)
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in backbone.state_dict().items()}), checkpoint)
    [record] = feature_rank([str(config), str(checkpoint)])
    val, _ = features.config_images(cfg, 'val')
    expected, top5 = features.effective_rank(features.backbone_features(backbone, val))
    assert record['channels'] == 32 and record['effective_rank'] == pytest.approx(expected)
    assert record['top5_variance_share'] == pytest.approx(top5) and 1.0 <= expected <= 32.0
    assert f'effective rank {expected:.1f} of 32' in capsys.readouterr().out


def test_offset_share_by_hand():
    """Rows (1, 0), (3, 0): mean (2, 0), ||mean||^2 = 4, mean ||f||^2 = (1 + 9) / 2 = 5, share 0.8; centred rows
    give 0, equal rows 1."""
    assert features.offset_share(torch.tensor([[1.0, 0.0], [3.0, 0.0]])) == pytest.approx(0.8)
    assert features.offset_share(torch.tensor([[1.0, 2.0], [-1.0, -2.0]])) == pytest.approx(0.0)
    assert features.offset_share(torch.tensor([[1.0, 2.0], [1.0, 2.0]])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='all zero'):
        features.offset_share(torch.zeros(3, 2))


@pytest.mark.parametrize('config, blind', [(BYOL, True), (SIMCLR, True), (MOCOV2, False)])
def test_projector_sees_an_offset_of_the_features_unless_it_opens_with_bn(config, blind):
    """The docs' reading of the kNN checks: in training mode a neck ``Linear -> BN -> ...`` (BYOL, SimCLR) gives the
    same output for ``f`` and ``f + b`` (BN removes the batch mean of ``W (f + b) = W f + W b``), so their losses
    cannot see a common offset ``b`` of the backbone features; MoCo v2's ``Linear -> ReLU -> Linear`` can."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    neck = MODELS.build(Config.fromfile(str(REPO / config)).model.neck)
    neck.init_weights()
    neck.train()
    feats, offset = torch.randn(8, 128, 2, 2), 3.0 * torch.randn(1, 128, 1, 1)
    moved = (neck([feats])[0] - neck([feats + offset])[0]).abs().max().item()
    assert (moved < 1e-4) if blind else (moved > 0.1)


def test_knn_checks_read_the_same_weights_three_ways(tmp_path, capsys):
    from feature_rank import main as feature_rank
    cfg = _small_cfg()
    config = tmp_path / 'small.py'
    cfg.dump(str(config))
    torch.manual_seed(0)
    backbone = features.random_init_backbone(cfg, 3)
    backbone.train()
    with torch.no_grad():  # stored BN statistics that differ from those of the train digits
        backbone(torch.randn(32, 3, 32, 32) * 2.0 + 0.5)
    checkpoint = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={f'backbone.{k}': v for k, v in backbone.state_dict().items()}), checkpoint)
    [record] = feature_rank([str(config), str(checkpoint), '--knn-checks'])
    (train, train_labels), (val, val_labels) = features.config_images(cfg, 'train'), features.config_images(cfg, 'val')
    stored = features.load_backbone(cfg, str(checkpoint))
    train_feats, val_feats = features.backbone_features(stored, train), features.backbone_features(stored, val)
    assert record['knn_top1'] == probes.knn_probe_top1(train_feats, train_labels, val_feats, val_labels)
    mean = train_feats.mean(0)  # the train mean, subtracted from both sets
    assert record['knn_top1_centred'] == probes.knn_probe_top1(train_feats - mean, train_labels, val_feats - mean,
                                                               val_labels)
    data_bn = calibrate_batchnorm(stored, train.split(features.BATCH))
    assert not torch.allclose(data_bn.bn1.running_mean, stored.bn1.running_mean)
    assert record['knn_top1_data_bn'] == probes.knn_probe_top1(
        features.backbone_features(data_bn, train), train_labels, features.backbone_features(data_bn, val), val_labels)
    assert record['offset_share'] == pytest.approx(features.offset_share(train_feats)) and \
        0.0 < record['offset_share'] < 1.0
    assert f"offset share {record['offset_share']:.2f}" in capsys.readouterr().out


# ---------------------------------------------------------------- cache keys and code version


def test_code_version_covers_the_training_code_only(tmp_path):
    for rel in ('mixplugins/models/a.py', 'mixplugins/engine/hooks/b.py', 'mixplugins/evaluation/c.py',
                'tools/train.py', 'tools/make_results.py'):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text('x = 1\n')
    version = results.code_version(str(tmp_path))
    (tmp_path / 'mixplugins/evaluation/c.py').write_text('x = 2\n')
    (tmp_path / 'tools/make_results.py').write_text('x = 2\n')
    assert results.code_version(str(tmp_path)) == version  # evaluation / rendering edits keep the cached runs
    for rel in ('mixplugins/engine/hooks/b.py', 'tools/train.py'):
        (tmp_path / rel).write_text('x = 3\n')
        assert results.code_version(str(tmp_path)) != version
        version = results.code_version(str(tmp_path))


def test_code_version_ignores_docstrings_comments_and_formatting(tmp_path):
    (tmp_path / 'tools').mkdir()
    (tmp_path / 'tools/train.py').write_text('x = 1\n')
    model = tmp_path / 'mixplugins/models/m.py'
    model.parent.mkdir(parents=True)
    model.write_text('"""Module."""\ndef f(a):\n    """Doc."""\n    return a + 1\n')
    version = results.code_version(str(tmp_path))
    model.write_text('"""Other module doc."""\n# a comment\ndef f(a):\n    """Other doc, longer.\n\n    """\n'
                     '    return (a +\n            1)\n')
    assert results.code_version(str(tmp_path)) == version
    model.write_text('def f(a):\n    return a + 2\n')
    assert results.code_version(str(tmp_path)) != version
    model.write_text('def f(a):\n    """Only a docstring."""\n')
    assert results.code_text(model.read_bytes()) != results.code_text(b'def f(a):\n    return a\n')


def test_run_key_changes_with_each_input():
    key = results.run_key('c.py', 'text', ['a=1', 'b=2'], 0, 'code')
    assert results.run_key('c.py', 'text', ['b=2', 'a=1'], 0, 'code') == key  # sorted overrides
    changed = [results.run_key('d.py', 'text', ['a=1', 'b=2'], 0, 'code'),
               results.run_key('c.py', 'text2', ['a=1', 'b=2'], 0, 'code'),
               results.run_key('c.py', 'text', ['a=1', 'b=3'], 0, 'code'),
               results.run_key('c.py', 'text', ['a=1', 'b=2'], 1, 'code'),
               results.run_key('c.py', 'text', ['a=1', 'b=2'], 0, 'code2'),
               results.run_key('c.py', 'text', ['a=1', 'b=2'], 0, 'code', ['source-key'])]
    assert len({key, *changed}) == 7
    assert results.parse_options(['a.b=1', 'c=x,y', 'd=[1,2]']) == {'a.b': 1, 'c': ['x', 'y'], 'd': [1, 2]}


# ---------------------------------------------------------------- results.json and rendering


def _record(status='ok', knn=50.0, linear=60.0, own=None, minutes=(1.0, 0.5)):
    return dict(status=status, knn_top1=knn, linear_top1=linear, own_top1=own, pretrain_min=minutes[0],
                eval_min=minutes[1], error=None if status == 'ok' else 'RuntimeError: boom\nlast line of log',
                commands=['python tools/train.py x.py'], machine='CPU (2 cores)')


def _hand_made_results(notes=None, base_seeds=(0, 1, 2)):
    """Base kNN [1, 2, 3], variant kNN [4, 5, 6] (resolved); linear: base [10, 20, 30], variant [12, 22, 26]
    (d = 0, within noise); a third row with seed 2 failed and seed 1 not run. With ``base_seeds`` longer than the
    table's 0, 1, 2, the base row runs those seeds too (kNN 4.0, linear 40.0 on each of them)."""
    rows = [dict(method='Base', config='a.py', base=None, labels=False, seeds=list(base_seeds)),
            dict(method='Variant', config='b.py', base='a.py', labels=False),
            dict(method='Sup', config='c.py', base=None, labels=True)]
    values = {'a.py': ((1.0, 10.0), (2.0, 20.0), (3.0, 30.0)), 'b.py': ((4.0, 12.0), (5.0, 22.0), (6.0, 26.0))}
    records = {(config, seed): _record(knn=knn, linear=linear)
               for config, per_seed in values.items() for seed, (knn, linear) in enumerate(per_seed)}
    records.update({('a.py', seed): _record(knn=4.0, linear=40.0) for seed in base_seeds[3:]})
    records[('c.py', 0)] = _record(knn=70.0, linear=80.0, own=90.0)
    records[('c.py', 2)] = _record(status='failed')
    random_init = dict(random_init_knn_top1=30.0, random_init_linear_top1=40.0, random_init_default_bn_knn_top1=20.0,
                       random_init_default_bn_linear_top1=25.0)
    baselines = dict(config='a.py', pixels=dict(_record(), pixel_knn_top1=41.5, pixel_linear_top1=85.25),
                     random_init={s: dict(_record(), **random_init) for s in base_seeds})
    meta = dict(date='2026-12-02 00:00 UTC', environment={'torch': '2.1.2'}, command='python tools/make_results.py',
                pretrain_options=['train_cfg.max_epochs=2'])
    return results.assemble_results(rows, [0, 1, 2], records, baselines, meta, notes)


def test_assembled_results_follow_the_schema():
    obj = _hand_made_results(notes={'b.py': 'explained'})
    results.validate_results(obj)
    json.loads(json.dumps(obj))  # plain JSON
    base, variant, sup = obj['rows']
    assert base['knn_top1'] == [1.0, 2.0, 3.0] and base['own_top1'] is None and variant['base'] == 'a.py'
    assert sup['own_top1'] == [90.0, None, None] and sup['failed_seeds'] == [2] and sup['missing_seeds'] == [1]
    assert sup['knn_top1'] == [70.0, None, None]
    assert obj['baselines']['pixel_knn_top1'] == 41.5
    assert obj['baselines']['random_init_default_bn_knn_top1'] == [20.0] * 3
    # 8 row records (one not run) + the pixel record + 3 random-init records, 1.5 min each
    assert obj['meta']['total_min'] == pytest.approx(12 * 1.5)
    assert obj['meta']['row_min'] == {'a.py': 4.5, 'b.py': 4.5, 'c.py': 3.0}
    assert obj['meta']['complete'] is False and obj['meta']['seeds'] == [0, 1, 2]
    assert obj['meta']['machine'] == 'CPU (2 cores)'


def test_a_row_with_more_seeds():
    obj = _hand_made_results(base_seeds=(0, 1, 2, 3, 4))
    results.validate_results(obj)
    base, variant, _ = obj['rows']
    assert base['seeds'] == [0, 1, 2, 3, 4] and base['knn_top1'] == [1.0, 2.0, 3.0, 4.0, 4.0]
    assert variant['seeds'] == [0, 1, 2] and obj['meta']['seeds'] == [0, 1, 2]
    assert obj['baselines']['seeds'] == [0, 1, 2, 3, 4] and obj['baselines']['random_init_knn_top1'] == [30.0] * 5
    assert obj['meta']['complete'] is False  # the Sup row still misses seed 1
    text = report.render_document(obj, '# T')
    cells = [[cell.strip() for cell in line.strip('|').split('|')] for line in text.splitlines() if line[:2] == '| ']
    table = {row[0]: row for row in cells}
    # base kNN [1, 2, 3, 4, 4]: mean 2.8, s^2 = (3.24 + 0.64 + 0.04 + 1.44 + 1.44) / 4 = 1.7
    assert table['Base'][table['method'].index('kNN top-1 (%)')] == '2.80 ± 1.30 (1.0 / 2.0 / 3.0 / 4.0 / 4.0)'
    assert 'More seeds: Base runs seeds 0, 1, 2, 3, 4.' in text
    assert '**Incomplete**: 10 of the 11 runs' in text and 'of the 6 baseline runs' in text
    summary = {line.split('|')[1].strip(): line for line in report.readme_summary(obj).splitlines()}
    assert '| 5 of 5 |' in summary['Base'] and '| 3 of 3 |' in summary['Variant']
    obj['rows'][0]['seeds'] = [1, 0, 2, 3, 4]
    with pytest.raises(ValueError, match=r"'seeds' \[1, 0, 2, 3, 4\] must be meta.seeds \[0, 1, 2\], then"):
        results.validate_results(obj)
    obj = _hand_made_results(base_seeds=(0, 1, 2, 3, 4))
    obj['baselines']['seeds'] = [0, 1, 2]
    with pytest.raises(ValueError, match=r"baselines: 'seeds' \[0, 1, 2\] must be every seed of a row"):
        results.validate_results(obj)


@pytest.mark.parametrize('path, key', [((), 'meta'), (('meta', ), 'date'), (('baselines', ), 'pixel_knn_top1'),
                                       (('baselines', ), 'random_init_default_bn_linear_top1'),
                                       (('rows', 1), 'knn_top1'), (('rows', 0), 'failed_seeds'),
                                       (('rows', 2), 'own_top1')])
def test_validation_names_a_missing_key(path, key):
    obj = _hand_made_results()
    node = obj
    for step in path:
        node = node[step]
    del node[key]
    with pytest.raises(ValueError, match=f"missing key '{key}'"):
        results.validate_results(obj)


def test_validation_rejects_wrong_values():
    obj = _hand_made_results()
    obj['rows'][0]['linear_top1'] = [1.0, 2.0]
    with pytest.raises(ValueError, match="'linear_top1' must hold a number or null for each of the 3 seeds"):
        results.validate_results(obj)
    obj = _hand_made_results()
    obj['rows'][2]['knn_top1'][2] = 5.0  # a failed seed with a value
    with pytest.raises(ValueError, match="'failed_seeds' 2"):
        results.validate_results(obj)
    obj = _hand_made_results()
    obj['rows'][1]['base'] = 'nowhere.py'
    with pytest.raises(ValueError, match="'base' 'nowhere.py' is not the config of a row"):
        results.validate_results(obj)
    obj = _hand_made_results()
    obj['rows'][0]['labels'] = 'no'
    with pytest.raises(ValueError, match="'labels' must be bool/null, got str"):
        results.validate_results(obj)
    with pytest.raises(ValueError, match="not a row: \\['z.py'\\]"):
        results.validate_results(_hand_made_results(notes={'z.py': 'typo'}))


def test_rendered_rows_state_the_differences_and_failures():
    text = report.render_document(_hand_made_results(notes={'b.py': 'below its base on linear: explained'}),
                                  '# T')
    cells = [[cell.strip() for cell in line.strip('|').split('|')] for line in text.splitlines() if line[:2] == '| ']
    table = {row[0]: row for row in cells}
    header = table['method']
    base, variant, sup = table['Base'], table['Variant'], table['Sup']
    # mean 2 ± 1 (sample std of [1, 2, 3]); per-seed values in brackets
    assert base[header.index('kNN top-1 (%)')] == '2.00 ± 1.00 (1.0 / 2.0 / 3.0)'
    assert base[header.index('Δ kNN vs base, 95% CI')] == '-'
    # kNN: [4, 5, 6] - [1, 2, 3] = 3, half width 2.26696 (test_welch_interval_by_hand): resolved
    assert variant[header.index('Δ kNN vs base, 95% CI')] == '+3.00 [+0.73, +5.27] resolved'
    # vs raw pixels (41.5): [1, 2, 3] -> 2 - 41.5 = -39.5, half width 4.30265 / sqrt(3) = 2.48414: resolved
    assert base[header.index('Δ kNN vs raw pixels, 95% CI')] == '-39.50 [-41.98, -37.02] resolved'
    assert sup[header.index('Δ kNN vs raw pixels, 95% CI')] == 'n/a (< 2 seeds)'
    # linear: means 20 and 20, d = 0: within noise
    assert variant[header.index('Δ linear vs base, 95% CI')].startswith('+0.00 [') and \
        variant[header.index('Δ linear vs base, 95% CI')].endswith('] within noise')
    assert variant[header.index('base')] == 'Base'
    # one finished seed: no spread, seed 1 not run ('-'), seed 2 failed
    assert sup[header.index('kNN top-1 (%)')] == '70.00 (70.0 / - / failed)'
    assert sup[header.index('own top-1 (%)')] == '90.00 (90.0 / - / failed)'
    assert base[header.index('own top-1 (%)')] == '-' and sup[header.index('labels')] == 'yes'
    assert table['raw pixels (normalised; seed-independent)'][1:3] == ['41.50', '85.25']
    assert '**Incomplete**: 8 of the 9 runs' in text
    assert '- Sup, seed 2: `last line of log`' in text
    assert '- Sup:\n\n  ```\n  python tools/train.py x.py\n  ```' in text
    assert '- Variant (`b.py`): below its base on linear: explained' in text
    assert 'Pretraining overrides (`--pretrain-options`, applied to every config): `train_cfg.max_epochs=2`' in text
    assert 'Regeneration time of the whole table: 18.0 min' in text
    subset = report.render_document(_hand_made_results(), '# S', configs=['a.py'])
    assert '| Base |' in subset and '| Variant |' not in subset and 'Incomplete' not in subset


def test_readme_summary_block(tmp_path):
    results_obj = _hand_made_results()
    lines = report.readme_summary(results_obj).splitlines()
    rows = {line.split('|')[1].strip(): [c.strip() for c in line.strip('|').split('|')] for line in lines
            if line.startswith('| ') and not line.startswith('| method')}
    assert rows['Base'][1:3] == ['2.0 ± 1.0', '20.0 ± 10.0']  # kNN [1, 2, 3], linear [10, 20, 30]
    assert rows['Variant'][5] == 'vs Base: +3.00 [+0.73, +5.27] resolved'
    assert rows['Sup'][4] == '1 of 3' and rows['Sup'][3] == '90.0'  # one finished seed: no spread
    assert rows['Variant'][6] == '-36.50 [-38.98, -34.02] resolved'  # [4, 5, 6] vs pixels 41.5
    assert rows['raw pixels'][6] == '-'
    assert rows['raw pixels'][1:3] == ['41.5', '85.2']
    readme = tmp_path / 'README.md'
    start, end = make_results.README_MARKERS
    readme.write_text(f'intro\n{start}\nold table\n{end}\noutro\n')
    make_results.write_readme_summary(results_obj, str(readme))
    text = readme.read_text()
    assert text.startswith(f'intro\n{start}\n| method') and text.endswith(f'{end}\noutro\n')
    assert 'old table' not in text and '| Variant |' in text
    readme.write_text('no markers')
    with pytest.raises(ValueError, match='markers'):
        make_results.write_readme_summary(results_obj, str(readme))


# ---------------------------------------------------------------- the cache of tools/make_results.py


class FakeRuns:
    """Stands in for the training subprocess and the in-process evaluations; counts the calls."""

    def __init__(self, monkeypatch, fail=()):
        self.train, self.export, self.evaluated, self.baselines, self.commands = [], [], [], [], []
        self.fail = set(fail)
        monkeypatch.setattr(make_results, 'run_command', self.run_command)
        monkeypatch.setattr(make_results, 'read_val_top1', lambda work_dir: 90.0)
        monkeypatch.setattr(protocol, 'evaluate_checkpoint', self.evaluate_checkpoint)
        monkeypatch.setattr(protocol, 'evaluate_random_init', self.evaluate_random_init)
        monkeypatch.setattr(protocol, 'evaluate_pixels', self.evaluate_pixels)

    def run_command(self, cmd, log_path):
        if cmd[1] == 'tools/model_converters/export_mixer.py':
            self.export.append(cmd)
            return 0.1
        config, work_dir, seed = cmd[2], Path(cmd[4]), int(cmd[6].split('=')[1])
        self.train.append((config, seed))
        if (config, seed) in self.fail:
            raise RuntimeError(f'command failed (1): {cmd}\nlog {log_path}:\nTraceback ...\nValueError: diverged')
        work_dir = work_dir if work_dir.is_absolute() else make_results.ROOT / work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_2.pth'))
        self.commands.append(cmd)
        return 2.0

    def evaluate_checkpoint(self, cfg, checkpoint):
        self.evaluated.append(checkpoint)
        return dict(knn_top1=60.0, linear_top1=70.0)

    def evaluate_random_init(self, cfg, seed):
        self.baselines.append(seed)
        return dict(random_init_knn_top1=30.0, random_init_linear_top1=40.0, random_init_default_bn_knn_top1=20.0,
                    random_init_default_bn_linear_top1=25.0)

    def evaluate_pixels(self, cfg):
        self.baselines.append('pixels')
        return dict(pixel_knn_top1=41.0, pixel_linear_top1=85.0)

    def counts(self):
        counts = (len(self.train), len(self.evaluated), len(self.baselines))
        self.train, self.evaluated, self.baselines = [], [], []
        return counts


@pytest.fixture
def table(tmp_path, monkeypatch):
    """Two rows on temporary configs that inherit real digits configs (SSL base, supervised variant); returns
    ``run(*argv)`` calling make_results.main with --seeds 0 1 into tmp_path, and the configs."""
    ssl, sup = tmp_path / 'configs' / 'ssl.py', tmp_path / 'configs' / 'sup.py'
    ssl.parent.mkdir()
    ssl.write_text(f"_base_ = '{REPO / MOCOV2}'\n")
    sup.write_text(f"_base_ = '{REPO / VANILLA}'\n")
    monkeypatch.setattr(make_results, 'ROWS', [('SSL', str(ssl), None), ('Sup', str(sup), str(ssl))])
    monkeypatch.setattr(make_results, 'DOCUMENTS', (('results.md', '# All', None), ('results_sup.md', '# Sup',
                                                                                    [str(sup)])))
    out = tmp_path / 'docs' / 'results.json'

    def run(*argv):
        make_results.main([*argv, '--seeds', '0', '1', '--work-dir', str(tmp_path / 'work'), '--out-json', str(out),
                           '--notes', str(tmp_path / 'notes.json')])
        return json.loads(out.read_text()) if out.exists() else None

    return run, str(ssl), str(sup)


def test_second_invocation_runs_nothing_and_a_row_reruns_alone(table, monkeypatch, tmp_path, capsys):
    run, ssl, sup = table
    fake = FakeRuns(monkeypatch)
    assert run('--dry-run') is None and fake.counts() == (0, 0, 0)  # nothing run, nothing written
    assert capsys.readouterr().out.count(': would run') == 7  # pixels, 2 random init, 2 rows x 2 seeds
    obj = run()
    assert fake.counts() == (4, 4, 3)  # 2 rows x 2 seeds trained and evaluated; pixels + 2 random-init seeds
    assert obj['rows'][0]['knn_top1'] == [60.0, 60.0] and obj['rows'][0]['own_top1'] is None
    assert obj['rows'][1]['own_top1'] == [90.0, 90.0] and obj['rows'][1]['labels'] is True
    assert obj['meta']['complete'] and obj['meta']['total_min'] == pytest.approx(4 * 2.0)
    out = capsys.readouterr().out
    assert '[2/7] baseline: random init seed 0: running' in out and '[3/7] SSL seed 0: ok kNN 60.0 linear 70.0' in out
    command = fake.commands[0]
    assert command[2:] == [ssl, '--work-dir', command[4], '--cfg-options', 'randomness.seed=0',
                           'custom_hooks.0.before_train=False', 'custom_hooks.0.after_train=False']
    record = results.read_record(str(Path(command[4]).parent))  # what selects the draw beside the cache key
    assert record['omp_num_threads'] == os.environ.get('OMP_NUM_THREADS')
    assert {'torch', 'pillow', 'numpy', 'opencv', 'mmcv'} <= set(record['environment'])
    again = run()
    assert fake.counts() == (0, 0, 0)  # everything cached
    assert again['rows'] == obj['rows'] and again['baselines'] == obj['baselines']
    assert '[4/7] Sup seed 0: cached ok kNN 60.0 linear 70.0 own 90.0' in capsys.readouterr().out
    run(sup, '--force')
    assert fake.counts() == (2, 2, 0)  # only the forced row, both seeds
    sup_cfg = Path(sup)
    sup_cfg.write_text(sup_cfg.read_text() + 'optim_wrapper = dict(optimizer=dict(lr=0.05))\n')
    run()
    assert fake.counts() == (2, 2, 0) and {cmd[2] for cmd in fake.commands[-2:]} == {sup}  # only the edited one
    docs = (tmp_path / 'docs' / 'results.md').read_text()
    assert '| SSL |' in docs and '| Sup |' in docs and 'Incomplete' not in docs
    assert '| Sup |' in (tmp_path / 'docs' / 'results_sup.md').read_text()
    (tmp_path / 'docs' / 'results.md').unlink()
    (tmp_path / 'notes.json').write_text(json.dumps({sup: 'why it differs'}))
    assert run('--render-only')['notes'] == {sup: 'why it differs'} and fake.counts() == (0, 0, 0)
    assert f'- Sup (`{sup}`): why it differs' in (tmp_path / 'docs' / 'results.md').read_text()


def test_changed_override_reruns_and_partial_table_resumes(table, monkeypatch, tmp_path, capsys):
    run, ssl, sup = table
    fake = FakeRuns(monkeypatch)
    obj = run(ssl)  # one row alone: the table still lists every row, the other one as not run
    assert fake.counts() == (2, 2, 3)
    assert obj['rows'][1]['missing_seeds'] == [0, 1] and obj['rows'][1]['knn_top1'] == [None, None]
    assert not obj['meta']['complete']
    assert '**Incomplete**: 2 of the 4 runs' in (tmp_path / 'docs' / 'results.md').read_text()
    obj = run()  # resumes: only the missing row
    assert fake.counts() == (2, 2, 0) and obj['meta']['complete']
    run('--pretrain-options', 'train_cfg.max_epochs=1')  # a new override changes every key, baselines included
    assert fake.counts() == (4, 4, 3)
    assert [cmd[7:] for cmd in fake.commands[-4:]] == [
        ['train_cfg.max_epochs=1', 'custom_hooks.0.before_train=False', 'custom_hooks.0.after_train=False'],
        ['train_cfg.max_epochs=1']] * 2  # seed by seed: the SSL row (kNN monitor off), the supervised row
    capsys.readouterr()
    run('--pretrain-options', 'train_cfg.max_epochs=1', '--dry-run')
    assert fake.counts() == (0, 0, 0) and ': would run' not in capsys.readouterr().out


def test_a_row_of_min_seeds_runs_the_next_seeds(table, monkeypatch, tmp_path, capsys):
    run, ssl, sup = table
    monkeypatch.setattr(make_results, 'MIN_SEEDS', {ssl: 3})
    fake = FakeRuns(monkeypatch)
    run('--dry-run')
    out = capsys.readouterr().out
    assert out.count(': would run') == 9  # pixels, 3 random init, SSL seeds 0-2, Sup seeds 0-1
    assert '[8/9] baseline: random init seed 2: would run' in out and '[9/9] SSL seed 2: would run' in out
    obj = run()
    assert sorted(fake.train) == [(ssl, 0), (ssl, 1), (ssl, 2), (sup, 0), (sup, 1)] and fake.counts() == (5, 5, 4)
    assert obj['rows'][0]['seeds'] == [0, 1, 2] and obj['rows'][1]['seeds'] == [0, 1]
    assert obj['meta']['seeds'] == [0, 1] and obj['baselines']['seeds'] == [0, 1, 2] and obj['meta']['complete']
    monkeypatch.setattr(make_results, 'MIN_SEEDS', {})
    obj = run()  # the third seed stays cached but leaves the table
    assert fake.counts() == (0, 0, 0) and obj['rows'][0]['seeds'] == [0, 1] and obj['baselines']['seeds'] == [0, 1]


def test_min_seeds_extend_the_table_seeds():
    byol = make_results.BYOL
    assert make_results.row_seeds(byol, [0, 1, 2]) == [0, 1, 2, 3, 4, 5]
    assert make_results.row_seeds(byol, [2, 7]) == [2, 7, 8, 9, 10, 11]
    assert make_results.row_seeds(byol, list(range(10))) == list(range(10))  # more seeds given: unchanged
    assert make_results.row_seeds(MOCOV2, [0, 1, 2]) == [0, 1, 2]
    assert set(make_results.MIN_SEEDS) <= {config for _, config, _ in make_results.ROWS}


def test_failed_runs_are_recorded_rendered_and_rerun_on_request(table, monkeypatch, tmp_path):
    run, ssl, sup = table
    fake = FakeRuns(monkeypatch, fail={(sup, 1)})
    obj = run()
    assert fake.counts() == (4, 3, 3)
    row = obj['rows'][1]
    assert row['failed_seeds'] == [1] and row['knn_top1'] == [60.0, None] and 'diverged' in row['errors']['1']
    record = json.loads(next((tmp_path / 'work' / 'runs' / 'sup').glob('seed1-*/record.json')).read_text())
    assert (record['status'], record['seed'], record['knn_top1'], record['own_top1']) == ('failed', 1, None, None)
    assert record['error'].endswith('ValueError: diverged') and record['config'] == sup
    docs = (tmp_path / 'docs' / 'results.md').read_text()
    assert '60.00 (60.0 / failed)' in docs and '- Sup, seed 1: `ValueError: diverged`' in docs
    run()
    assert fake.counts() == (0, 0, 0)  # a failed record is a result too
    fake.fail.clear()
    obj = run('--rerun-failed')
    assert fake.counts() == (1, 1, 0) and obj['rows'][1]['failed_seeds'] == []


def test_new_eval_version_reevaluates_without_training(table, monkeypatch):
    run, ssl, sup = table
    fake = FakeRuns(monkeypatch)
    run()
    fake.counts()
    monkeypatch.setattr(make_results, 'EVAL_VERSION', results.EVAL_VERSION + 1)
    run()
    assert fake.counts() == (0, 4, 3)  # evaluated from the checkpoints; the baselines recomputed
    run()
    assert fake.counts() == (0, 0, 0)


def test_samix_p_exports_the_mixer_of_the_same_seed(tmp_path, monkeypatch):
    monkeypatch.setattr(make_results, 'ROWS', [('SAMix', SAMIX, None), ('SAMix^P', SAMIX_P, SAMIX)])
    monkeypatch.setattr(make_results, 'DOCUMENTS', (('results.md', '# All', None), ))
    fake = FakeRuns(monkeypatch, fail={(SAMIX, 0)})
    out = tmp_path / 'results.json'
    argv = ['--seeds', '0', '--work-dir', str(tmp_path / 'work'), '--out-json', str(out), '--notes',
            str(tmp_path / 'none.json')]
    make_results.main(argv)
    obj = json.loads(out.read_text())
    assert fake.export == [] and [row['failed_seeds'] for row in obj['rows']] == [[0], [0]]
    assert "pretrained_mixer_from='configs/samix/samix_resnet18" in obj['rows'][1]['errors']['0']
    fake.fail.clear()
    make_results.main(argv + ['--rerun-failed'])
    assert len(fake.export) == 1 and fake.train[-2:] == [(SAMIX, 0), (SAMIX_P, 0)]
    assert [cmd[2] for cmd in fake.commands] == [SAMIX, SAMIX_P]
    mixer = fake.export[0][3]
    assert fake.export[0][2] == str(Path(fake.commands[0][4]) / 'epoch_2.pth')  # the source run's checkpoint
    assert mixer.endswith('/mixer.pth') and 'samix-p_resnet18' in mixer
    overrides = fake.commands[-1][6:]
    assert f'model.train_cfg.augments.checkpoint={mixer}' in overrides and f'pretrained_mixer={mixer}' in overrides


def test_rows_cover_the_methods_with_mixer_sources_first():
    configs = [config for _, config, _ in make_results.ROWS]
    assert len(set(configs)) == len(configs) == 24
    assert configs[0] == MOCOV2 and all(base in configs[:configs.index(c)] for _, c, base in make_results.ROWS
                                        if base)
    for source, target in ((SAMIX_I, SAMIX_P_MOCOV2), (SAMIX, SAMIX_P)):
        assert Config.fromfile(str(REPO / target)).pretrained_mixer_from == source
        assert configs.index(source) < configs.index(target)
    documents = {name: configs for name, _, configs in make_results.DOCUMENTS}
    assert documents['results.md'] is None and MOCOV2 in documents['results_ssl.md']
    assert SAMIX_P in documents['results_samix.md'] and SAMIX_P not in documents['results_ssl.md']


def test_reads_runner_outputs(tmp_path):
    with pytest.raises(FileNotFoundError, match='last_checkpoint'):
        make_results.last_checkpoint(str(tmp_path))
    (tmp_path / 'last_checkpoint').write_text('/w/epoch_8.pth\n')
    assert make_results.last_checkpoint(str(tmp_path)) == '/w/epoch_8.pth'
    (tmp_path / 'last_checkpoint').write_text('work_dirs/r/epoch_8.pth\n')
    assert make_results.last_checkpoint(str(tmp_path)) == str(REPO / 'work_dirs/r/epoch_8.pth')
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        make_results.read_val_top1(str(tmp_path))
    for stamp, top1 in (('20260101_000000', 11.0), ('20260102_000000', 55.5)):
        folder = tmp_path / stamp / 'vis_data'
        folder.mkdir(parents=True)
        lines = [dict(loss=2.0, step=1), {'accuracy/top1': top1 - 10, 'step': 5}, {'accuracy/top1': top1, 'step': 10}]
        (folder / 'scalars.json').write_text('\n'.join(json.dumps(line) for line in lines) + '\n')
    assert make_results.read_val_top1(str(tmp_path)) == 55.5  # last value of the latest run


def test_pretraining_switches_the_knn_monitor_off():
    ssl = Config.fromfile(str(REPO / SAMIX_I))
    assert make_results.knn_off_options(ssl) == ['custom_hooks.0.before_train=False',
                                                 'custom_hooks.0.after_train=False']
    ssl.merge_from_dict(results.parse_options(make_results.knn_off_options(ssl)))
    assert ssl.custom_hooks[0].type == 'KNNEvalHook' and ssl.custom_hooks[0].interval == 0
    assert ssl.custom_hooks[0].before_train is False and ssl.custom_hooks[0].after_train is False
    assert make_results.knn_off_options(Config.fromfile(str(REPO / SAMIX))) == []  # no kNN monitor


def test_documented_short_schedule_applies_to_every_row():
    """The committed tables' --pretrain-options (param_scheduler.0.*) need a scheduler list in every config."""
    options = ['train_cfg.max_epochs=3', 'param_scheduler.0.T_max=3', 'param_scheduler.0.end=3']
    for _, config, _ in make_results.ROWS:
        if not (REPO / config).exists():
            continue  # a row whose config is not written yet is reported as failed
        cfg = results.merged_config(str(REPO / config), options)
        assert isinstance(cfg.param_scheduler, list), config
        assert (cfg.param_scheduler[0].T_max, cfg.param_scheduler[0].end) == (3, 3), config
