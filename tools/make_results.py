"""Reproducible results tables: pretrain each config on the embedded digits, evaluate it, write
docs/results.md and its subsets.

For every pretraining CONFIG (self-supervised or supervised; anything whose model has a ``backbone``):

1. pretraining: ``python tools/train.py CONFIG --work-dir W/<name>/pretrain --cfg-options
   randomness.seed=SEED``;
2. kNN: weighted kNN top-1 (k=20, T=0.07, cosine; mixplugins.evaluation.knn_top1) of the pooled last-stage
   features of the final checkpoint's backbone, the linear config's train digits as memory, its val digits
   as queries;
3. linear probe, top-1 on val: ``--linear-probe logreg`` (default) fits a multinomial logistic regression
   (scikit-learn, L-BFGS) on the standardised features of step 2; ``--linear-probe runner`` trains the digits
   linear config (frozen backbone, SGD lr 0.1, with augmentation) through the Runner with the pretraining
   config's backbone loaded from the final checkpoint (generated config W/<name>/linear_probe.py), about a
   minute a row on 2 cores;
4. own top-1: for a classifier (supervised pretraining), the final val ``accuracy/top1`` of the pretraining
   run itself (digits val split); '-' for self-supervised configs.

A "random init" row evaluates the untrained backbone of the first config the same way. The run-to-run noise
is measured by repeating one config (``--noise-config``, default the first) with the same seed, right after
its first run; the table states the largest absolute difference. A failed run gets a "failed" row and the
table goes on.

SAMix^P configs declare a top-level ``pretrained_mixer`` file (the frozen Mixer they load) and
``pretrained_mixer_from``, the config whose trained Mixer it is. When that config is part of the run (or the file
is missing), the file is exported with ``tools/model_converters/export_mixer.py`` from the final checkpoint of
its finished row, which must therefore come earlier in the run (the default order does that); if that row has
not run or failed, the SAMix^P row fails. Otherwise the existing file is used.

Outputs: ``--out`` with every row and, in the same directory, the SUBSETS files: ``results_ssl.md`` (configs
under configs/demo/, configs/unmix/, configs/bsim/) and ``results_samix.md`` (configs/demo/, configs/samix/,
configs/automix/), each with the random-init row and written only if it has at least one other row. Every
file holds the commands, seeds, versions and times, and is rewritten after every row (an interrupted run
leaves its finished rows, marked incomplete).

Usage: python tools/make_results.py [CONFIG ...] [--seed 0] [--work-dir work_dirs/results]
           [--out docs/results.md] [--pretrain-options KEY=VALUE ...] [--linear-probe logreg|runner]
           [--linear-options KEY=VALUE ...] [--threads N]
With no CONFIG, the digits pretraining configs of DEFAULT_CONFIG_GLOBS that exist are used. ``--*-options``
override settings of every pretraining / linear-probe run (e.g. a shorter schedule for a smoke test);
``--threads`` sets OMP_NUM_THREADS of the runs (fix it for reproducible numbers: float reductions depend on
the thread count). The pretraining runs switch their kNN monitor off
(``custom_hooks.<i>.before_train=False``, ``.after_train=False``): the table measures the kNN top-1 itself.
"""
import argparse
import glob
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone

from mmengine.config import DictAction

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_LINEAR_CONFIG = ('configs/benchmarks/classification/digits/'
                         'resnet18-cifar_linear-1xb64-steplr-5e_digits.py')
# SAMix^P (samix-p_*) last: they load the Mixer of an earlier row (their ``pretrained_mixer_from``).
DEFAULT_CONFIG_GLOBS = ('configs/demo/mocov2_*_digits.py', 'configs/unmix/*_digits.py',
                        'configs/bsim/*_digits.py', 'configs/samix/[!s]*_digits.py',
                        'configs/samix/samix[-_][!p]*_digits.py', 'configs/automix/*_digits.py',
                        'configs/samix/samix-p_*_digits.py')
#: (file name, title, config path prefixes) of the subset documents written next to ``--out``.
SUBSETS = (('results_ssl.md', '# Results on the embedded digits: Un-Mix and BSIM / WBSIM',
            ('configs/demo/', 'configs/unmix/', 'configs/bsim/')),
           ('results_samix.md', '# Results on the embedded digits: SAMix and AutoMix',
            ('configs/demo/', 'configs/samix/', 'configs/automix/')))
