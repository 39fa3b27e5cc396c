"""Export the Mixer of a SAMix / AutoMix checkpoint, with the encoder that feeds it, for SAMix^P.

SAMix (Li et al., "Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021,
arXiv:2111.15454, sec. 3.2; ``docs/methods.md#pre-trained-mixer-samixp``): a Mixer trained once (online, with its
momentum encoder) is reused frozen in other runs. This tool reads a training checkpoint of ``SAMixMoCo`` /
``SAMixClassifier`` and writes ``{'meta': {'format', 'backbone', 'mixer', 'mixer_stage', 'source'}, 'backbone': ...,
'mixer': ...}``: the momentum backbone's and the Mixer's weights with their configs as literal text.
``PretrainedMixerPolicy(checkpoint=OUT)`` (SSL mixing policy) and the ``PretrainedMixer`` batch augment (supervised)
load it. OUT holds only tensors and plain values: it loads with ``torch.load(weights_only=True)`` and is the file to
share.

Usage: python tools/model_converters/export_mixer.py CHECKPOINT OUTPUT [--config CONFIG] [--allow-unsafe-pickle]
CHECKPOINT is read with ``weights_only=True``; a full MMEngine checkpoint (message hub, optimizer state) needs
``--allow-unsafe-pickle``, which unpickles it fully: pass it only for checkpoints you made yourself. The model
config is read from ``--config`` or, when omitted, from the checkpoint's ``meta['cfg']`` (MMEngine stores the
run's config there; it is Python code, so this too needs ``--allow-unsafe-pickle``).
"""
import argparse
import ast
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


OPT_IN = '--allow-unsafe-pickle (export(..., allow_unsafe_pickle=True))'


def load_model_cfg(checkpoint_path: str, checkpoint: dict, config: str = None,
                   allow_unsafe_pickle: bool = False) -> dict:
    """The model config of ``--config``, else the checkpoint's ``meta['cfg']`` (executed: needs the opt-in)."""
    from mmengine.config import Config

    from mixplugins.models.mixing.pretrained_mixer import EXPORT_TOOL
    from mixplugins.utils.checkpoint import unsafe_file_error
    if config is not None:
        return Config.fromfile(config).model
    cfg_text = checkpoint.get('meta', {}).get('cfg')
    if not cfg_text:
        raise KeyError("the checkpoint has no meta['cfg']; pass the training config with --config")
    if not allow_unsafe_pickle:
        raise unsafe_file_error(checkpoint_path, "its config meta['cfg'] (read without --config) is Python code "
                                'that reading it executes', EXPORT_TOOL, OPT_IN)
    return Config.fromstring(cfg_text, file_format='.py').model


def export(checkpoint_path: str, output_path: str, config: str = None, allow_unsafe_pickle: bool = False) -> dict:
    """Write the SAMix^P file of ``checkpoint_path`` to ``output_path`` and return its content.

    ``checkpoint_path`` is loaded with ``weights_only=True`` unless ``allow_unsafe_pickle`` (for your own
    checkpoints only); a file needing more is refused with one ``UnsafePickleError`` line.
    """
    import mixplugins  # noqa: F401  (registers the models)
    from mixplugins.models.mixing.pretrained_mixer import EXPORT_TOOL, export_pretrained_mixer
    from mixplugins.utils.checkpoint import load_weights_file
    if not osp.isfile(checkpoint_path):
        raise FileNotFoundError(f'checkpoint: no file at {checkpoint_path!r}')
    checkpoint = load_weights_file(checkpoint_path, EXPORT_TOOL, allow_unsafe_pickle, OPT_IN)
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{checkpoint_path} holds a {type(checkpoint).__name__}, expected a checkpoint dict')
    state_dict = checkpoint.get('state_dict', checkpoint)
    content = export_pretrained_mixer(load_model_cfg(checkpoint_path, checkpoint, config, allow_unsafe_pickle),
                                      state_dict)
    content['meta']['source'] = osp.abspath(checkpoint_path)
    os.makedirs(osp.dirname(osp.abspath(output_path)), exist_ok=True)
    torch.save(content, output_path)
    return content


def main(argv=None):
    parser = argparse.ArgumentParser(description='Export a trained Mixer + its encoder for SAMix^P')
    parser.add_argument('checkpoint', help='SAMixMoCo / SAMixClassifier training checkpoint')
    parser.add_argument('output', help='output file (.pth)')
    parser.add_argument('--config', default=None, help="training config (default: the checkpoint's meta cfg)")
    parser.add_argument('--allow-unsafe-pickle', action='store_true',
                        help='unpickle CHECKPOINT fully and run its meta cfg (a full MMEngine checkpoint needs '
                        'it); only for checkpoints you made yourself: a pickle can run arbitrary code')
    args = parser.parse_args(argv)
    content = export(args.checkpoint, args.output, args.config, args.allow_unsafe_pickle)
    meta = content['meta']
    mixer, backbone = (ast.literal_eval(meta[name])['type'] for name in ('mixer', 'backbone'))
    print(f"exported {mixer} ({len(content['mixer'])} tensors) + {backbone} stage {meta['mixer_stage']} "
          f"({len(content['backbone'])} tensors) -> {args.output}")


if __name__ == '__main__':
    main()
