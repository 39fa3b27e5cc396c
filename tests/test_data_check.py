"""mixplugins.utils.data_check: a missing data root or annotation file is named in one line before any build."""
import glob
import os
import subprocess
import sys

import pytest
from mmengine.config import Config

from mixplugins.utils.data_check import TEST_KEYS, TRAIN_KEYS, MissingDataError, check_data_roots, iter_data_paths


def _imagenet_cfg(root, **extra):
    return Config(dict(train_dataloader=dict(batch_size=2, dataset=dict(type='ImageNet', data_root=root, **extra)),
                       val_dataloader=None, test_dataloader=dict(dataset=dict(type='ImageNet', data_root=root))))


def test_missing_root_names_key_path_and_section(tmp_path):
    root = str(tmp_path / 'imagenet')
    with pytest.raises(MissingDataError) as err:
        check_data_roots(_imagenet_cfg(root))
    assert str(err.value) == (
        f"train_dataloader.dataset.data_root = '{root}' does not exist: see docs/data.md, section "
        '"ImageNet-1k", or point the config elsewhere with --cfg-options train_dataloader.dataset.data_root=PATH')
    assert '\n' not in str(err.value)


def test_existing_root_passes_and_missing_ann_file_is_joined_to_it(tmp_path):
    (tmp_path / 'meta').mkdir()
    check_data_roots(_imagenet_cfg(str(tmp_path)))
    with pytest.raises(MissingDataError, match=r"train_dataloader\.dataset\.ann_file = '.*meta/train_1percent\.txt'"):
        check_data_roots(_imagenet_cfg(str(tmp_path), ann_file='meta/train_1percent.txt'))
    (tmp_path / 'meta' / 'train_1percent.txt').write_text('')
    check_data_roots(_imagenet_cfg(str(tmp_path), ann_file='meta/train_1percent.txt'))


def test_keys_select_what_the_tool_builds(tmp_path):
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='ImageNet', data_root=str(tmp_path))),
                      val_dataloader=None,
                      test_dataloader=dict(dataset=dict(type='ImageNet', data_root=str(tmp_path / 'no')))))
    check_data_roots(cfg, TRAIN_KEYS)  # val_dataloader=None (--no-validate) and the test loader are skipped
    with pytest.raises(MissingDataError, match=r'test_dataloader\.dataset\.data_root'):
        check_data_roots(cfg, TEST_KEYS)


def test_downloading_datasets_pass_unless_download_is_off():
    cifar = dict(type='CIFAR100', data_root='no/cifar100', split='train')
    check_data_roots(Config(dict(train_dataloader=dict(dataset=cifar))))  # mmpretrain downloads it
    with pytest.raises(MissingDataError, match='section "CIFAR-10 and CIFAR-100"'):
        check_data_roots(Config(dict(train_dataloader=dict(dataset=dict(cifar, download=False)))))


def test_nested_wrappers_hooks_and_remote_roots():
    voc = dict(type='VOCDataset', data_root='no/VOCdevkit', ann_file='VOC2007/ImageSets/Main/trainval.txt')
    cfg = dict(type='MultiImageMixDataset', dataset=dict(type='ConcatDataset', datasets=[voc]))
    assert list(iter_data_paths(cfg, 'train_dataloader.dataset')) == [
        ('train_dataloader.dataset.dataset.datasets.0.data_root', 'no/VOCdevkit', 'VOCDataset'),
        ('train_dataloader.dataset.dataset.datasets.0.ann_file',
         'no/VOCdevkit/VOC2007/ImageSets/Main/trainval.txt', 'VOCDataset')]
    hooks = Config(dict(custom_hooks=[dict(type='KNNEvalHook', train_dataloader=dict(
        dataset=dict(type='CustomDataset', data_root='no/tiny-imagenet-200')))]))
    key = r'custom_hooks\.0\.train_dataloader\.dataset\.data_root'
    with pytest.raises(MissingDataError, match=key + '.*"Tiny-ImageNet"'):
        check_data_roots(hooks)
    check_data_roots(Config(dict(train_dataloader=dict(dataset=dict(type='ImageNet', data_root='s3://bucket/in1k')))))


def test_embedded_digits_configs_pass(repo_root):
    configs = sorted(glob.glob(str(repo_root / 'configs' / '**' / '*_digits.py'), recursive=True))
    assert len(configs) > 20
    for path in configs:
        cfg = Config.fromfile(path)
        check_data_roots(cfg, TRAIN_KEYS + TEST_KEYS)


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_tools_fail_in_one_line(repo_root, tmp_path, tool):
    missing = str(tmp_path / 'imagenet')
    key = f'{tool}_dataloader.dataset.data_root'
    args = [str(repo_root / 'configs' / 'samix' / 'samix_resnet50_8xb32-coslr-100e_in1k.py')]
    args += ['none.pth'] if tool == 'test' else []
    env = dict(os.environ, PYTHONPATH=str(repo_root))
    proc = subprocess.run([sys.executable, str(repo_root / 'tools' / f'{tool}.py'), *args, '--work-dir',
                           str(tmp_path / 'work'), '--cfg-options', f'{key}={missing}'],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [f"ERROR: {key} = '{missing}' does not exist: see docs/data.md, section \"ImageNet-1k\", "
                     f'or point the config elsewhere with --cfg-options {key}=PATH'], proc.stderr
