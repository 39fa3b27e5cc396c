"""Extract the backbone weights of a mixplugins checkpoint for transfer (detection, linear evaluation).

A mixplugins training checkpoint (SSL algorithm or supervised classifier, saved by MMEngine) holds
``{'state_dict': {'backbone.conv1.weight': ..., 'neck.*', 'head.*', 'momentum_encoder.*', ...}}``.
This tool keeps the keys under one prefix (the online ``backbone.`` by default;
``--prefix momentum_encoder.module.0.`` picks a momentum copy), strips the prefix and saves
``{'state_dict': {'conv1.weight': ..., 'layer1.0.conv1.weight': ..., ...}, 'meta': {'source', 'prefix'}}``: the
ResNet key layout that ``init_cfg=dict(type='Pretrained', checkpoint=OUT)`` loads into a detector's backbone and
C4 shared head. OUT holds only tensors and plain values: it loads with ``torch.load(weights_only=True)`` and is
the backbone file to share.

Usage: python tools/model_converters/extract_backbone_weights.py CHECKPOINT OUTPUT [--prefix backbone.]
    [--allow-unsafe-pickle]
CHECKPOINT is read with ``weights_only=True``; a full MMEngine checkpoint (message hub, optimizer state) needs
``--allow-unsafe-pickle``, which unpickles it fully: pass it only for checkpoints you made yourself.
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

from mixplugins.utils.checkpoint import (EXTRACT_TOOL, load_weights_file, normalise_prefix,  # noqa: E402
                                         select_prefix, state_dict_of)

DEFAULT_PREFIX = 'backbone.'
OPT_IN = '--allow-unsafe-pickle (allow_unsafe_pickle=True)'
PREFIX_KEY = '--prefix'


def extract_backbone_state_dict(state_dict, prefix=DEFAULT_PREFIX):
    """Return ``{key[len(prefix):]: value}`` for the keys of ``state_dict`` that start with ``prefix``.

    ``prefix`` gets a trailing '.' if it lacks one ('backbone' == 'backbone.'). Raises KeyError naming the
    prefix and listing the top-level prefixes present (with key counts) when no key matches
    (:func:`mixplugins.utils.checkpoint.select_prefix`).
    """
    return select_prefix(state_dict, prefix, PREFIX_KEY, 'the checkpoint')


def load_state_dict(path, allow_unsafe_pickle=False):
    """The model state dict of a checkpoint file: its ``'state_dict'`` entry, or the file itself.

    Loaded with ``weights_only=True`` unless ``allow_unsafe_pickle`` (your own checkpoints only); a file
    needing more is refused with one ``UnsafePickleError`` line.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'CHECKPOINT: file not found: {path}')
    return state_dict_of(load_weights_file(path, EXTRACT_TOOL, allow_unsafe_pickle, OPT_IN), path, 'CHECKPOINT')


def extract_backbone_weights(src, dst, prefix=DEFAULT_PREFIX, allow_unsafe_pickle=False):
    """Write the backbone of checkpoint ``src`` (keys under ``prefix``, stripped) to ``dst``; return it.

    ``dst`` holds only tensors and plain values (``torch.load(dst, weights_only=True)`` reads it).
    """
    backbone = extract_backbone_state_dict(load_state_dict(src, allow_unsafe_pickle), prefix)
    out_dir = osp.dirname(osp.abspath(dst))
    os.makedirs(out_dir, exist_ok=True)
    meta = dict(source=osp.abspath(src), prefix=normalise_prefix(prefix, PREFIX_KEY))
    torch.save(dict(state_dict=backbone, meta=meta), dst)
    return backbone


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract backbone weights from a mixplugins checkpoint.')
    parser.add_argument('checkpoint', help='source checkpoint (MMEngine, with a state_dict)')
    parser.add_argument('output', help='destination file, e.g. work_dirs/mocov2_r50/backbone.pth')
    parser.add_argument('--prefix', default=DEFAULT_PREFIX,
                        help="key prefix to keep and strip (default 'backbone.', the online backbone)")
    parser.add_argument('--allow-unsafe-pickle', action='store_true',
                        help='unpickle CHECKPOINT fully (a full MMEngine checkpoint needs it); only for checkpoints '
                        'you made yourself: a pickle can run arbitrary code')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    backbone = extract_backbone_weights(args.checkpoint, args.output, args.prefix, args.allow_unsafe_pickle)
    print(f'saved {len(backbone)} tensors under prefix {normalise_prefix(args.prefix, PREFIX_KEY)!r} to {args.output}')


if __name__ == '__main__':
    main()
