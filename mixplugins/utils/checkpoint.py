"""Loading weight files that other people made without running their code.

``torch.load`` unpickles: a crafted ``.pth`` can name any importable callable (``os.system``, ``open``, ...)
and have it called while the file is read. ``torch.load(..., weights_only=True)`` restricts unpickling to
tensors, ``torch.Size``, dtypes, dicts (also ``OrderedDict``), lists, tuples, str, int, float, bool and None,
so such a file cannot run code. :func:`load_weights_file` loads that way by default and refuses any other file
with one :class:`UnsafePickleError` line; a full MMEngine training checkpoint is one of them (its message hub
holds ``HistoryBuffer`` objects and numpy values). The owner of a file opts in with ``allow_unsafe_pickle``.

:func:`literal_config` / :func:`parse_literal_config` store a config in a weights-only file as the text of a
Python literal, read back with :func:`ast.literal_eval` (never executed, unlike an MMEngine config file).
"""
import ast
import pickle
import pprint
from typing import Any

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
