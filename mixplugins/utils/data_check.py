"""Check a config's data roots before the Runner is built.

Without the data on disk a config fails deep inside the first dataset build (``FileNotFoundError:
data/imagenet/train`` after a page of traceback). :func:`check_data_roots` walks the dataloaders a run will
build and names the first missing ``data_root`` (or ``ann_file`` below it) by its config key, with the section
of docs/data.md that describes the expected layout. Datasets without ``data_root`` (the embedded digits) pass, and
so do mmpretrain's downloading datasets (CIFAR, MNIST: ``download=True``, their default, fetches the archive into
``data_root``).
"""
import os.path as osp
from typing import Iterator, Sequence, Tuple

DATA_DOC = 'docs/data.md'
# docs/data.md section per dataset type (the innermost dict that holds ``data_root``).
DATA_SECTIONS = {
    'ImageNet': 'ImageNet-1k',
    'CIFAR10': 'CIFAR-10 and CIFAR-100',
    'CIFAR100': 'CIFAR-10 and CIFAR-100',
    'CustomDataset': 'Tiny-ImageNet',
    'VOCDataset': 'PASCAL VOC 2007+2012',
    'CocoDataset': 'COCO 2017',
}
DEFAULT_SECTION = 'Pointing a config at your data'
# mmpretrain datasets that download into ``data_root`` unless ``download=False``.
DOWNLOADING_TYPES = ('CIFAR10', 'CIFAR100', 'MNIST', 'FashionMNIST')
TRAIN_KEYS = ('train_dataloader', 'val_dataloader', 'custom_hooks')
TEST_KEYS = ('test_dataloader', )


class MissingDataError(FileNotFoundError):
    """A data root or annotation file named by the config does not exist; ``str()`` is one line."""


def iter_data_paths(cfg, prefix: str) -> Iterator[Tuple[str, str, str]]:
    """Yield ``(config key, path on disk, dataset type)`` for every ``data_root`` / ``ann_file`` under ``cfg``.

    ``ann_file`` is joined to its dataset's ``data_root`` unless absolute, as mmengine's ``BaseDataset`` does.
    Datasets that download themselves (:data:`DOWNLOADING_TYPES` with ``download`` true) yield nothing.
    """
    if isinstance(cfg, dict):
        data_root = cfg.get('data_root')
        dataset_type = str(cfg.get('type', ''))
        downloads = dataset_type in DOWNLOADING_TYPES and cfg.get('download', True)
        if isinstance(data_root, str) and data_root and not downloads:
            yield f'{prefix}.data_root', data_root, dataset_type
            ann_file = cfg.get('ann_file')
            if isinstance(ann_file, str) and ann_file:
                yield f'{prefix}.ann_file', osp.join(data_root, ann_file), dataset_type
        for key, value in cfg.items():
            yield from iter_data_paths(value, f'{prefix}.{key}')
    elif isinstance(cfg, (list, tuple)):
        for index, value in enumerate(cfg):
            yield from iter_data_paths(value, f'{prefix}.{index}')


def check_data_roots(cfg, keys: Sequence[str] = TRAIN_KEYS) -> None:
    """Raise :class:`MissingDataError` for the first missing data path below the top-level ``keys`` of ``cfg``.

    Args:
        cfg: the merged config (after ``--cfg-options``).
        keys: the top-level entries the run builds: :data:`TRAIN_KEYS` for tools/train.py (``None`` entries,
            e.g. ``val_dataloader`` under ``--no-validate``, are skipped), :data:`TEST_KEYS` for tools/test.py.
    """
    for key in keys:
        for config_key, path, dataset_type in iter_data_paths(cfg.get(key), key):
            if '://' in path or osp.exists(path):
                continue
            section = DATA_SECTIONS.get(dataset_type, DEFAULT_SECTION)
            raise MissingDataError(
                f'{config_key} = {path!r} does not exist: see {DATA_DOC}, section "{section}", or point the '
                f'config elsewhere with --cfg-options {config_key}=PATH')
