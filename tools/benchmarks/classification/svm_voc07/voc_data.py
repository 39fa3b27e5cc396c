"""Image-level labels of a PASCAL VOC-format folder, for the VOC07 SVM benchmarks.

Layout (any VOC-format folder, e.g. ``VOCdevkit/VOC2007``): ``ImageSets/Main/<split>.txt`` (one image id per
line), ``Annotations/<id>.xml`` (``<object><name>`` and ``<difficult>``), ``JPEGImages/<id>.jpg``.

Label of image i for class c (the VOC classification convention, BSIM supplementary sec. 3.2 "Linear SVM
classification on VOC2007"): ``1`` if a non-difficult object of c is in the image, ``-1`` if only difficult objects
of c are, ``0`` if none. Images with ``-1`` are left out of both the SVM training and the AP of class c.
"""
import os.path as osp
import xml.etree.ElementTree as ET

import numpy as np

POSITIVE, ABSENT, DIFFICULT = 1, 0, -1


def read_split_ids(voc_root: str, split: str) -> list:
    """Image ids listed in ``ImageSets/Main/<split>.txt``."""
    path = osp.join(voc_root, 'ImageSets', 'Main', f'{split}.txt')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'VOC split file not found: {path} (expected a VOC-format folder: ImageSets/Main/'
            f'<split>.txt, Annotations/<id>.xml, JPEGImages/<id>.jpg)')
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]


def read_objects(voc_root: str, img_id: str) -> list:
    """``[(class name, difficult), ...]`` of the objects in ``Annotations/<img_id>.xml``."""
    root = ET.parse(osp.join(voc_root, 'Annotations', f'{img_id}.xml')).getroot()
    return [(obj.findtext('name').strip(), obj.findtext('difficult', '0').strip() == '1')
            for obj in root.iter('object')]


def discover_classes(voc_root: str, split: str) -> tuple:
    """Sorted names of all object classes annotated in ``split`` (for VOC this is its standard class
    order)."""
    return tuple(
        sorted({
            name
            for img_id in read_split_ids(voc_root, split)
            for name, _ in read_objects(voc_root, img_id)
        }))


def read_labels(voc_root: str, split: str, classes) -> tuple:
    """Image paths and the ``N x C`` int label matrix (1 / 0 / -1, see the module docstring) of ``split``."""
    index = {name: c for c, name in enumerate(classes)}
    ids = read_split_ids(voc_root, split)
    labels = np.full((len(ids), len(classes)), ABSENT, dtype=np.int64)
    for i, img_id in enumerate(ids):
        for name, difficult in read_objects(voc_root, img_id):
            if name not in index:
                raise KeyError(f'{img_id}.xml has class {name!r}, not in --classes {list(classes)}')
            c = index[name]
            if not difficult:
                labels[i, c] = POSITIVE
            elif labels[i, c] == ABSENT:
                labels[i, c] = DIFFICULT
    paths = [osp.join(voc_root, 'JPEGImages', f'{img_id}.jpg') for img_id in ids]
    return paths, labels
