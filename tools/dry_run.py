"""Run any config of the project through MMEngine's Runner for a few iterations on synthetic data.

Usage::

    python tools/dry_run.py CONFIG [CONFIG ...] [--iters 2] [--batch-size 2] [--amp] [--device cpu|cuda]
        [--work-dir DIR] [--no-checkpoint] [--img-shape H W] [--num-workers 0]
        [--summary OUT.md] [--launcher none|pytorch] [--cfg-options KEY=VALUE ...]
    tools/dist_train.sh-style: python -m torch.distributed.run --nproc_per_node 2 tools/dry_run.py CONFIG \\
        --launcher pytorch

What runs is the config's own Runner: model, data preprocessor, optimizer wrapper, param schedulers, default
and custom hooks, train loop type, sampler, collate function and the train pipeline. Only these change:

* every data set of ``train_dataloader`` (the leaves under ``ConcatDataset`` / ``RepeatDataset`` /
  ``MultiImageMixDataset`` ... wrappers, which stay) becomes a :class:`mixplugins.datasets.SyntheticDataset`
  with the replaced data set's ``pipeline`` and ``metainfo``: random raw images (375 x 500, CIFAR 32 x 32, or
  ``--img-shape``), written as JPEG files when the pipeline loads files, with class labels (classification,
  self-supervised) or boxes, labels and polygon masks (detection). Each epoch holds one batch per process
  (``RepeatDataset.times`` becomes 1);
* the loop length: ``max_epochs = N`` (epoch-based loops, one iteration per epoch, so epoch hooks and
  schedulers step every iteration) or ``max_iters = N``; val / test loops, dataloaders and evaluators are
  removed; ``--batch-size`` per process, ``--num-workers`` (0: load in the main process);
* a missing pre-trained file is replaced by random weights of the right keys in the work dir: a
  ``Pretrained`` ``init_cfg`` (a backbone to transfer, ``torchvision://`` included) gets a file holding its
  module's tensors under its ``prefix``; a SAMix^P config's ``pretrained_mixer`` gets the untrained Mixer +
  encoder of its ``pretrained_mixer_from`` config. The checks of ``BackboneCheckpointHook`` /
  ``C4PretrainedCheckHook`` run on these files;
* the work dir is a temporary directory (removed afterwards) unless ``--work-dir``; the logger prints every
  iteration; the checkpoint hook saves once, at the end (``--no-checkpoint``: no checkpoint hook);
* param schedulers that begin at or after the last dry-run step are left out (they would not act yet, and MMEngine
  refuses one that begins past the loop's end), and SAMix-C's cluster memory is sized to the synthetic data set;
* ``--amp``: as ``tools/train.py --amp`` (:func:`mixplugins.engine.use_amp`): mmengine's ``AmpOptimWrapper`` (fp16,
  dynamic loss scale) on CUDA, ``BF16AmpOptimWrapper`` (bf16 autocast) on the CPU.

It prints the losses of every iteration (MMEngine's logger) and one final line, ``dry run OK: ...`` with the
model, optimizer, schedulers, hooks, input shapes and the last losses (all finite), or ``dry run FAILED: ...``
with the error (exit status 1). Several configs run one after the other in one process (each failure is
reported and the others still run); ``--summary`` writes a Markdown table of all of them.
"""
import argparse
import gc
import math
import os
import os.path as osp
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from typing import Dict, List, Optional

TOOLS = Path(__file__).resolve().parent
if str(TOOLS.parent) not in sys.path:
    sys.path.insert(0, str(TOOLS.parent))
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

from benchmark import find_num_classes, load_config  # noqa: E402  (load_config: pretrained_mixer_from)

