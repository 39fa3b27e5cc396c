"""VOC07 SVM / low-shot SVM tool: AP by hand, separable -> mAP 100, random labels -> chance, exact low-shot
positives, VOC label reading (difficult objects), and extraction + SVMs end to end on a generated VOC
folder."""
import json
import os.path as osp
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools' / 'benchmarks' / 'classification' / 'svm_voc07'))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import extract_features  # noqa: E402
import run_svm  # noqa: E402
from helpers.det_data import CLASSES, make_voc  # noqa: E402
from svm import (LOW_SHOT_SIZES, low_shot_indices, svm_trials, train_and_test_svms,  # noqa: E402
                 voc_average_precision)
from voc_data import DIFFICULT, discover_classes, read_labels  # noqa: E402


def test_average_precision_by_hand():
    # ranking 1 0 1 0: precision 1, 1/2, 2/3, 1/2 at recall 1/2, 1/2, 1, 1;
    # interpolated precision at recall 1/2 is max(1, 1/2, 2/3, 1/2) = 1, at recall 1 it is 2/3:
    # AP = 1/2 * 1 + 1/2 * 2/3 = 5/6
    assert voc_average_precision(np.array([0.9, 0.8, 0.7, 0.6]), np.array([1, 0, 1,
                                                                           0])) == pytest.approx(5 / 6)
    # ranking 0 1: precision 0, 1/2 at recall 0, 1 -> AP = 1 * 1/2
    assert voc_average_precision(np.array([2.0, 1.0]), np.array([0, 1])) == pytest.approx(0.5)
    assert voc_average_precision(np.array([0.1, 0.5, 0.3]), np.array([0, 1, 1])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='at least one positive'):
        voc_average_precision(np.array([0.1]), np.array([0]))


def _multilabel(rng, n, num_classes, prevalence):
    labels = (rng.random((n, num_classes)) < prevalence).astype(np.int64)
    labels[:num_classes] = np.eye(num_classes, dtype=np.int64)  # every class has a positive and a negative
    labels[num_classes:2 * num_classes] = 1 - np.eye(num_classes, dtype=np.int64)
    return labels


def test_linearly_separable_features_reach_map_100():
    rng = np.random.default_rng(0)
    classes = ('a', 'b', 'c', 'd')
    train_labels, test_labels = _multilabel(rng, 80, 4, 0.4), _multilabel(rng, 40, 4, 0.4)

    def features(labels):  # class indicators (+-1) plus small noise and noise dimensions
        signal = 2.0 * labels - 1.0 + 0.05 * rng.standard_normal(labels.shape)
        return np.concatenate([signal, 0.05 * rng.standard_normal((len(labels), 12))], axis=1)

    result = svm_trials(features(train_labels),
                        train_labels,
                        features(test_labels),
                        test_labels,
                        classes,
                        costs=(0.1, 1.0, 10.0),
                        trials=3)
    assert result['mean'] == pytest.approx(100.0) and result['std'] == pytest.approx(0.0)
    assert len(result['trials']) == 3 and set(result['runs'][0]['ap']) == set(classes)


def test_random_labels_stay_near_chance():
    """With features independent of the labels, AP estimates the positive rate (30% here)."""
    rng = np.random.default_rng(1)
    classes = tuple('abcdef')
    train_labels, test_labels = _multilabel(rng, 300, 6, 0.3), _multilabel(rng, 300, 6, 0.3)
    chance = 100.0 * (test_labels == 1).mean()
    result = svm_trials(rng.standard_normal((300, 32)),
                        train_labels,
                        rng.standard_normal((300, 32)),
                        test_labels,
                        classes,
                        costs=(1.0, ),
                        trials=3)
    assert abs(result['mean'] - chance) < 8.0, (result['mean'], chance)


@pytest.mark.parametrize('num_shots', LOW_SHOT_SIZES)
def test_low_shot_split_has_exactly_n_positives(num_shots):
    labels = np.array([1] * 100 + [0] * 50 + [DIFFICULT] * 10)
    samples = [low_shot_indices(labels, num_shots, np.random.RandomState(seed)) for seed in range(3)]
    for idx in samples:
        assert (labels[idx] == 1).sum() == num_shots
        assert (labels[idx] == 0).sum() == 50 and (labels[idx] == DIFFICULT).sum() == 0
        assert len(np.unique(idx)) == len(idx)
    if num_shots < 100:  # the 3 trials draw different positives
        assert len({tuple(idx) for idx in samples}) > 1


