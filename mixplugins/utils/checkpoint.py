"""Loading weight files that other people made without running their code.

``torch.load`` unpickles: a crafted ``.pth`` can name any importable callable (``os.system``, ``open``, ...)
and have it called while the file is read. ``torch.load(..., weights_only=True)`` restricts unpickling to
tensors, ``torch.Size``, dtypes, dicts (also ``OrderedDict``), lists, tuples, str, int, float, bool and None,
so such a file cannot run code. :func:`load_weights_file` loads that way by default and refuses any other file
with one :class:`UnsafePickleError` line; a full MMEngine training checkpoint is one of them (its message hub
holds ``HistoryBuffer`` objects and numpy values). The owner of a file opts in with ``allow_unsafe_pickle``.

:func:`literal_config` / :func:`parse_literal_config` store a config in a weights-only file as the text of a
Python literal, read back with :func:`ast.literal_eval` (never executed, unlike an MMEngine config file).

The backbone weights of a checkpoint, for the evaluation protocols, the transfer benchmarks and the converters,
are read and checked here once: :func:`select_prefix` (the keys under one prefix, stripped),
:func:`read_backbone_weights` (a file as MMEngine's ``Pretrained`` initialiser reads it) and
:func:`check_backbone_checkpoint` / :func:`check_pretrained_init` (the file holds exactly, or at least, the
module's tensors). MMEngine's initialiser loads non-strictly, so without these checks a wrong prefix or file
silently leaves a backbone randomly initialised; each mistake is one error naming the setting to fix.
"""
import ast
import os.path as osp
import pickle
import pprint
from collections import Counter
from typing import Any, Optional, Sequence, Tuple

import torch

#: the part of torch's weights-only refusal that says what the file holds
_TORCH_REASON_MARK = 'WeightsUnpickler error: '


class UnsafePickleError(pickle.UnpicklingError):
    """A file refused because loading it needs full unpickling, which can run arbitrary code."""


def unsafe_file_error(path: str, reason: str, export_with: str, opt_in: str) -> UnsafePickleError:
    """The one-line refusal of ``path``: the file, why, and the two ways out (a file exported with
    ``export_with``, or the ``opt_in`` argument for a file the user made)."""
    return UnsafePickleError(
        f'{path}: refused to load: {reason}, which can run arbitrary code. Either use a file '
        f'written by {export_with} (only tensors and plain values, loaded safely: export your own checkpoint '
        f'with it, ask others for theirs) or, only for a file you made yourself, pass {opt_in}')


def load_weights_file(path: str, export_with: str, allow_unsafe_pickle: bool = False,
                      opt_in: str = 'allow_unsafe_pickle=True') -> Any:
    """The content of the ``torch.save`` file ``path``, on the CPU.

    By default loaded with ``weights_only=True``; a file that needs more is refused with
    :func:`unsafe_file_error` (``export_with``: the tool that writes safe files of this kind; ``opt_in``: how
    the caller's user sets ``allow_unsafe_pickle``). ``allow_unsafe_pickle=True`` unpickles fully (only for
    files whose origin you trust).
    """
    if allow_unsafe_pickle:
        return torch.load(path, map_location='cpu', weights_only=False)
    try:
        return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        reason = ' '.join(str(error).split(_TORCH_REASON_MARK)[-1].split())
        raise unsafe_file_error(path, f'it needs full unpickling ({reason})', export_with, opt_in) from None


