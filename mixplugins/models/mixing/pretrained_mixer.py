"""SAMix^P: a Mixer trained once (with the encoder that feeds it), then used frozen as a mixing policy.

SAMix (Li et al., "Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021,
arXiv:2111.15454, sec. 3.2, "pre-trained pipeline"; ``docs/methods.md#pre-trained-mixer-samixp``): the pre-trained
Mixer only generates masks -- no Mixer loss, no backward through it, its parameters never change:

    s_i = Mixer(f^l(x)_i, f^l(x)_pi(i), lam),   x_m = s_i x_i + (1 - s_i) x_pi(i)

with ``f^l`` the exported momentum backbone up to stage ``l`` (eval mode), the Mixer in eval mode (no
dropout).

:func:`export_pretrained_mixer` cuts the momentum backbone and the Mixer out of a SAMix / AutoMix checkpoint
(``tools/model_converters/export_mixer.py``); :class:`PretrainedMixerPolicy` loads the file. It is a mixing
policy (``MODELS``, ``policy(x) -> MixResult``) for the self-supervised algorithms, and -- wrapped as
``PretrainedMixer`` -- a supervised batch augment (``BATCH_AUGMENTS``).

The file holds only tensors and plain values (the configs as literal text), so it is loaded with
``torch.load(weights_only=True)`` and is safe to take from others (``mixplugins.utils.checkpoint``).
"""
import copy
import os.path as osp
from typing import Dict

import torch
from mmengine.config import Config
from mmpretrain.registry import BATCH_AUGMENTS, MODELS

from ...utils.checkpoint import literal_config, load_weights_file, parse_literal_config, unsafe_file_error
from ..utils import compute_dtype, stage_features
from .batch_augments import PolicyBatchAugment
from .functional import MixResult, lam_vector, mix_with_mask
from .policies import BaseMixPolicy

EXPORT_FORMAT = 'mixplugins-pretrained-mixer/2'
EXPORT_TOOL = 'tools/model_converters/export_mixer.py'


def module_prefix(model: torch.nn.Module, module: torch.nn.Module) -> str:
    """The state-dict key prefix of ``module`` inside ``model`` (``'name.'`` of its first occurrence)."""
    name = next((name for name, m in model.named_modules() if m is module), None)
    if name is None:
        raise ValueError(f'{type(module).__name__} is not a submodule of {type(model).__name__}')
    return f'{name}.'


def export_pretrained_mixer(model_cfg: dict, state_dict: Dict[str, torch.Tensor]) -> dict:
    """The SAMix^P file content from a trained model's config and ``state_dict``:
    ``{'meta': {'format', 'backbone', 'mixer', 'mixer_stage'}, 'backbone': {name: tensor}, 'mixer': {...}}``,
    the two configs (without ``init_cfg``) as literal text (:func:`literal_config`): only tensors and plain
    values, loadable with ``weights_only=True``.

    The backbone's keys are those of the model's ``momentum_backbone()`` (``SAMixMoCo`` / ``SAMixClassifier``),
    found in the model built from ``model_cfg`` (not initialised); the Mixer is under ``mixer.``.
    """
    model_type = model_cfg.get('type')
    if not hasattr(MODELS.get(model_type), 'momentum_backbone'):
        raise KeyError(f'model type must be an online-Mixer algorithm (SAMixMoCo, SAMixClassifier), got '
                       f'{model_type!r}')
    if model_cfg.get('mixer') is None:
        raise KeyError('model.mixer is missing from the config: the checkpoint has no online Mixer to export')
    model = MODELS.build(copy.deepcopy(model_cfg))
    prefix = module_prefix(model, model.momentum_backbone())
    mixer_state = {k[len('mixer.'):]: v for k, v in state_dict.items() if k.startswith('mixer.')}
    backbone_state = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not mixer_state or not backbone_state:
        raise KeyError(f"state_dict has no 'mixer.*' or '{prefix}*' weights: not a {model_type} checkpoint")
    configs = {}
    for name in ('backbone', 'mixer'):
        cfg = {key: value for key, value in model_cfg[name].items() if key != 'init_cfg'}
        configs[name] = literal_config(cfg, f'model.{name}')
    return dict(
        meta=dict(format=EXPORT_FORMAT, mixer_stage=int(model_cfg.get('mixer_stage', 2)), **configs),
        backbone=backbone_state,
        mixer=mixer_state)


def _freeze(module: torch.nn.Module) -> torch.nn.Module:
    """No gradient, eval mode, and marked initialised so no ``init_weights`` of a parent model resets it."""
    module.requires_grad_(False)
    module.eval()
    for m in module.modules():
        if hasattr(m, 'is_init'):
            m.is_init = True
    module.is_init = True
    return module