KNN_K, KNN_TEMPERATURE = 20, 0.07
LOGREG_C, LOGREG_MAX_ITER = 1.0, 5000
#: ``--linear-probe``: logistic regression on the frozen features (seconds a row), or the digits linear config
#: through the Runner (``--linear-config``, about a minute a row on 2 cores).
LINEAR_PROBES = ('logreg', 'runner')
RESULTS_KEYS = ('name', 'config', 'labels', 'knn_top1', 'linear_top1', 'own_top1', 'pretrain_min', 'eval_min')


def default_configs() -> list:
    return [
        osp.relpath(path, ROOT) for pattern in DEFAULT_CONFIG_GLOBS
        for path in sorted(glob.glob(osp.join(ROOT, pattern)))
    ]


def config_name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def run_command(cmd: list, log_path: str) -> float:
    """Run ``cmd`` from the repo root with output to ``log_path``; returns its wall time in minutes.
    A failure raises RuntimeError with the end of the log."""
    os.makedirs(osp.dirname(log_path), exist_ok=True)
    start = time.time()
    with open(log_path, 'w') as log:
        code = subprocess.call(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
    if code != 0:
        with open(log_path) as log:
            tail = ''.join(log.readlines()[-20:])
        raise RuntimeError(f"command failed ({code}): {' '.join(cmd)}\nlog {log_path}:\n{tail}")
    return (time.time() - start) / 60


def train_command(config: str, work_dir: str, seed: int, options=()) -> list:
    return [
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir, '--cfg-options',
        f'randomness.seed={seed}', *options
    ]


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint named in ``work_dir/last_checkpoint`` (written by MMEngine's CheckpointHook)."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise FileNotFoundError(f'{pointer} not found: the run saved no checkpoint')
    with open(pointer) as f:
        return f.read().strip()


def read_val_top1(work_dir: str) -> float:
    """Last ``accuracy/top1`` logged in ``work_dir/<timestamp>/vis_data/scalars.json`` (latest run)."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no <timestamp>/vis_data/scalars.json under {work_dir}')
    with open(files[-1]) as f:
        records = [json.loads(line) for line in f if line.strip()]
    top1 = [r['accuracy/top1'] for r in records if 'accuracy/top1' in r]
    if not top1:
        raise KeyError(f"no 'accuracy/top1' in {files[-1]}")
    return float(top1[-1])


def _backbone(pretrain_cfg):
    """The (randomly initialised, eval mode) backbone of ``pretrain_cfg``."""
    import mixplugins  # noqa: F401
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    backbone_cfg = pretrain_cfg.model.backbone.copy()
    backbone_cfg['init_cfg'] = None
    backbone = MODELS.build(backbone_cfg)
    backbone.eval()  # mmpretrain's ResNet.train() returns None: no chaining
    return backbone


def _normalisation(pretrain_cfg) -> tuple:
    """The data_preprocessor mean / std of ``pretrain_cfg`` as 1 x 3 x 1 x 1 tensors."""
    import torch
    preprocessor = pretrain_cfg.model.get('data_preprocessor') or pretrain_cfg.get('data_preprocessor')
    mean = torch.tensor(preprocessor['mean'], dtype=torch.float32).view(1, 3, 1, 1)
    std = torch.tensor(preprocessor['std'], dtype=torch.float32).view(1, 3, 1, 1)
    return mean, std


def digits_images(pretrain_cfg, linear_config: str, split: str) -> tuple:
    """Normalised images (N x 3 x H x W, the pretraining config's mean/std) and labels of ``split`` of the
    linear config's validation dataset, without augmentation."""
    import torch
    from mmengine.config import Config
    from mmpretrain.registry import DATASETS
    mean, std = _normalisation(pretrain_cfg)
    val_dataset = Config.fromfile(osp.join(ROOT, linear_config)).val_dataloader.dataset
    data = DATASETS.build(dict(val_dataset, split=split, pipeline=[], test_mode=True))
    items = [data[i] for i in range(len(data))]
    imgs = torch.stack([torch.from_numpy(item['img']).permute(2, 0, 1).float() for item in items])
    return (imgs - mean) / std, torch.tensor([item['gt_label'] for item in items])


def backbone_features(pretrain_cfg, checkpoint: str, prefix, linear_config: str) -> tuple:
    """Pooled last-stage features of the backbone of ``pretrain_cfg`` loaded from ``checkpoint``, of the linear
    config's training and validation images (without augmentation): ``(train_feats, train_labels, val_feats,
    val_labels)``."""
    import torch
    import torch.nn.functional as F

    from mixplugins.engine.hooks.backbone_checkpoint_hook import check_backbone_checkpoint
    backbone = _backbone(pretrain_cfg)
    backbone.load_state_dict(check_backbone_checkpoint(backbone, checkpoint, prefix), strict=True)

    @torch.no_grad()
    def features(split):
        imgs, labels = digits_images(pretrain_cfg, linear_config, split)
        feats = torch.cat([backbone(chunk)[-1] for chunk in imgs.split(256)])
        return F.adaptive_avg_pool2d(feats, 1).flatten(1), labels

    return (*features('train'), *features('val'))


def knn_eval(train_feats, train_labels, val_feats, val_labels) -> float:
    """Weighted kNN top-1 (%): memory = the training features, queries = the validation features."""
    from mixplugins.evaluation import knn_top1
    return knn_top1(train_feats, train_labels, val_feats, val_labels, 10, KNN_K, KNN_TEMPERATURE)


def logreg_eval(train_feats, train_labels, val_feats, val_labels) -> float:
    """Linear probe on frozen features: top-1 (%) on the validation features of a multinomial logistic
    regression ``p(y | f) = softmax(W f' + b)`` fitted on the training features by scikit-learn's L-BFGS,
    minimising ``mean CE + ||W||^2 / (2 C N)`` with ``C = LOGREG_C``; ``f'`` = the features standardised with
    the training mean / std (one ``C`` fits every method, as the BN neck of the Runner probe does)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=LOGREG_C, max_iter=LOGREG_MAX_ITER))
    probe.fit(train_feats.double().numpy(), train_labels.numpy())
    return 100.0 * float((probe.predict(val_feats.double().numpy()) == val_labels.numpy()).mean())


def write_random_init_backbone(pretrain_cfg, seed: int, path: str, linear_config: str) -> str:
    """Save the seeded random initialisation of the config's backbone as an extracted backbone (no prefix),
    with BN statistics estimated on the training images (``calibrate_batchnorm``: fresh BN buffers would
    make every BN layer the identity; see ``KNNEvalHook``)."""
    import torch

    from mixplugins.evaluation import calibrate_batchnorm
    torch.manual_seed(seed)
    backbone = _backbone(pretrain_cfg)
    backbone.init_weights()
    imgs, _ = digits_images(pretrain_cfg, linear_config, 'train')
    backbone = calibrate_batchnorm(backbone, imgs.split(64))
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(dict(state_dict=backbone.state_dict()), path)
    return path


def write_linear_config(linear_config: str,
                        pretrain_cfg,
                        checkpoint: str,
                        prefix,
                        out_path: str,
                        options=None) -> str:
    """``linear_config`` with the pretraining config's backbone (frozen, loaded from ``checkpoint``), a head
    sized to its output, the ``options`` overrides and a single validation after the last epoch, dumped to
    ``out_path``."""
    import torch
    from mmengine.config import Config, ConfigDict
    cfg = Config.fromfile(osp.join(ROOT, linear_config))
    backbone = _backbone(pretrain_cfg)
    with torch.no_grad():
        feat_dim = backbone(torch.zeros(1, 3, 32, 32))[-1].shape[1]
    backbone_cfg = pretrain_cfg.model.backbone.copy()
    backbone_cfg.update(frozen_stages=4,
                        init_cfg=dict(type='Pretrained', checkpoint=osp.abspath(checkpoint), prefix=prefix))
    cfg.model.backbone = ConfigDict(backbone_cfg)
    cfg.model.head.in_channels = int(feat_dim)
    for neck in cfg.model.neck if isinstance(cfg.model.neck, list) else [cfg.model.neck]:
        if 'input_features' in neck:
            neck.input_features = int(feat_dim)
    cfg.merge_from_dict(options or {})
    cfg.train_cfg.val_interval = cfg.train_cfg.max_epochs
    os.makedirs(osp.dirname(out_path), exist_ok=True)
    cfg.dump(out_path)
    return out_path


def evaluate_backbone(pretrain_cfg, checkpoint, prefix, run_dir, seed, args) -> tuple:
    """kNN and linear-probe top-1 of one backbone checkpoint; returns (knn, linear, minutes, commands of the
    probe: the Runner probe's training run, none for the in-process logistic regression)."""
    start = time.time()
    feats = backbone_features(pretrain_cfg, checkpoint, prefix, args.linear_config)
    knn = knn_eval(*feats)
    if args.linear_probe == 'logreg':
        return knn, logreg_eval(*feats), (time.time() - start) / 60, []
    linear_cfg = write_linear_config(args.linear_config, pretrain_cfg, checkpoint, prefix,
                                     osp.join(run_dir, 'linear_probe.py'), args.linear_options)
    cmd = train_command(osp.relpath(linear_cfg, ROOT), osp.relpath(osp.join(run_dir, 'linear'), ROOT), seed)
    run_command(cmd, osp.join(run_dir, 'linear.log'))
    return knn, read_val_top1(osp.join(run_dir, 'linear')), (time.time() - start) / 60, [cmd]


def prepare_pretrained_mixer(pretrain_cfg, rows: list, work_root: str, run_dir: str, run_configs=()) -> list:
    """SAMix^P: export the config's ``pretrained_mixer`` file from the final checkpoint of the finished row of its
    ``pretrained_mixer_from`` when that config is part of this run (``run_configs``: the table then uses the
    Mixer trained in the same run, never one left by an earlier run) or when the file is missing; otherwise the
    existing file is used. Returns the commands run (none if nothing was needed)."""
    if 'pretrained_mixer' not in pretrain_cfg:
        return []
    source = pretrain_cfg.get('pretrained_mixer_from')
    if source not in run_configs and osp.isfile(osp.join(ROOT, pretrain_cfg.pretrained_mixer)):
        return []
    if not any(row['config'] == source and row['labels'] != '-' and row['knn_top1'] is not None for row in rows):
        raise RuntimeError(f'{pretrain_cfg.pretrained_mixer} comes from pretrained_mixer_from={source!r}, which has '
                           'no finished row earlier in this run (not run, or failed)')
    checkpoint = last_checkpoint(osp.join(work_root, config_name(source), 'pretrain'))
    cmd = [sys.executable, 'tools/model_converters/export_mixer.py', checkpoint, pretrain_cfg.pretrained_mixer]
    run_command(cmd, osp.join(run_dir, 'export_mixer.log'))
    return [cmd]


def pretrain_options(pretrain_cfg, options) -> list:
    """``options`` plus ``custom_hooks.<i>.before_train=False`` and ``custom_hooks.<i>.after_train=False`` for a
    config's ``KNNEvalHook``: the table measures the kNN top-1 itself, and the untrained backbone once in its
    random-init row (the monitor's three scores cost about half a minute a run)."""
    hooks = pretrain_cfg.get('custom_hooks') or []
    knn = [i for i, hook in enumerate(hooks) if hook.get('type') == 'KNNEvalHook']
    return [*options, *(f'custom_hooks.{i}.{when}=False' for i in knn for when in ('before_train', 'after_train'))]


def evaluate_config(config: str, seed: int, work_root: str, args, rows=(), tag: str = '', run_configs=()) -> dict:
    """Pretrain ``config`` and evaluate its final checkpoint (module docstring); ``rows`` are the finished rows
    (sources of SAMix^P Mixers). Returns one result row."""
    from mmengine.config import Config
    name = config_name(config)
    run_dir = osp.join(work_root, name + tag)
    pretrain_dir = osp.join(run_dir, 'pretrain')
    pretrain_cfg = Config.fromfile(osp.join(ROOT, config))
    export_cmds = prepare_pretrained_mixer(pretrain_cfg, rows, work_root, run_dir, run_configs)
    pretrain_cmd = train_command(config, osp.relpath(pretrain_dir, ROOT), seed,
                                 pretrain_options(pretrain_cfg, args.pretrain_options))
    pretrain_min = run_command(pretrain_cmd, osp.join(run_dir, 'pretrain.log'))
    knn, linear, eval_min, linear_cmds = evaluate_backbone(pretrain_cfg, last_checkpoint(pretrain_dir),
                                                           'backbone.', run_dir, seed, args)
    labels = 'yes' if 'Classifier' in pretrain_cfg.model.type else 'no'
    return dict(name=name,
                config=config,
                labels=labels,
                knn_top1=knn,
                linear_top1=linear,
                own_top1=read_val_top1(pretrain_dir) if labels == 'yes' else None,
                pretrain_min=pretrain_min,
                eval_min=eval_min,
                commands=[' '.join(cmd[1:]) for cmd in (*export_cmds, pretrain_cmd, *linear_cmds)])


def evaluate_random_init(config: str, seed: int, work_root: str, args) -> dict:
    """The untrained (seeded random init) backbone of ``config``, evaluated like the pretrained ones."""
    from mmengine.config import Config
    pretrain_cfg = Config.fromfile(osp.join(ROOT, config))
    run_dir = osp.join(work_root, 'random_init')
    checkpoint = write_random_init_backbone(pretrain_cfg, seed, osp.join(run_dir, 'backbone.pth'),
                                            args.linear_config)
    knn, linear, eval_min, linear_cmds = evaluate_backbone(pretrain_cfg, checkpoint, None, run_dir, seed, args)
    return dict(name='random init',
                config=config,
                labels='-',
                knn_top1=knn,
                linear_top1=linear,
                own_top1=None,
                pretrain_min=0.0,
                eval_min=eval_min,
                commands=[' '.join(cmd[1:]) for cmd in linear_cmds])


def failed_row(config: str, run_dir: str) -> dict:
    """Row of a config whose pretraining or evaluation failed (the top-1 values are None)."""
    return dict(name=config_name(config), config=config, labels='?', knn_top1=None, linear_top1=None, own_top1=None,
                pretrain_min=0.0, eval_min=0.0, commands=[f'(failed: logs in {run_dir}/)'])


def run_to_run_noise(first: dict, repeat: dict) -> dict:
    """Largest absolute difference (percentage points) between two runs of the same config and seed."""
    return dict(config=first['config'],
                knn=abs(first['knn_top1'] - repeat['knn_top1']),
                linear=abs(first['linear_top1'] - repeat['linear_top1']),
                max=max(abs(first['knn_top1'] - repeat['knn_top1']),
                        abs(first['linear_top1'] - repeat['linear_top1'])))


def render_markdown(rows: list, noise: dict, meta: dict, title: str = '# Results on the embedded digits',
                    noise_file: str = None) -> str:
    """A results document from result rows (RESULTS_KEYS + 'commands'), the noise measurement and run metadata;
    ``noise_file``: the document that holds the noise measurement when its config is not among ``rows``."""
    missing = [key for row in rows for key in RESULTS_KEYS if key not in row]
    if missing:
        raise KeyError(f'result rows lack {sorted(set(missing))}')
    lines = [
        title,
        '',
        f"Written by `python tools/make_results.py` on {meta['date']} ({meta['machine']}; total "
        f"{meta['total_min']:.1f} min). Do not edit by hand: rerun the script.",
        '',
    ]
    if not meta['done']:
        lines += [f"**Incomplete**: the run was still going when this was written ({len(rows) - 1} of "
                  f"{len(meta['configs'])} pretraining configs done).", '']
    if meta['pretrain_options']:
        lines += [f"Pretraining overrides (`--pretrain-options`, applied to every config): "
                  f"`{meta['pretrain_options']}`.", '']
    lines += [
        f"Seed {meta['seed']} for every run (`randomness.seed`). Data: the embedded scikit-learn digits "
        f"(mixplugins.datasets.DigitsDataset, the train / val split of `{meta['linear_config']}`). kNN: weighted kNN "
        'top-1 (k=20, T=0.07, cosine) of the pooled last-stage backbone features of the final checkpoint, '
        'train images as memory, val images as queries. Linear: top-1 on val of a linear classifier on the '
        f"frozen backbone ({meta['linear_setting']}). Own: for supervised "
        'pretraining (a classifier), the final val top-1 of the pretraining run itself (the model its config '
        'evaluates, e.g. the EMA model of AutoMix / SAMix).',
        '',
        'Scale: CPU-sized runs (1,438 training digits, a CIFAR ResNet-18, the epochs above). The table shows that '
        'every method trains end to end through the Runner and reproduces its numbers; it does not rank the '
        'methods: at this length most differences between rows say nothing about real data.',
        '',
        '| method (pretraining config) | labels in pretraining | kNN top-1 (%) | linear top-1 (%) | '
        'own top-1 (%) | pretraining (min) | evaluation (min) |',
        '|---|---|---:|---:|---:|---:|---:|',
    ]
    for row in rows:
        config = f"`{row['config']}`"
        if row['labels'] == '-':
            config = f'no pretraining, backbone of {config}'
        if row['knn_top1'] is None:
            lines.append(f"| {row['name']} ({config}) | {row['labels']} | failed | failed | failed | - | - |")
            continue
        own = '-' if row['own_top1'] is None else f"{row['own_top1']:.2f}"
        lines.append(
            f"| {row['name']} ({config}) | {row['labels']} | {row['knn_top1']:.2f} | "
            f"{row['linear_top1']:.2f} | {own} | {row['pretrain_min']:.1f} | {row['eval_min']:.1f} |")
    lines += ['']
    if noise and noise_file:
        lines += [f"Run-to-run noise: measured in [{noise_file}]({noise_file}) (rerunning `{noise['config']}`, "
                  f"not in this table): differences up to {max(noise['max'], 0.01):.2f} points between reruns "
                  'are noise, not method effects.', '']
    elif noise:
        change = (f"changed kNN top-1 by {noise['knn']:.2f} and linear top-1 by {noise['linear']:.2f} points"
                  if noise['max'] else 'reproduced both numbers exactly')
        lines += [f"Run-to-run noise: rerunning `{noise['config']}` with the same seed {change}; differences "
                  f"up to {max(noise['max'], 0.01):.2f} points between reruns of this file are noise, not "
                  'method effects.', '']
    else:
        lines += ['Run-to-run noise: ' + ('not measured in this run (`--no-noise`).' if meta['done'] else
                                          'not measured yet.'), '']
    lines += [
        '## Commands', '', 'Reproduce the whole file:', '', '```', meta['command'], '```', '',
        'Per row (from the repository root):', ''
    ]
    for row in rows:
        if not row['commands']:
            lines += [f"- {row['name']}: evaluated by the script itself (no training run).", '']
            continue
        lines += [f"- {row['name']}:", '', '  ```']
        lines += [f'  python {cmd}' if cmd.startswith('tools/') else f'  {cmd}' for cmd in row['commands']]
        lines += ['  ```', '']
    lines += ['## Environment', '', meta['environment'], '']
    return '\n'.join(lines)


def write_documents(out: str, rows: list, noise: dict, meta: dict) -> list:
    """Write ``out`` (every row) and, in its directory, each SUBSETS document with the random-init row and the
    rows of its configs, if it has any; returns the paths written."""
    documents = {out: render_markdown(rows, noise, meta)}
    for file_name, title, prefixes in SUBSETS:
        subset = [row for row in rows if row['labels'] == '-' or row['config'].startswith(prefixes)]
        if all(row['labels'] == '-' for row in subset):
            continue
        noise_file = None if not noise or noise['config'].startswith(prefixes) else osp.basename(out)
        subset_meta = dict(meta, configs=[config for config in meta['configs'] if config.startswith(prefixes)])
        documents[osp.join(osp.dirname(out), file_name)] = render_markdown(subset, noise, subset_meta, title,
                                                                           noise_file)
    for path, text in documents.items():
        with open(path, 'w') as f:
            f.write(text)
    return list(documents)


def linear_setting(args) -> str:
    """How the linear top-1 is measured, for the documents."""
    if args.linear_probe == 'logreg':
        return (f'multinomial logistic regression (scikit-learn L-BFGS, C={LOGREG_C}) on the standardised pooled '
                'features of the train images, without augmentation')
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, args.linear_config))
    cfg.merge_from_dict(args.linear_options)
    optimizer = cfg.optim_wrapper.optimizer
    return (f'`{args.linear_config}` through the Runner: frozen backbone, {cfg.train_cfg.max_epochs} epochs, '
            f'{optimizer.type} lr {optimizer.lr}, batch {cfg.train_dataloader.batch_size}')


def environment() -> str:
    import mmengine
    import mmpretrain
    import torch
    return (f'Python {platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} CPU '
            f'threads), mmengine {mmengine.__version__}, mmpretrain {mmpretrain.__version__}, '
            f'{platform.platform()}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Pretrain + kNN + linear probe on the digits; writes a table.')
    parser.add_argument('configs',
                        nargs='*',
                        help='pretraining configs (default: the digits configs that exist)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default='work_dirs/results')
    parser.add_argument('--out', default='docs/results.md')
    parser.add_argument('--linear-config',
                        default=DEFAULT_LINEAR_CONFIG,
                        help='its train / val datasets are the evaluation data; the Runner probe trains it')
    parser.add_argument('--linear-probe',
                        choices=LINEAR_PROBES,
                        default='logreg',
                        help='logistic regression on the frozen features (default), or the linear config '
                        'through the Runner')
    parser.add_argument('--noise-config',
                        help='config repeated to measure run-to-run noise (default: the first)')
    parser.add_argument('--no-noise', action='store_true', help='skip the repeated run')
    parser.add_argument('--pretrain-options',
                        nargs='+',
                        default=[],
                        metavar='KEY=VALUE',
                        help='--cfg-options of every pretraining run')
    parser.add_argument('--linear-options',
                        nargs='+',
                        action=DictAction,
                        default={},
                        metavar='KEY=VALUE',
                        help='overrides of the linear config (--linear-probe runner)')
    parser.add_argument('--threads', type=int, help='OMP_NUM_THREADS of the runs (default: inherited)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    configs = args.configs or default_configs()
    if not configs:
        raise ValueError(f'no pretraining config given and none found under {DEFAULT_CONFIG_GLOBS}')
    if args.threads:
        import torch
        os.environ['OMP_NUM_THREADS'] = str(args.threads)
        torch.set_num_threads(args.threads)
    start = time.time()
    work_root = osp.join(ROOT, args.work_dir)
    out = osp.join(ROOT, args.out)
    if osp.basename(out) in [file_name for file_name, _, _ in SUBSETS]:
        raise ValueError(f'--out {args.out}: that name is taken by a subset document (SUBSETS)')
    os.makedirs(osp.dirname(out), exist_ok=True)
    noise_config = None if args.no_noise else (args.noise_config or configs[0])
    results, noise = {}, {}
    meta = dict(seed=args.seed, machine=f'CPU, {os.cpu_count()} cores', linear_config=args.linear_config,
                linear_setting=linear_setting(args), pretrain_options=' '.join(args.pretrain_options),
                environment=environment(), configs=configs,
                command=' '.join(['python', 'tools/make_results.py',
                                  *(sys.argv[1:] if argv is None else argv)]))

    def rows() -> list:
        """Finished rows in table order: random init, then the configs' order."""
        keys = [('random init', '')] + [(config, '') for config in configs]
        return [results[key] for key in keys if key in results]

    def write(done: bool) -> list:
        """(Re)write the documents after every row, so an interrupted run still leaves its finished rows."""
        meta.update(date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), done=done,
                    total_min=(time.time() - start) / 60)
        return write_documents(out, rows(), noise, meta)

    def run(config: str, tag: str) -> dict:
        if config == 'random init':
            return evaluate_random_init(configs[0], args.seed, work_root, args)
        try:
            return evaluate_config(config, args.seed, work_root, args, rows(), tag, configs)
        except Exception as error:  # a failed run: its row says so and points at the log
            print(f'{config}{tag} failed: {error!r}', flush=True)
            return failed_row(config, osp.relpath(osp.join(work_root, config_name(config) + tag), ROOT))

    # in this order (SAMix^P configs after the rows whose Mixers they load: DEFAULT_CONFIG_GLOBS); the noise
    # repeat right after the first run, so the statement covers every later row
    tasks = [('random init', '')] + [(config, '') for config in configs]
    if noise_config:
        noise_tasks = [(noise_config, '_repeat')] if noise_config in configs else [(noise_config, ''),
                                                                                   (noise_config, '_repeat')]
        first = 1 + (configs.index(noise_config) + 1 if noise_config in configs else 0)
        tasks[first:first] = noise_tasks
    for config, tag in tasks:
        row = results[(config, tag)] = run(config, tag)
        if row['knn_top1'] is not None:
            print(f"{row['name']}{tag}: kNN {row['knn_top1']:.2f}, linear {row['linear_top1']:.2f}", flush=True)
        first_row, repeat = results.get((noise_config, '')), results.get((noise_config, '_repeat'))
        if first_row and repeat and first_row['knn_top1'] is not None and repeat['knn_top1'] is not None:
            noise.update(run_to_run_noise(first_row, repeat))
        write(False)
    print('wrote ' + ', '.join(write(True)))


if __name__ == '__main__':
    main()