def _plain(value: Any) -> Any:
    """``value`` with every dict (``ConfigDict`` included), list and tuple rebuilt as the built-in type."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def literal_config(cfg: dict, key: str) -> str:
    """``cfg`` (a dict of literals, ``ConfigDict`` included) as the text of a Python literal, checked to read
    back equal with :func:`ast.literal_eval`; ``key`` names it in the error of a config that does not."""
    plain = _plain(cfg)
    text = pprint.pformat(plain, sort_dicts=False)
    try:
        same = ast.literal_eval(text) == plain
    except (ValueError, SyntaxError):
        same = False
    if not same:
        raise ValueError(f'{key} must hold only literals (dict, list, tuple, str, int, finite float, bool, '
                         f'None) to be stored as text, got {plain!r}')
    return text


def parse_literal_config(text: Any, key: str, path: str) -> dict:
    """The config dict written by :func:`literal_config` (``key`` of file ``path``); never executes code.

    Raises ValueError naming ``key`` and ``path`` unless ``text`` is a literal dict with a str ``type`` and
    no ``init_cfg`` (a file carries its own weights; an ``init_cfg`` would load another file).
    """
    try:
        cfg = ast.literal_eval(text) if isinstance(text, str) else None
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        cfg = None
    if not isinstance(cfg, dict) or not isinstance(cfg.get('type'), str) or 'init_cfg' in cfg:
        raise ValueError(f"{key} of {path} must be the text of a literal dict with a str 'type' and no "
                         f"'init_cfg' (as written by the export tool), got {str(text)[:200]!r}")
    return cfg


#: the config key of a backbone's initialiser, and the names of its two settings
INIT_CFG_KEY = 'model.backbone.init_cfg'
CONFIG_KEYS = (f'{INIT_CFG_KEY}.checkpoint', f'{INIT_CFG_KEY}.prefix')
#: the tool that writes an extracted backbone (keys without prefix)
EXTRACT_TOOL = 'tools/model_converters/extract_backbone_weights.py'


def normalise_prefix(prefix: str, prefix_key: str) -> str:
    """``prefix`` with a trailing '.' (``'backbone'`` == ``'backbone.'``); ValueError naming ``prefix_key``
    when it is empty."""
    if not prefix:
        raise ValueError(f"{prefix_key} must be a non-empty key prefix such as 'backbone.', got {prefix!r}")
    return prefix if prefix.endswith('.') else prefix + '.'


def state_dict_of(checkpoint: Any, path: str, path_key: str) -> dict:
    """The model state dict of a loaded checkpoint: its ``'state_dict'`` entry, or the checkpoint itself."""
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state_dict, dict):
        raise ValueError(f'{path_key}: {path} holds a {type(checkpoint).__name__}, expected a state dict')
    return state_dict


def select_prefix(state_dict: dict, prefix: str, prefix_key: str, source: str, hint: str = '') -> dict:
    """``{key[len(prefix):]: value}`` for the keys of ``state_dict`` under ``prefix`` (normalised by
    :func:`normalise_prefix`).

    Raises KeyError naming ``prefix_key`` and ``source`` (the file) and listing the top-level prefixes present
    with their key counts, followed by ``hint``, when no key matches.
    """
    prefix = normalise_prefix(prefix, prefix_key)
    selected = {key[len(prefix):]: value for key, value in state_dict.items() if key.startswith(prefix)}
    if not selected:
        found = Counter(key.split('.', 1)[0] + '.' for key in state_dict)
        listing = ', '.join(f"'{name}' ({count} keys)" for name, count in sorted(found.items())) or 'none'
        raise KeyError(f"{prefix_key}='{prefix}' matches no key of {source} (prefixes in the file: {listing})"
                       f'{hint}')
    return selected


def read_backbone_weights(path: str, prefix: Optional[str], keys: Tuple[str, str] = CONFIG_KEYS) -> dict:
    """The backbone weights stored in ``path``, read as MMEngine's ``Pretrained`` initialiser reads them
    (``_load_checkpoint``: local files and URLs, fully unpickled): the keys under ``prefix`` with the prefix
    stripped (a training checkpoint), or the whole state dict when ``prefix`` is None (an extracted backbone).

    Raises ValueError (empty path), FileNotFoundError (no such file) or KeyError (no key under ``prefix``),
    each naming the setting to fix: ``keys`` = (name of the checkpoint setting, name of the prefix setting).
    """
    from mmengine.runner.checkpoint import _load_checkpoint
    path_key, prefix_key = keys
    if not path:
        raise ValueError(
            f"{path_key} is empty: set it to a mixplugins checkpoint (with {prefix_key}='backbone.') "
            f'or an extracted backbone (with {prefix_key}=None)')
    if '://' not in path and not osp.isfile(path):
        raise FileNotFoundError(f'{path_key}: file not found: {path}')
    state_dict = state_dict_of(_load_checkpoint(path, map_location='cpu'), path, path_key)
    if prefix is None:
        return dict(state_dict)
    return select_prefix(state_dict, prefix, prefix_key, path,
                         hint=f'; an extracted backbone ({EXTRACT_TOOL}) needs {prefix_key}=None')


def _listed(names: Sequence[str]) -> str:
    return f"{list(names[:5])}{'...' if len(names) > 5 else ''} ({len(names)} keys)"


def check_backbone_checkpoint(module: torch.nn.Module,
                              path: str,
                              prefix: Optional[str],
                              keys: Tuple[str, str] = CONFIG_KEYS,
                              partial: bool = False,
                              new_prefixes: Sequence[str] = ()) -> dict:
    """Check that ``path`` (with ``prefix``, :func:`read_backbone_weights`) holds the weights of ``module``;
    returns them.

    Every parameter and buffer of ``module`` whose name does not start with one of ``new_prefixes`` (layers the
    checkpoint cannot provide, e.g. the C4 shared head's extra ``norm.``) must be present with the same shape.
    Unless ``partial``, no other key may be left over (a mismatch means the wrong file, prefix or
    architecture); with ``partial`` the module takes only part of the file (the C4 backbone skips ``layer4``,
    the shared head takes only ``layer4``). Raises KeyError listing the differences.
    """
    weights = read_backbone_weights(path, prefix, keys)
    expected = {name: value for name, value in module.state_dict().items()
                if not name.startswith(tuple(new_prefixes))}
    missing = sorted(set(expected) - set(weights))
    leftover = sorted(set(weights) - set(expected))
    mismatched = sorted(name for name in set(expected) & set(weights)
                        if tuple(expected[name].shape) != tuple(weights[name].shape))
    unexpected = [] if partial else leftover
    if missing or unexpected or mismatched:
        found = [f'missing {_listed(missing)}'] + ([] if partial else [f'unexpected {_listed(unexpected)}'])
        hint = ''
        if prefix is None and any(name.startswith('backbone.') for name in leftover):
            hint = f"; a full training checkpoint: set {keys[1]}='backbone.'"
        raise KeyError(f'{keys[0]}: {path} ({keys[1]}={prefix!r}) does not hold the weights of '
                       f"{type(module).__name__}: {', '.join(found)}, shape mismatch {_listed(mismatched)}{hint}")
    return weights


def check_pretrained_init(module: torch.nn.Module, init_cfg_key: str = INIT_CFG_KEY, partial: bool = False,
                          new_prefixes: Sequence[str] = ()) -> dict:
    """Check that ``module.init_cfg`` (config key ``init_cfg_key``) is
    ``dict(type='Pretrained', checkpoint=PATH, prefix='backbone.' | None)`` whose file holds the weights of
    ``module`` (:func:`check_backbone_checkpoint` with ``partial`` / ``new_prefixes``); returns them."""
    init_cfg = module.init_cfg
    if not isinstance(init_cfg, dict) or init_cfg.get('type') != 'Pretrained':
        raise ValueError(f"{init_cfg_key} must be dict(type='Pretrained', checkpoint=PATH, prefix='backbone.' or "
                         f'None) to load pretrained weights, got {init_cfg}')
    return check_backbone_checkpoint(module, init_cfg.get('checkpoint'), init_cfg.get('prefix'),
                                     (f'{init_cfg_key}.checkpoint', f'{init_cfg_key}.prefix'), partial,
                                     new_prefixes)