@MODELS.register_module()
class PretrainedMixerPolicy(BaseMixPolicy):
    """Frozen pre-trained Mixer as a mixing policy (SAMix^P).

    Args:
        checkpoint: file written by ``tools/model_converters/export_mixer.py`` (loaded with
            ``torch.load(weights_only=True)``: safe to take from others), or, with ``allow_unsafe_pickle``,
            directly a training checkpoint of ``SAMixMoCo`` / ``SAMixClassifier`` saved by MMEngine (its
            ``meta['cfg']`` is read).
        alpha: ``lam ~ Beta(alpha, alpha)`` (SAMix: 2).
        pairing: ``'random'`` or ``'flip'``.
        per_sample_lam: one ``lam`` per sample.
        allow_unsafe_pickle: unpickle ``checkpoint`` fully and execute its ``meta['cfg']``: only for your own
            files (a pickle can run arbitrary code). Default False: any file that is not weights-only, a full
            MMEngine checkpoint included, is refused with one error (``UnsafePickleError``).

    The returned ``lam`` is the per-sample mean of the mask (equal to the drawn ``lam`` with the Mixer's
    lambda adjusting). Inputs must be normalised as the data the Mixer was trained on.
    """

    def __init__(self, checkpoint: str, alpha: float = 2.0, pairing: str = 'random',
                 per_sample_lam: bool = False, allow_unsafe_pickle: bool = False):
        super().__init__(alpha, pairing, per_sample_lam)
        if not isinstance(checkpoint, str) or not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint: no pre-trained Mixer file at {checkpoint!r} (export one '
                                    f'with {EXPORT_TOOL})')
        content = load_weights_file(checkpoint, EXPORT_TOOL, allow_unsafe_pickle)
        meta = content.get('meta') if isinstance(content, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        if meta.get('format') != EXPORT_FORMAT and meta.get('cfg') and 'state_dict' in content:
            if not allow_unsafe_pickle:
                raise unsafe_file_error(checkpoint, "it is a training checkpoint whose config meta['cfg'] is "
                                        'Python code that reading it executes', EXPORT_TOOL,
                                        'allow_unsafe_pickle=True')
            content = export_pretrained_mixer(Config.fromstring(meta['cfg'], file_format='.py').model,
                                              content['state_dict'])
            meta = content['meta']
        if meta.get('format') != EXPORT_FORMAT:
            raise ValueError(f'checkpoint={checkpoint!r} is not a pre-trained Mixer file (meta.format must '
                             f'be {EXPORT_FORMAT!r}: export it with {EXPORT_TOOL}), got '
                             f'{meta.get("format")!r}')
        self.checkpoint = checkpoint
        self.stage = meta['mixer_stage']
        self.encoder = MODELS.build(parse_literal_config(meta['backbone'], "meta['backbone']", checkpoint))
        self.encoder.load_state_dict(content['backbone'])
        self.mixer = MODELS.build(parse_literal_config(meta['mixer'], "meta['mixer']", checkpoint))
        self.mixer.load_state_dict(content['mixer'])
        _freeze(self)

    def train(self, mode: bool = True):
        """Always in eval mode (BN running statistics, no dropout), whatever the parent model's mode."""
        return super().train(False)

    @torch.no_grad()
    def mix(self, x: torch.Tensor, lam, index: torch.Tensor, generator) -> MixResult:
        param = next(self.parameters())
        if param.device != x.device:
            self.to(x.device)
        lam = lam_vector(lam, x.size(0), x.device).to(compute_dtype(x.dtype))
        feat = stage_features(self.encoder, x, self.stage)
        mask = self.mixer(feat, lam, index, tuple(x.shape[-2:]))['mask']
        return MixResult(mix_with_mask(x, mask, index), mask.mean(dim=(1, 2, 3)), index, mask)

    def extra_repr(self) -> str:
        return f'checkpoint={self.checkpoint!r}, stage={self.stage}, ' + super().extra_repr()


@BATCH_AUGMENTS.register_module()
class PretrainedMixer(PolicyBatchAugment):
    """SAMix^P supervised batch augment: ``dict(type='PretrainedMixer', checkpoint=..., alpha=2.0)``
    (``allow_unsafe_pickle``: as in :class:`PretrainedMixerPolicy`)."""

    def __init__(self, checkpoint: str, alpha: float = 2.0, allow_unsafe_pickle: bool = False):
        super().__init__(
            dict(type='PretrainedMixerPolicy', checkpoint=checkpoint, alpha=alpha, pairing='random',
                 allow_unsafe_pickle=allow_unsafe_pickle))
