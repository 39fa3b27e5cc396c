"""Shared weight files cannot run code: a crafted pickle given to the SAMix^P loaders and to both converters is
refused (one line naming the file, the reason and the two ways out) before anything in it is executed.

The crafted file calls ``os.system('touch MARKER')`` when unpickled; every test checks that MARKER does not
appear, and :func:`test_crafted_file_runs_code_when_fully_unpickled` shows that it would.
"""
import os
import pickle
import shlex
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import BATCH_AUGMENTS, MODELS

import mixplugins  # noqa: F401
from mixplugins.models.mixing.pretrained_mixer import EXPORT_FORMAT
from mixplugins.utils.checkpoint import UnsafePickleError, literal_config, parse_literal_config
from tools.model_converters import export_mixer, extract_backbone_weights

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Payload:
    """Unpickles as ``os.system('touch MARKER')``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f'touch {shlex.quote(self.marker)}', )


def crafted_file(tmp_path, container):
    """A file shaped like a checkpoint (tensors, a Mixer-file meta) with the payload inside; ``container``:
    ``'zip'`` (``torch.save``) or ``'legacy'`` (a plain pickle, torch's legacy format)."""
    content = dict(meta=dict(format=EXPORT_FORMAT, note=Payload(tmp_path / 'MARKER')),
                   state_dict={'backbone.conv1.weight': torch.zeros(2), 'mixer.w': torch.zeros(2)})
    path = tmp_path / f'shared_{container}.pth'
    if container == 'zip':
        torch.save(content, path)
    else:
        with open(path, 'wb') as f:
            pickle.dump(content, f, protocol=2)
    return str(path)


def assert_refused(message, path, export_tool, opt_in, reason='Unsupported class posix.system'):
    assert '\n' not in message
    assert message.startswith(f'{path}: refused to load: ')
    assert reason in message and export_tool in message and f'pass {opt_in}' in message


MIXER_TOOL = 'tools/model_converters/export_mixer.py'
BACKBONE_TOOL = 'tools/model_converters/extract_backbone_weights.py'
CONTAINERS = ['zip', 'legacy']


@pytest.mark.parametrize('container', CONTAINERS)
def test_crafted_file_runs_code_when_fully_unpickled(tmp_path, container):
    path = crafted_file(tmp_path, container)
    assert not (tmp_path / 'MARKER').exists()
    if container == 'zip':
        torch.load(path, weights_only=False)
    else:  # torch's legacy reader unpickles the payload, then finds no magic number
        with pytest.raises(RuntimeError, match='magic number'):
            torch.load(path, weights_only=False)
    assert (tmp_path / 'MARKER').exists()


@pytest.mark.parametrize('container', CONTAINERS)
def test_pretrained_mixer_policy_refuses_crafted_file(tmp_path, container):
    path = crafted_file(tmp_path, container)
    with pytest.raises(UnsafePickleError) as error:
        MODELS.build(dict(type='PretrainedMixerPolicy', checkpoint=path))
    assert_refused(str(error.value), path, MIXER_TOOL, 'allow_unsafe_pickle=True')
    with pytest.raises(UnsafePickleError):
        BATCH_AUGMENTS.build(dict(type='PretrainedMixer', checkpoint=path, alpha=2.0))
    assert not (tmp_path / 'MARKER').exists()


@pytest.mark.parametrize('container', CONTAINERS)
def test_converters_refuse_crafted_file(tmp_path, container):
    path, out = crafted_file(tmp_path, container), tmp_path / 'out.pth'
    with pytest.raises(UnsafePickleError) as error:
        export_mixer.main([path, str(out)])
    assert_refused(str(error.value), path, MIXER_TOOL, '--allow-unsafe-pickle (export(..., allow_unsafe_pickle=True))')
    with pytest.raises(UnsafePickleError) as error:
        extract_backbone_weights.main([path, str(out)])
    assert_refused(str(error.value), path, BACKBONE_TOOL, '--allow-unsafe-pickle (allow_unsafe_pickle=True)')
    assert not out.exists() and not (tmp_path / 'MARKER').exists()


@pytest.mark.parametrize('tool', [MIXER_TOOL, BACKBONE_TOOL])
def test_converter_commands_refuse_crafted_file(tmp_path, tool):
    path, out = crafted_file(tmp_path, 'zip'), tmp_path / 'out.pth'
    env = {**os.environ, 'PYTHONPATH': REPO, 'OMP_NUM_THREADS': '1'}
    proc = subprocess.run([sys.executable, tool, path, str(out)], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('mixplugins.utils.checkpoint.UnsafePickleError: ')
    assert_refused(last.split(': ', 1)[1], path, tool, '--allow-unsafe-pickle')
    assert not out.exists() and not (tmp_path / 'MARKER').exists()


def test_config_text_of_a_weights_only_file_is_not_executed(tmp_path):
    """A file of plain values whose ``meta['cfg']`` is Python code: reading that config would run it."""
    marker = tmp_path / 'MARKER'
    cfg_text = f"_ = __import__('os').system('touch {marker}')\nmodel = dict(type='SAMixMoCo')\n"
    path = str(tmp_path / 'stripped.pth')
    torch.save(dict(meta=dict(cfg=cfg_text), state_dict={'mixer.w': torch.zeros(1)}), path)
    with pytest.raises(UnsafePickleError) as error:
        MODELS.build(dict(type='PretrainedMixerPolicy', checkpoint=path))
    assert_refused(str(error.value), path, MIXER_TOOL, 'allow_unsafe_pickle=True', reason="meta['cfg']")
    with pytest.raises(UnsafePickleError) as error:
        export_mixer.export(path, str(tmp_path / 'out.pth'))
    assert_refused(str(error.value), path, MIXER_TOOL, '--allow-unsafe-pickle', reason="meta['cfg']")
    assert not marker.exists()
    Config.fromstring(cfg_text, file_format='.py')  # what the opt-in does: runs the text
    assert marker.exists()


def test_literal_config_round_trip_and_errors():
    cfg = Config(dict(m=dict(type='SAMixMixer', in_channels=32, norm_cfg=dict(type='BN'), scales=(1, 2),
                             lam=[0.5, None], flag=True))).m
    text = literal_config(cfg, 'model.mixer')
    parsed = parse_literal_config(text, "meta['mixer']", 'f.pth')
    assert parsed == cfg.to_dict() and type(parsed['norm_cfg']) is dict and parsed['scales'] == (1, 2)
    with pytest.raises(ValueError, match='model.mixer must hold only literals'):
        literal_config(dict(type='X', gamma=float('nan')), 'model.mixer')
    with pytest.raises(ValueError, match='model.mixer must hold only literals'):
        literal_config(dict(type='X', act=torch.nn.ReLU), 'model.mixer')
    for text in ["__import__('os').system('true')", "dict(type='X')", "{'in_channels': 3}",
                 "{'type': 'X', 'init_cfg': {'type': 'Pretrained', 'checkpoint': 'other.pth'}}", {'type': 'X'}]:
        with pytest.raises(ValueError, match=r"meta\['mixer'\] of f.pth must be the text of a literal dict"):
            parse_literal_config(text, "meta['mixer']", 'f.pth')


def test_forced_weights_only_makes_mmengine_pretrained_init_safe(tmp_path, monkeypatch):
    """What docs/weight_files.md recommends for backbones: with TORCH_FORCE_WEIGHTS_ONLY_LOAD=1, MMEngine's
    ``Pretrained`` initialiser (its own ``torch.load``) still loads an extracted backbone and refuses the crafted
    file."""
    from mmpretrain.models import ResNet_CIFAR
    backbone = ResNet_CIFAR(depth=18, stem_channels=8, base_channels=8)
    src, extracted = str(tmp_path / 'epoch_1.pth'), str(tmp_path / 'backbone.pth')
    torch.save(dict(state_dict={f'backbone.{k}': v + 1 for k, v in backbone.state_dict().items()}), src)
    extract_backbone_weights.main([src, extracted])
    monkeypatch.setenv('TORCH_FORCE_WEIGHTS_ONLY_LOAD', '1')

    def pretrained(checkpoint):
        return ResNet_CIFAR(depth=18, stem_channels=8, base_channels=8,
                            init_cfg=dict(type='Pretrained', checkpoint=checkpoint))

    model = pretrained(extracted)
    model.init_weights()
    assert torch.equal(model.conv1.weight, backbone.conv1.weight + 1)
    with pytest.raises(pickle.UnpicklingError, match='Unsupported class posix.system'):
        pretrained(crafted_file(tmp_path, 'zip')).init_weights()
    assert not (tmp_path / 'MARKER').exists()
