"""Export the Mixer of a SAMix / AutoMix checkpoint, with the encoder that feeds it, for SAMix^P.

SAMix ``004_efcde85b9ca00546.txt`` sec. 3.2: a Mixer trained once (online, with its momentum encoder) is
reused frozen in other runs. This tool reads a training checkpoint of ``SAMixMoCo`` / ``SAMixClassifier``
and writes ``{'meta': {'format', 'backbone', 'mixer', 'mixer_stage'}, 'backbone': ..., 'mixer': ...}``: the
momentum backbone's and the Mixer's weights with their configs. ``PretrainedMixerPolicy(checkpoint=OUT)``
(SSL mixing policy) and the ``PretrainedMixer`` batch augment (supervised) load it.

Usage: python tools/model_converters/export_mixer.py CHECKPOINT OUTPUT [--config CONFIG]
The model config is read from ``--config`` or, when omitted, from the checkpoint's ``meta['cfg']`` (MMEngine
stores the run's config there).
"""
import argparse
import os
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def load_model_cfg(checkpoint: dict, config: str = None) -> dict:
    from mmengine.config import Config
    if config is not None:
        return Config.fromfile(config).model
    cfg_text = checkpoint.get('meta', {}).get('cfg')
    if not cfg_text:
        raise KeyError("the checkpoint has no meta['cfg']; pass the training config with --config")
    return Config.fromstring(cfg_text, file_format='.py').model


def export(checkpoint_path: str, output_path: str, config: str = None) -> dict:
    """Write the SAMix^P file of ``checkpoint_path`` to ``output_path`` and return its content."""
    import mixplugins  # noqa: F401  (registers the models)
    from mixplugins.models.mixing.pretrained_mixer import export_pretrained_mixer
    if not osp.isfile(checkpoint_path):
        raise FileNotFoundError(f'checkpoint: no file at {checkpoint_path!r}')
    checkpoint = torch.load(checkpoint_path, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    content = export_pretrained_mixer(load_model_cfg(checkpoint, config), state_dict)
    content['meta']['source'] = osp.abspath(checkpoint_path)
    os.makedirs(osp.dirname(osp.abspath(output_path)), exist_ok=True)
    torch.save(content, output_path)
    return content


def main(argv=None):
    parser = argparse.ArgumentParser(description='Export a trained Mixer + its encoder for SAMix^P')
    parser.add_argument('checkpoint', help='SAMixMoCo / SAMixClassifier training checkpoint')
    parser.add_argument('output', help='output file (.pth)')
    parser.add_argument('--config', default=None, help="training config (default: the checkpoint's meta cfg)")
    args = parser.parse_args(argv)
    content = export(args.checkpoint, args.output, args.config)
    meta = content['meta']
    print(f"exported {meta['mixer']['type']} ({len(content['mixer'])} tensors) + {meta['backbone']['type']} "
          f"stage {meta['mixer_stage']} ({len(content['backbone'])} tensors) -> {args.output}")


if __name__ == '__main__':
    main()
