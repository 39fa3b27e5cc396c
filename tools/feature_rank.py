"""Effective rank of a trained backbone's features on the embedded digits: how many directions its val features
really use (a measure of dimensional collapse; ``mixplugins.evaluation.features.effective_rank``). With
``--knn-checks``, also its kNN top-1 under the stored BN statistics (as the results tables measure it), under BN
statistics re-estimated on the train digits and on centred features, and the offset share of its features
(``mixplugins.evaluation.protocol.backbone_knn_checks``).

Example::

    python tools/feature_rank.py configs/bsim/byol_resnet18-cifar_1xb16-coslr-60e_digits.py \\
        work_dirs/byol_digits/epoch_60.pth --knn-checks

Each checkpoint is loaded into the backbone of CONFIG (its ``backbone.`` tensors, checked), the digits are
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
    parser.add_argument('--knn-checks', action='store_true',
                        help='also the kNN top-1 under the stored and re-estimated BN statistics and on centred '
                        'features, and the offset share')
    return parser.parse_args(argv)


def main(argv=None) -> list:
    """Print one line per checkpoint and return the records of ``backbone_effective_rank`` (and
    ``backbone_knn_checks``) of its backbone, loaded once."""
    from mmengine.config import Config

    import mixplugins  # noqa: F401  (registers the models)
    from mixplugins.evaluation.features import load_backbone
    from mixplugins.evaluation.protocol import backbone_effective_rank, backbone_knn_checks
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    records = []
    for checkpoint in args.checkpoints:
        backbone = load_backbone(cfg, checkpoint)
        record = dict(checkpoint=checkpoint, **backbone_effective_rank(cfg, backbone))
        print(f"{checkpoint}: effective rank {record['effective_rank']:.1f} of {record['channels']} "
              f"(top-5 share of variance {record['top5_variance_share']:.2f})")
        if args.knn_checks:
            record.update(backbone_knn_checks(cfg, backbone))
            print(f"{checkpoint}: kNN top-1 {record['knn_top1']:.2f} (stored BN), "
                  f"{record['knn_top1_data_bn']:.2f} (BN of the train digits), "
                  f"{record['knn_top1_centred']:.2f} (centred features); offset share {record['offset_share']:.2f}")
        records.append(record)
    return records


if __name__ == '__main__':
    main()
