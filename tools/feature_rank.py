"""Effective rank of a trained backbone's features on the embedded digits: how many directions its val features
really use (a measure of dimensional collapse; ``mixplugins.evaluation.features.effective_rank``).

Example::

    python tools/feature_rank.py configs/bsim/byol_resnet18-cifar_1xb16-coslr-60e_digits.py \\
        work_dirs/byol_digits/epoch_60.pth

Each checkpoint is loaded into the backbone of CONFIG (its ``backbone.`` tensors, checked), the 359 val digits are
normalised as the config's data preprocessor does, and the globally pooled last-stage features are measured.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a digits pretraining config (DigitsDataset train dataset)')
    parser.add_argument('checkpoints', nargs='+', help='checkpoints of that config')
    return parser.parse_args(argv)


def main(argv=None) -> list:
    """Print one line per checkpoint and return the records of ``checkpoint_effective_rank``."""
    from mmengine.config import Config

    import mixplugins  # noqa: F401  (registers the models)
    from mixplugins.evaluation.protocol import checkpoint_effective_rank
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    records = []
    for checkpoint in args.checkpoints:
        record = dict(checkpoint=checkpoint, **checkpoint_effective_rank(cfg, checkpoint))
        print(f"{checkpoint}: effective rank {record['effective_rank']:.1f} of {record['channels']} "
              f"(top-5 share of variance {record['top5_variance_share']:.2f})")
        records.append(record)
    return records


if __name__ == '__main__':
    main()
