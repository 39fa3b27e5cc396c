"""tools/demo.py without training: the kNN curve and the per-epoch losses it draws, and its config check."""
import json
import sys

import pytest
from mmengine.config import Config

from helpers import REPO

sys.path.insert(0, str(REPO / 'tools'))

import demo  # noqa: E402


def test_knn_curve_orders_random_init_checkpoints_and_trained():
    results = {'trained': dict(top1=90.0, epoch=10), 'epoch_5': dict(top1=70.0, epoch=5),
               'random_init': dict(top1=30.0, epoch=0), 'random_init_default_bn': dict(top1=60.0, epoch=0)}
    # the default-BN score is a baseline line, not a point of the curve
    assert demo.knn_curve(results) == ([0, 5, 10], [30.0, 70.0, 90.0])


def test_epoch_losses_average_each_epoch(tmp_path):
    records = [dict(epoch=1, iter=1, loss=4.0, loss_mix=2.0), dict(epoch=1, iter=2, loss=2.0, loss_mix=1.0),
               dict(epoch=2, iter=3, loss=1.0, loss_mix=0.5), dict(lr=0.1, epoch=2, iter=3)]
    folder = tmp_path / '20261203_000000' / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in records))
    # epoch 1: (4 + 2) / 2 = 3 and (2 + 1) / 2 = 1.5; epoch 2: one iteration each
    assert demo.epoch_losses(str(tmp_path)) == {'loss': [3.0, 1.0], 'loss_mix': [1.5, 0.5]}
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        demo.epoch_losses(str(tmp_path / 'empty'))


def test_knn_hook_is_required():
    cfg = Config.fromfile(str(REPO / 'configs/unmix/unmix-mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'))
    assert cfg.custom_hooks[demo.knn_hook_index(cfg)].type == 'KNNEvalHook'
    supervised = Config.fromfile(str(REPO / 'configs/samix/resnet18-cifar_1xb64-coslr-30e_digits.py'))
    with pytest.raises(KeyError, match='KNNEvalHook'):
        demo.knn_hook_index(supervised)


def test_demo_config_is_the_table_row_at_14_epochs():
    """`make demo`'s config differs from the Un-Mix SimCLR row of the results table only in its epochs and persistent
    workers."""
    demo_path = 'configs/demo/unmix-simclr_resnet18-cifar_1xb64-coslr-14e_digits.py'
    row_path = 'configs/unmix/unmix-simclr_resnet18-cifar_1xb64-coslr-30e_digits.py'
    assert f'DEMO ?= {demo_path}\n' in (REPO / 'Makefile').read_text()
    assert row_path in {row['config'] for row in json.loads((REPO / 'docs/results.json').read_text())['rows']}
    demo_cfg = Config.fromfile(str(REPO / demo_path)).to_dict()
    row = Config.fromfile(str(REPO / row_path)).to_dict()
    for cfg, epochs, persistent in ((demo_cfg, 14, True), (row, 30, False)):
        assert cfg.pop('max_epochs') == cfg['train_cfg'].pop('max_epochs') == epochs
        assert cfg.pop('param_scheduler') == [
            dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs)]
        assert cfg['train_dataloader'].pop('persistent_workers') is persistent
    assert demo_cfg == row
