"""The embedded digits data and the kNN evaluation."""
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS
from sklearn.datasets import load_digits

import mixplugins  # noqa: F401
from mixplugins.datasets.digits import digits_split_indices, render_digits
from mixplugins.evaluation import knn_top1, weighted_knn_predict


def test_split_is_fixed_stratified_and_disjoint():
    train, val = digits_split_indices('train'), digits_split_indices('val')
    assert (len(train), len(val)) == (1438, 359)
    assert not set(train) & set(val)
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(1797))
    assert np.array_equal(val, digits_split_indices('val'))
    labels = load_digits().target
    assert np.bincount(labels[val], minlength=10).min() >= 35


def test_dataset_serves_real_images_and_labels():
    ds = DATASETS.build(dict(type='DigitsDataset', split='val', image_size=16, digit_scale=None))
    sample = ds[0]
    assert sample['img'].shape == (16, 16, 3) and sample['img'].dtype == np.uint8
    digits = load_digits()
    idx = digits_split_indices('val')[0]
    assert sample['gt_label'] == digits.target[idx]
    # the rendering is the 8x8 scan upsampled: block means follow the original grey levels
    grey = sample['img'][..., 0].astype(float).reshape(8, 2, 8, 2).mean(axis=(1, 3))
    assert np.corrcoef(grey.ravel(), digits.images[idx].ravel())[0, 1] > 0.9
    assert len(ds) == 359 and ds.metainfo['classes'][3] == '3'


def test_scattered_rendering_is_seeded_and_within_the_scale_range():
    a, b = render_digits(24), render_digits(24)
    assert np.array_equal(a, b)
    ink = a[..., 0] > 0
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    heights = rows.shape[1] - rows[:, ::-1].argmax(1) - rows.argmax(1)
    widths = cols.shape[1] - cols[:, ::-1].argmax(1) - cols.argmax(1)
    # the ink never exceeds the pasted square of side <= round(0.9 * 24) = 22
    assert heights.max() <= 22 and widths.max() <= 22
    # positions vary: the ink's top-left corner is not always the same
    assert len({(r, c) for r, c in zip(rows.argmax(1), cols.argmax(1))}) > 50
    with pytest.raises(ValueError, match='digit_scale'):
        DATASETS.build(dict(type='DigitsDataset', digit_scale=(0.9, 0.5)))


def test_dataset_in_a_multiview_pipeline():
    view = [dict(type='RandomResizedCrop', scale=16, crop_ratio_range=(0.5, 1.), backend='pillow')]
    ds = DATASETS.build(dict(type='DigitsDataset', split='train', image_size=16, pipeline=[
        dict(type='MultiView', num_views=2, transforms=[view]), dict(type='PackInputs')]))
    out = ds[0]
    assert len(out['inputs']) == 2 and out['inputs'][0].shape == (3, 16, 16)


@pytest.mark.parametrize('cfg, key', [
    (dict(type='DigitsDataset', split='test'), 'split'),
    (dict(type='DigitsDataset', image_size=4), 'image_size'),
    (dict(type='NoSuchDataset'), 'NoSuchDataset'),
    (dict(type='DigitsDataset', data_root='data/digits'), 'data_root'),
])
def test_bad_dataset_config_names_the_key(cfg, key):
    with pytest.raises((ValueError, KeyError, FileNotFoundError)) as err:
        DATASETS.build(cfg)
    assert key in str(err.value)


def test_missing_data_root_of_a_folder_dataset_names_the_path():
    """mmpretrain's folder datasets fail on a missing root with the path in the message (mmengine's error)."""
    with pytest.raises(FileNotFoundError, match='/no/such/root'):
        DATASETS.build(dict(type='CustomDataset', data_root='/no/such/root'))