# Raw image (height, width) of the data sets whose images have a fixed size; the others get DEFAULT_IMG_SHAPE
# (an ImageNet / VOC-sized landscape image: the pipelines resize or crop it).
RAW_IMG_SHAPES = dict(CIFAR10=(32, 32), CIFAR100=(32, 32))
DEFAULT_IMG_SHAPE = (375, 500)
OBJECTS_PER_IMAGE = 3


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description='Run a config through the Runner for a few iterations on '
                                     'synthetic data (see the module docstring).')
    parser.add_argument('configs', nargs='+', metavar='CONFIG', help='config file(s), run one after the other')
    parser.add_argument('--iters', type=int, default=2, help='training iterations (default 2)')
    parser.add_argument('--batch-size', type=int, default=2, help='images per process (default 2)')
    parser.add_argument('--amp', action='store_true', help="mixed precision: fp16 AmpOptimWrapper on CUDA, bf16 on CPU")
    parser.add_argument('--device', choices=('cpu', 'cuda'), help='default: cuda if available, else cpu')
    parser.add_argument('--work-dir', help='keep logs and checkpoint here (default: a temporary directory)')
    parser.add_argument('--no-checkpoint', action='store_true', help='remove the checkpoint hook')
    parser.add_argument('--img-shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='raw synthetic image size (default: per data set, 375 x 500 otherwise)')
    parser.add_argument('--img-scale', type=int, nargs=2, metavar=('W', 'H'),
                        help='replace the (w, h) scale(s) of every *Resize transform of the train pipelines '
                        '(the detection resizes) by (W, H): a smaller image for a CPU run')
    parser.add_argument('--num-workers', type=int, default=0, help='dataloader workers (default 0)')
    parser.add_argument('--summary', help='write a Markdown table of the results here')
    parser.add_argument('--launcher', choices=('none', 'pytorch', 'slurm', 'mpi'), default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={}, metavar='KEY=VALUE',
                        help='override config settings (mmengine DictAction), merged before the dry-run changes')
    args = parser.parse_args(argv)
    for key in ('iters', 'batch_size'):
        if getattr(args, key) < 1:
            parser.error(f'--{key.replace("_", "-")} must be >= 1, got {getattr(args, key)}')
    if args.num_workers < 0:
        parser.error(f'--num-workers must be >= 0, got {args.num_workers}')
    for key in ('img_shape', 'img_scale'):
        if getattr(args, key) and min(getattr(args, key)) < 1:
            parser.error(f'--{key.replace("_", "-")} must be two positive sides, got {getattr(args, key)}')
    return args


# ------------------------------------------------------------------------------------------ config changes
def leaf_datasets(dataset_cfg) -> List[dict]:
    """The data set configs under the wrappers (a wrapper names ``dataset`` or ``datasets``), in order."""
    if 'datasets' in dataset_cfg:
        return [leaf for child in dataset_cfg['datasets'] for leaf in leaf_datasets(child)]
    if 'dataset' in dataset_cfg:
        return leaf_datasets(dataset_cfg['dataset'])
    return [dataset_cfg]


def set_repeat_times_to_one(dataset_cfg) -> None:
    """``RepeatDataset.times`` -> 1 everywhere in the wrapper chain (it only multiplies the length)."""
    if dataset_cfg.get('type') == 'RepeatDataset':
        dataset_cfg['times'] = 1
    for child in dataset_cfg.get('datasets', []):
        set_repeat_times_to_one(child)
    if 'dataset' in dataset_cfg:
        set_repeat_times_to_one(dataset_cfg['dataset'])


def set_resize_scales(node, scale) -> int:
    """Every ``*Resize`` transform under ``node`` whose ``scale`` is a (w, h) pair or whose ``scales`` is a
    list of them gets ``scale`` (a single-scale resize); returns how many changed."""
    changed = 0
    if isinstance(node, dict):
        is_pair = lambda value: isinstance(value, (list, tuple)) and len(value) == 2  # noqa: E731
        if str(node.get('type', '')).endswith('Resize'):
            if is_pair(node.get('scale')):
                node['scale'] = tuple(scale)
                changed += 1
            elif isinstance(node.get('scales'), (list, tuple)) and all(map(is_pair, node['scales'])):
                node['scales'] = [tuple(scale)]
                changed += 1
        for value in node.values():
            changed += set_resize_scales(value, scale)
    elif isinstance(node, (list, tuple)):
        for value in node:
            changed += set_resize_scales(value, scale)
    return changed


def dataset_class(dataset_cfg, default_scope: str):
    from mmengine.registry import DATASETS
    with DATASETS.switch_scope_and_registry(dataset_cfg.get('_scope_', default_scope)) as registry:
        cls = registry.get(dataset_cfg['type'])
    if cls is None:
        raise KeyError(f"train_dataloader: dataset type {dataset_cfg['type']!r} is not registered "
                       f'(scope {default_scope!r})')
    return cls


def synthesize_train_data(cfg, total: int, work_dir: str, rank: int, img_shape=None) -> List[str]:
    """Replace every leaf data set of ``cfg.train_dataloader`` by a :class:`SyntheticDataset` (see the module
    docstring); ``total`` samples over all leaves. Returns one note per replaced data set."""
    dataset_cfg = cfg.train_dataloader.dataset
    set_repeat_times_to_one(dataset_cfg)
    leaves = leaf_datasets(dataset_cfg)
    is_detection = cfg.get('default_scope') == 'mmdet'
    notes = []
    for i, leaf in enumerate(leaves):
        cls = dataset_class(leaf, cfg.get('default_scope', 'mmengine'))
        metainfo = dict(getattr(cls, 'METAINFO', {}) or {})
        classes = metainfo.get('classes')
        num_classes = len(classes) if classes else find_num_classes(cfg.model)
        if is_detection and not num_classes:
            raise KeyError(f"train_dataloader: {leaf['type']}.METAINFO has no 'classes' to label the boxes")
        pipeline = list(leaf.get('pipeline', []))
        loads_files = any(str(t.get('type', '')).startswith('LoadImageFrom') for t in pipeline)
        shape = tuple(img_shape or RAW_IMG_SHAPES.get(leaf['type'], DEFAULT_IMG_SHAPE))
        size = max(total // len(leaves) + (1 if i < total % len(leaves) else 0), 1)
        image_dir = osp.join(work_dir, 'synthetic_images', f'rank{rank}', f'dataset{i}') if loads_files else None
        synthetic = dict(type='SyntheticDataset', num_samples=size, img_shape=shape,
                         num_classes=num_classes, num_instances=OBJECTS_PER_IMAGE if is_detection else 0,
                         image_dir=image_dir, seed=i, metainfo=metainfo, pipeline=pipeline)
        leaf.clear()
        leaf.update(synthetic)
        notes.append(f'{cls.__name__} -> {size} synthetic {shape[0]}x{shape[1]} '
                     f"{'jpg files' if loads_files else 'arrays'}"
                     + (f', {num_classes} classes' if num_classes else ''))
    return notes


def export_untrained_mixer(cfg, cfg_options, path: str) -> str:
    """Write the untrained Mixer + encoder of ``cfg.pretrained_mixer_from`` (built with ``cfg_options``) to
    ``path`` and point every ``checkpoint`` of ``cfg.model`` that names ``cfg.pretrained_mixer`` there; returns
    ``path``. SAMix^P: the file has the right architecture and keys, random weights."""
    import torch
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    from mixplugins.models.mixing.pretrained_mixer import export_pretrained_mixer
    if not cfg.get('pretrained_mixer_from'):
        raise FileNotFoundError(f'pretrained_mixer: file not found: {cfg.pretrained_mixer}; export it '
                                f'(tools/model_converters/export_mixer.py) or name the config it was trained '
                                f'by in pretrained_mixer_from')
    source = load_config(cfg.pretrained_mixer_from, cfg_options)
    with DefaultScope.overwrite_default_scope(source.get('default_scope', 'mmpretrain')):
        content = export_pretrained_mixer(source.model, MODELS.build(source.model).state_dict())
    torch.save(content, path)

    def point(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'checkpoint' and value == cfg.pretrained_mixer:
                    node[key] = path
                else:
                    point(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                point(value)

    point(cfg.model)
    return path


def pretrained_init_cfgs(module) -> List[dict]:
    init_cfg = getattr(module, 'init_cfg', None)
    init_cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    return [c for c in init_cfgs if isinstance(c, dict) and c.get('type') == 'Pretrained']


def random_pretrained_weights(cfg, directory: str) -> List[str]:
    """Give every ``Pretrained`` ``init_cfg`` of ``cfg.model`` whose checkpoint is not a local file a file of
    random weights: the tensors of its module (as built from the config) under its ``prefix``; modules that
    share a checkpoint share the file. Returns one note per file."""
    import torch
    from mmengine.registry import MODELS, DefaultScope

    def missing_checkpoints(node, found):
        if isinstance(node, dict):
            if node.get('type') == 'Pretrained' and not osp.isfile(str(node.get('checkpoint') or '')):
                found.add(node.get('checkpoint') or '')
            for value in node.values():
                missing_checkpoints(value, found)
        elif isinstance(node, (list, tuple)):
            for value in node:
                missing_checkpoints(value, found)
        return found

    missing = missing_checkpoints(cfg.model, set())
    if not missing:
        return []
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpretrain')):
        model = MODELS.build(cfg.model)
    contents: Dict[str, dict] = {path: {} for path in missing}
    owners: Dict[str, List[str]] = {path: [] for path in missing}
    for name, module in model.named_modules():
        for init_cfg in pretrained_init_cfgs(module):
            path = init_cfg.get('checkpoint') or ''
            if path in contents:
                prefix = init_cfg.get('prefix') or ''
                prefix = prefix + '.' if prefix and not prefix.endswith('.') else prefix
                contents[path].update({prefix + k: v for k, v in module.state_dict().items()})
                owners[path].append(name or 'model')
    files = {}
    for i, (path, state_dict) in enumerate(sorted(contents.items())):
        files[path] = osp.join(directory, f'random_pretrained_{i}.pth')
        torch.save(dict(state_dict=state_dict), files[path])

    def point(node):
        if isinstance(node, dict):
            if node.get('type') == 'Pretrained' and (node.get('checkpoint') or '') in files:
                node['checkpoint'] = files[node.get('checkpoint') or '']
            for value in node.values():
                point(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                point(value)

    point(cfg.model)
    return [f"Pretrained {path or '(empty)'!s} of {', '.join(owners[path])} -> random weights "
            f'{files[path]}' for path in sorted(files)]


def drop_late_schedulers(cfg, iters: int) -> List[str]:
    """Remove the param schedulers that begin at or after the dry run's last step (``iters`` iterations, or
    ``iters`` one-iteration epochs): they would not act yet, and MMEngine refuses a scheduler whose ``begin`` is
    past the end of the loop (e.g. a cosine that begins after a 500-iteration warm-up)."""
    schedulers = cfg.get('param_scheduler')
    if not schedulers:
        return []
    listed = schedulers if isinstance(schedulers, list) else [schedulers]
    kept = [s for s in listed if s.get('begin', 0) < iters]
    late = [s for s in listed if s.get('begin', 0) >= iters]
    if late:
        cfg.param_scheduler = kept
    return [f"param_scheduler {s['type']} begins at {s['begin']}, after the {iters} dry-run steps: left out"
            for s in late]


def fit_clustering(cfg, num_samples: int) -> List[str]:
    """SAMix-C's cluster memory (``model.clustering``) sized to the synthetic data set: ``num_samples`` slots
    and at most that many clusters, since its initial k-means needs at least ``num_clusters`` samples."""
    clustering = cfg.model.get('clustering')
    if not clustering:
        return []
    before = (clustering.get('num_samples'), clustering.get('num_clusters'))
    clustering.num_samples = num_samples
    clustering.num_clusters = min(clustering.get('num_clusters', num_samples), num_samples)
    return [f'model.clustering num_samples, num_clusters {before} -> {(num_samples, clustering.num_clusters)} '
            f'(the synthetic data set)']


def dry_run_config(cfg, args, work_dir: str, rank: int, world_size: int, device: str) -> List[str]:
    """Apply the dry-run changes of the module docstring to ``cfg`` in place; returns notes on what was
    replaced."""
    cfg.work_dir = work_dir
    cfg.launcher = args.launcher
    cfg.resume = False
    if isinstance(cfg.get('visualizer'), dict):
        # a named visualizer (mmdet's 'visualizer') is a process-wide instance: give each run its own
        cfg.visualizer.name = f'dry_run_{Path(cfg.filename).stem}_{uuid.uuid4().hex[:8]}'
    for stage in ('val', 'test'):
        for key in (f'{stage}_dataloader', f'{stage}_cfg', f'{stage}_evaluator'):
            cfg[key] = None
    train_cfg = cfg.get('train_cfg')
    if not train_cfg:
        raise KeyError('train_cfg is missing: the config defines no training loop')
    if 'max_epochs' in train_cfg:
        train_cfg.max_epochs = args.iters
    elif 'max_iters' in train_cfg:
        train_cfg.max_iters = args.iters
    else:
        raise KeyError(f'train_cfg needs max_epochs (epoch-based) or max_iters (iteration-based), got {train_cfg}')

    loader = cfg.get('train_dataloader')
    if not loader or 'dataset' not in loader:
        raise KeyError('train_dataloader.dataset is missing')
    loader.batch_size = args.batch_size
    loader.num_workers = args.num_workers
    loader.persistent_workers = args.num_workers > 0
    notes = synthesize_train_data(cfg, args.batch_size * world_size, work_dir, rank, args.img_shape)
    notes += drop_late_schedulers(cfg, args.iters)
    notes += fit_clustering(cfg, args.batch_size * world_size)
    if args.img_scale:
        changed = set_resize_scales(loader.dataset, args.img_scale)
        if not changed:
            raise ValueError('--img-scale: the train pipelines have no *Resize transform with a (w, h) scale')
        notes.append(f'--img-scale: {changed} resize transform(s) set to {tuple(args.img_scale)}')

    if not cfg.get('default_hooks'):
        cfg.default_hooks = dict()
    hooks = cfg.default_hooks
    if not hooks.get('logger'):
        hooks.logger = dict(type='LoggerHook')
    hooks.logger.interval = 1
    cfg.log_processor = dict(cfg.get('log_processor') or {}, window_size=1)  # each iteration's own values
    if args.no_checkpoint:
        hooks.checkpoint = None
    elif hooks.get('checkpoint'):
        hooks.checkpoint.interval = args.iters
    # files of random weights, one directory per process (DDP broadcasts rank 0's weights when it wraps the model)
    substitutes = osp.join(work_dir, 'random_weights', f'rank{rank}')
    os.makedirs(substitutes, exist_ok=True)
    if cfg.get('pretrained_mixer') and not osp.isfile(cfg.pretrained_mixer):
        path = export_untrained_mixer(cfg, args.cfg_options, osp.join(substitutes, 'untrained_mixer.pth'))
        notes.append(f'pretrained_mixer {cfg.pretrained_mixer} -> untrained Mixer of '
                     f'{cfg.pretrained_mixer_from}: {path}')
    notes += random_pretrained_weights(cfg, substitutes)
    if args.amp:
        from mixplugins.engine import use_amp
        use_amp(cfg, device)
    return notes


# ------------------------------------------------------------------------------------------ recording
def describe(value) -> str:
    """Short shape description: ``uint8 2x3x224x224``, ``2 x (uint8 3x224x224)``, ``[a, b]``."""
    import torch
    if isinstance(value, torch.Tensor):
        return f"{str(value.dtype).replace('torch.', '')} {'x'.join(map(str, value.shape))}"
    if isinstance(value, (list, tuple)):
        parts = [describe(v) for v in value]
        if parts and len(set(parts)) == 1:
            return f'{len(parts)} x ({parts[0]})'
        return '[' + ', '.join(parts) + ']'
    return type(value).__name__


def make_recorder():
    """A hook that records the input description and the log variables (losses) of every iteration."""
    from mmengine.hooks import Hook

    class DryRunRecorder(Hook):
        priority = 'VERY_LOW'

        def __init__(self):
            self.inputs = None
            self.losses: List[Dict[str, float]] = []

        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if self.inputs is None and isinstance(data_batch, dict):
                self.inputs = describe(data_batch.get('inputs'))

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            self.losses.append({k: float(v) for k, v in (outputs or {}).items()})

    return DryRunRecorder()


def check_losses(losses: List[Dict[str, float]], iters: int) -> None:
    """Raise unless ``iters`` iterations each logged values and all of them are finite."""
    if len(losses) != iters:
        raise RuntimeError(f'the train loop ran {len(losses)} iterations, expected {iters}')
    for i, values in enumerate(losses, 1):
        if not values:
            raise RuntimeError(f'iteration {i} returned no losses')
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad:
            raise FloatingPointError(f'non-finite values at iteration {i}: {bad}')


# ------------------------------------------------------------------------------------------ main
def select_device(device: Optional[str]) -> str:
    """Resolve ``--device`` before CUDA is initialised: ``cpu`` hides the GPUs (MMEngine picks CUDA whenever
    it is available)."""
    if device == 'cpu':
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    import torch
    available = torch.cuda.is_available()
    if device == 'cpu' and available:
        raise RuntimeError('--device cpu: CUDA was initialised before the devices could be hidden; run with '
                           'CUDA_VISIBLE_DEVICES= instead')
    if device == 'cuda' and not available:
        raise RuntimeError('--device cuda: torch finds no CUDA device')
    return device or ('cuda' if available else 'cpu')


def default_work_dir(config: str, distributed: bool) -> str:
    """A fresh temporary directory; under a launcher one that every rank derives alike (master port)."""
    if distributed:
        name = f"mixplugins-dry-run-{Path(config).stem}-{os.environ.get('MASTER_PORT', '0')}"
        return osp.join(tempfile.gettempdir(), name)
    return tempfile.mkdtemp(prefix=f'mixplugins-dry-run-{Path(config).stem}-')


def prepare(args) -> str:
    """Device and launcher settings shared by every config of one invocation; returns the device."""
    device = select_device(args.device)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    import mixplugins  # noqa: F401  (registration; CPU distributed shim; collate scope fix)
    return device


def precision_name(args, device: str) -> str:
    """``fp32``, or with ``--amp`` what :func:`mixplugins.engine.use_amp` selects on ``device``."""
    if not args.amp:
        return 'fp32'
    return 'AMP fp16' if device == 'cuda' else 'AMP bf16'


def run_config(args, config: str, device: str) -> dict:
    """Dry-run ``config``; returns a summary dict (``line`` is the final report line). Raises on failure."""
    from mmengine.config import Config
    from mmengine.dist import barrier, is_main_process
    from mmengine.model import is_model_wrapper
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    distributed = args.launcher != 'none'
    rank, world_size = int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
    cfg = Config.fromfile(config)
    # The config is logged and dumped without yapf formatting (cosmetic; 3-10 s of CPU per run). MMEngine 0.10's
    # Config.fromfile drops its format_python_code argument for plain configs: set the flag pretty_text reads.
    object.__setattr__(cfg, '_format_python_code', False)
    cfg.merge_from_dict(args.cfg_options)
    if args.work_dir:
        work_dir = args.work_dir if len(args.configs) == 1 else osp.join(args.work_dir, Path(config).stem)
    else:
        work_dir = default_work_dir(config, distributed)
    os.makedirs(work_dir, exist_ok=True)
    start = time.perf_counter()
    try:
        notes = dry_run_config(cfg, args, work_dir, rank, world_size, device)
        if not distributed:
            cfg.experiment_name = f'dry_run_{Path(config).stem}_{uuid.uuid4().hex[:8]}'
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
        recorder = make_recorder()
        runner.register_hook(recorder)
        runner.train()
        check_losses(recorder.losses, args.iters)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        optim = runner.optim_wrapper
        schedulers = runner.param_schedulers
        scheduler_list = (schedulers if isinstance(schedulers, list)
                          else [s for group in (schedulers or {}).values() for s in group])
        hooks = [type(h).__name__ for h in runner.hooks if h is not recorder]
        precision = precision_name(args, device)
        launch = f', {world_size} processes ({args.launcher})' if distributed else ''
        losses = ', '.join(f'{k}={v:.4g}' for k, v in recorder.losses[-1].items())
        seconds = time.perf_counter() - start
        line = (f'dry run OK: {config}, {args.iters} iters x batch {args.batch_size} on {device} '
                f'({precision}){launch} in {seconds:.1f} s: model {type(model).__name__}, '
                f'optimizer {type(optim.optimizer).__name__} ({type(optim).__name__}), scheduler '
                f"[{', '.join(type(s).__name__ for s in scheduler_list)}], hooks [{', '.join(hooks)}], "
                f'inputs {recorder.inputs}, finite losses: {losses}')
        for note in notes:
            print(f'[dry run] {note}')
        print(line, flush=True)
        return dict(config=config, ok=True, line=line, notes=notes, losses=recorder.losses, inputs=recorder.inputs,
                    hooks=hooks, device=device, seconds=seconds, last_losses=losses)
    finally:
        if not args.work_dir:
            if distributed:
                barrier()
            if not distributed or is_main_process():
                shutil.rmtree(work_dir, ignore_errors=True)


def run(argv=None) -> dict:
    """Dry-run the one config of ``argv`` (see :func:`run_config`)."""
    args = parse_args(argv)
    if len(args.configs) != 1:
        raise ValueError(f'run() takes one config, got {len(args.configs)}; main() runs several')
    return run_config(args, args.configs[0], prepare(args))


def summary_markdown(results: List[dict], args, device: str) -> str:
    """A Markdown table of the results of one invocation."""
    precision = precision_name(args, device)
    ok = sum(r['ok'] for r in results)
    lines = [f'{ok} of {len(results)} configs OK: {args.iters} iterations x batch {args.batch_size} per process '
             f"on {device} ({precision}), launcher {args.launcher}, {os.environ.get('WORLD_SIZE', 1)} process(es).",
             '', '| config | result | seconds | last losses / error |', '|---|---|---:|---|']
    for r in results:
        detail = (r['last_losses'] if r['ok'] else r['error']).replace('|', '/').replace('\n', ' ')
        lines.append(f"| `{r['config']}` | {'OK' if r['ok'] else 'FAILED'} | {r['seconds']:.1f} | {detail} |")
    return '\n'.join(lines) + '\n'


def main(argv=None) -> int:
    """Dry-run every config of ``argv`` in this process; each failure prints its traceback and a
    ``dry run FAILED: CONFIG: ...`` line. Returns the exit status: 0 when all passed, else 1."""
    args = parse_args(argv)
    try:
        device = prepare(args)
    except Exception as error:  # noqa: BLE001  (one clear line)
        print(f"dry run FAILED: {' '.join(args.configs)}: {type(error).__name__}: {error}", flush=True)
        return 1
    results = []
    for config in args.configs:
        start = time.perf_counter()
        try:
            results.append(run_config(args, config, device))
        except Exception as error:  # noqa: BLE001  (every failure gets the one-line report)
            traceback.print_exc()
            message = f'{type(error).__name__}: {error}'
            print(f'dry run FAILED: {config}: {message}', flush=True)
            results.append(dict(config=config, ok=False, error=message, seconds=time.perf_counter() - start))
        finally:
            gc.collect()
            if device == 'cuda':
                import torch
                torch.cuda.empty_cache()
        if args.summary and int(os.environ.get('RANK', 0)) == 0:  # after every config: a killed run keeps its part
            Path(args.summary).parent.mkdir(parents=True, exist_ok=True)
            Path(args.summary).write_text(summary_markdown(results, args, device))
    if len(results) > 1:
        print(f"dry run: {sum(r['ok'] for r in results)} of {len(results)} configs OK", flush=True)
    return 0 if all(r['ok'] for r in results) else 1


if __name__ == '__main__':
    sys.exit(main())