def test_low_shot_errors_and_svm_uses_n_positives(monkeypatch):
    labels = np.array([1, 1, 0, 0])
    with pytest.raises(ValueError, match=r'low-shot N must be in \[1, 2\]'):
        low_shot_indices(labels, 3, np.random.RandomState(0))
    with pytest.raises(ValueError, match='costs must be'):
        train_and_test_svms(np.ones((4, 2)),
                            labels[:, None],
                            np.ones((4, 2)),
                            labels[:, None], ('a', ),
                            costs=())
    fitted = []
    import svm
    original = svm.LinearSVC.fit
    monkeypatch.setattr(svm.LinearSVC, 'fit',
                        lambda self, x, y: fitted.append(y.copy()) or original(self, x, y))
    rng = np.random.default_rng(2)
    train_labels = _multilabel(rng, 60, 3, 0.5)
    train_and_test_svms(rng.standard_normal((60, 8)),
                        train_labels,
                        rng.standard_normal((20, 8)),
                        _multilabel(rng, 20, 3, 0.5), ('a', 'b', 'c'),
                        costs=(1.0, ),
                        num_shots=4)
    assert [int(y.sum()) for y in fitted] == [4, 4, 4]
    assert [len(y) - 4 for y in fitted] == [int((train_labels[:, c] == 0).sum()) for c in range(3)]


def test_voc_labels_with_difficult_objects(tmp_path):
    voc = make_voc(tmp_path, n_trainval=6, n_test=2, seed=3)
    root = osp.join(voc['data_root'], 'VOC2007')
    _, labels = read_labels(root, 'trainval', CLASSES)
    expected = np.zeros((6, len(CLASSES)), dtype=np.int64)
    for i, image in enumerate(voc['splits']['VOC2007/trainval']):
        for obj in image['objects']:
            expected[i, obj['label']] = 1
    assert (labels == expected).all()
    # mark every object of image 0 difficult: its classes become -1 (left out), the others stay 0
    xml_path = osp.join(root, 'Annotations', '2007_trainval_0000.xml')
    tree = ET.parse(xml_path)
    for obj in tree.getroot().iter('object'):
        obj.find('difficult').text = '1'
    tree.write(xml_path)
    _, labels = read_labels(root, 'trainval', CLASSES)
    assert (labels[0] == np.where(expected[0] == 1, DIFFICULT, 0)).all() and (labels[1:]
                                                                              == expected[1:]).all()
    assert set(discover_classes(root, 'trainval')) <= set(CLASSES)
    with pytest.raises(FileNotFoundError, match=r'ImageSets/Main/val\.txt'):
        read_labels(root, 'val', CLASSES)


@pytest.mark.slow
def test_extract_and_svm_end_to_end_on_a_generated_voc_folder(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    voc = make_voc(tmp_path / 'data', n_trainval=16, n_test=8, seed=0)
    root = osp.join(voc['data_root'], 'VOC2007')
    tiny_backbone = dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8,
                         norm_cfg=dict(type='BN'))
    cfg = Config(dict(model=dict(backbone=tiny_backbone),
                      data_preprocessor=dict(mean=[44.6] * 3, std=[73.6] * 3)))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        backbone = MODELS.build(cfg.model.backbone)
    torch.save(dict(state_dict=backbone.state_dict()), tmp_path / 'backbone.pth')
    work_dir = str(tmp_path / 'feats')

    meta = extract_features.extract_voc_features(cfg,
                                                 str(tmp_path / 'backbone.pth'),
                                                 root,
                                                 work_dir,
                                                 prefix=None,
                                                 classes=CLASSES,
                                                 resize=36,
                                                 crop=32,
                                                 batch_size=8)
    assert meta['splits'] == dict(trainval=16, test=8)
    assert np.load(osp.join(work_dir, 'trainval_res4.npy')).shape == (16, 32)  # 4 x base channels, pooled
    assert np.load(osp.join(work_dir, 'test_res5.npy')).shape == (8, 64)
    assert np.load(osp.join(work_dir, 'test_labels.npy')).shape == (8, 3)

    run_svm.main([work_dir, '--layer', 'res5', '--shots', '1', '--trials', '3', '--costs', '0.1', '1'])
    with open(osp.join(work_dir, 'svm_res5.json')) as f:
        results = json.load(f)
    assert len(results['full']['trials']) == 3 and 0.0 <= results['full']['mean'] <= 100.0
    assert set(results['low_shot']) == {'1'} and len(results['low_shot']['1']['trials']) == 3
    with pytest.raises(ValueError, match=r'--shots \[96\] exceed'):
        run_svm.run_svm_benchmark(work_dir, 'res5', shots=(96, ), trials=1)
    with pytest.raises(KeyError, match=r"--prefix='backbone\.' matches no key"):
        extract_features.extract_voc_features(cfg,
                                              str(tmp_path / 'backbone.pth'),
                                              root,
                                              work_dir,
                                              prefix='backbone.',
                                              classes=CLASSES,
                                              resize=36,
                                              crop=32)