def test_weighted_knn_by_hand():
    # train: two points of class 0 near e1, one of class 1 at e2; query between, closer to e2.
    train = torch.tensor([[1., 0.], [0.8, 0.6], [0., 1.]])
    labels = torch.tensor([0, 0, 1])
    query = torch.tensor([[0.6, 0.8]])
    scores = weighted_knn_predict(train, labels, query, num_classes=2, k=3, temperature=0.5)
    # cosines: 0.6, 0.48 + 0.48 = 0.96, 0.8
    expected0 = math.exp(0.6 / 0.5) + math.exp(0.96 / 0.5)
    expected1 = math.exp(0.8 / 0.5)
    assert torch.allclose(scores, torch.tensor([[expected0, expected1]]), rtol=1e-5)
    # k=1 keeps only the nearest neighbour (class 0), k=2 the two nearest: 0.96 (c0) and 0.8 (c1)
    k2 = weighted_knn_predict(train, labels, query, num_classes=2, k=2, temperature=0.5)
    assert torch.allclose(k2, torch.tensor([[math.exp(0.96 / 0.5), math.exp(0.8 / 0.5)]]), rtol=1e-5)
    assert knn_top1(train, labels, query, torch.tensor([0]), 2, k=3, temperature=0.5) == 100.0
    # with a high temperature the vote is a count: 2 neighbours of class 0 win over 1 of class 1
    assert knn_top1(train, labels, query, torch.tensor([0]), 2, k=3, temperature=100.) == 100.0
    with pytest.raises(ValueError, match='k must be'):
        weighted_knn_predict(train, labels, query, 2, k=0)


def test_batchnorm_calibration_by_hand_leaves_the_original_untouched():
    from mixplugins.evaluation import calibrate_batchnorm, has_untracked_batchnorm
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1, bias=False), torch.nn.BatchNorm2d(1))
    torch.nn.init.constant_(net[0].weight, 2.0)
    assert has_untracked_batchnorm(net)
    batches = [torch.tensor([1.0, 3.0]).view(2, 1, 1, 1), torch.tensor([5.0, 5.0, 11.0]).view(3, 1, 1, 1)]
    calibrated = calibrate_batchnorm(net, iter(batches))
    # conv doubles the inputs: batch means 4 and 14, unbiased variances 8 and 48 -> cumulative averages 9, 28
    assert calibrated[1].running_mean.item() == pytest.approx(9.0)
    assert calibrated[1].running_var.item() == pytest.approx(28.0)
    assert not calibrated.training and calibrated[1].momentum == net[1].momentum == 0.1
    assert not has_untracked_batchnorm(calibrated)
    assert net[1].running_mean.item() == 0.0 and net[1].running_var.item() == 1.0 and has_untracked_batchnorm(net)
    assert torch.equal(calibrated[0].weight, net[0].weight)
    x = torch.tensor([9.0]).view(1, 1, 1, 1)  # (2 * 9 - 9) / sqrt(28 + eps)
    assert calibrated(x).item() == pytest.approx(9 / math.sqrt(28 + 1e-5))


def test_knn_hook_rejects_an_unknown_random_init_bn():
    from mixplugins.engine.hooks import KNNEvalHook
    with pytest.raises(ValueError, match="random_init_bn must be one of \\('data', 'default'\\)"):
        KNNEvalHook(train_dataloader={}, val_dataloader={}, random_init_bn='identity')


def test_knn_hook_switched_off_evaluates_nothing():
    """before_train=False, after_train=False (tools/make_results.py's override): no evaluation is attempted."""
    from mixplugins.engine.hooks import KNNEvalHook
    hook = KNNEvalHook(train_dataloader={}, val_dataloader={}, before_train=False, after_train=False)
    calls = []
    hook._evaluate = lambda runner, tag: calls.append(tag)
    runner = SimpleNamespace(iter=0, epoch=1, max_epochs=1)
    hook.before_train(runner)
    hook.after_train(runner)
    assert calls == [] and hook.results == {}
    on = KNNEvalHook(train_dataloader={}, val_dataloader={})
    on._evaluate = lambda runner, tag: calls.append(tag) or on.results.update({tag: dict(top1=50.0)})
    on.before_train(runner)
    on.after_train(SimpleNamespace(iter=5, epoch=1, max_epochs=1, logger=SimpleNamespace(info=calls.append)))
    assert calls[:2] == ['random_init', 'trained'] and 'random init 50.00% -> trained 50.00%' in calls[2]
