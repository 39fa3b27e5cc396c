"""The README demo: pretrain on the embedded digits with `mim train mmpretrain`, then show what was learned.

    python tools/demo.py CONFIG [--work-dir work_dirs/demo] [extra `mim train` args ...]

Prints the kNN top-1 of the randomly initialised and of the trained backbone (written by ``KNNEvalHook``
to ``<work_dir>/knn.json``). For a config whose model has a learned Mixer, it also writes a grid of its
mixing masks to ``<work_dir>/masks.png`` with ``tools/visualize_mixing.py``.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys

from mmengine.config import Config


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    args, extra = parser.parse_known_args()

    mim = osp.join(osp.dirname(sys.executable), 'mim')
    cmd = [mim, 'train', 'mmpretrain', args.config, '--work-dir', args.work_dir, *extra]
    print('[demo] ' + ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True)

    with open(osp.join(args.work_dir, 'knn.json')) as f:
        knn = json.load(f)
    res = knn['results']
    print(f"\n[demo] {osp.basename(args.config)}: weighted kNN top-1 on the digits val split "
          f"(k={knn['k']}, T={knn['temperature']})")
    print(f"[demo]   randomly initialised backbone: {res['random_init']['top1']:6.2f}%")
    if 'random_init_default_bn' in res:
        print(f"[demo]     (BN statistics estimated on the train digits, weights untouched; with the initial BN "
              f"buffers, mean 0 / var 1, it scores {res['random_init_default_bn']['top1']:.2f}%: see "
              'KNNEvalHook)')
    print(f"[demo]   trained backbone:              {res['trained']['top1']:6.2f}%  "
          f"({res['trained']['top1'] - res['random_init']['top1']:+.2f} points)")
    print(f"[demo] logs, checkpoints and knn.json are in {args.work_dir}")

    if 'mixer' in Config.fromfile(args.config).model:
        out = osp.join(args.work_dir, 'masks.png')
        ckpt = osp.join(args.work_dir, open(osp.join(args.work_dir, 'last_checkpoint')).read().strip())
        subprocess.run([sys.executable, osp.join(osp.dirname(__file__), 'visualize_mixing.py'),
                        '--mixer-checkpoint', ckpt, '--config', args.config, '--out', out], check=True)
        print(f'[demo] mixing masks of the trained Mixer: {out}')


if __name__ == '__main__':
    main()
