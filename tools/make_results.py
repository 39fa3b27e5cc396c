"""The results tables: every row of ROWS pretrained with several seeds (``--seeds``; a row of MIN_SEEDS adds the
next ones up to its number) on the embedded digits, evaluated, and written to docs/results.json and the Markdown
documents rendered from it (DOCUMENTS).

A run = one row (config) and one seed: ``tools/train.py CONFIG --cfg-options randomness.seed=S`` with the
``--pretrain-options`` and the config's kNN monitor switched off, then, in this process, the kNN and linear-probe
top-1 of the final checkpoint's backbone and, for a classifier, its own val top-1
(mixplugins.evaluation.protocol). SAMix^P rows first export the Mixer of the same seed's run of their config's
``pretrained_mixer_from`` (an earlier row) with tools/model_converters/export_mixer.py. The baselines (raw
pixels once; for every seed of any row the random-init backbone of the first row under both BN definitions) are
computed in this process.

Every run is cached as a record (mixplugins.evaluation.results): a second invocation runs nothing, an interrupted
table resumes, a failed run is recorded as failed (``--rerun-failed`` retries it), ``--force`` re-runs the given
rows. The loop goes seed by seed, so an interrupted table has complete seeds first; results.json and the documents
are rewritten after every run and always cover every row of ROWS (runs not done yet are null and the documents
say "Incomplete").

Usage: python tools/make_results.py [CONFIG ...] [--seeds 0 1 2] [--work-dir work_dirs/results]
           [--out-json docs/results.json] [--notes docs/results_notes.json] [--pretrain-options KEY=VALUE ...]
           [--threads N] [--rerun-failed] [--force] [--render-only] [--dry-run]
CONFIG: rows of ROWS to run (default: all). ``--threads`` sets OMP_NUM_THREADS of the runs and of this process
(float reductions depend on the thread count). ``--notes``: an optional JSON ``{config: text}`` rendered as the
documents' notes.
"""
import argparse
import json
import os
import os.path as osp
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mixplugins.evaluation import protocol, report  # noqa: E402
from mixplugins.evaluation.results import (EVAL_VERSION, METRICS, all_seeds, assemble_results,  # noqa: E402
                                           code_version, knn_hook_indices, merged_config, parse_options, read_record,
                                           read_scalars, run_dir, run_key, validate_results, write_json)

MOCOV2 = 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py'
SIMCLR = 'configs/bsim/simclr_resnet18-cifar_1xb64-coslr-30e_digits.py'
BYOL = 'configs/bsim/byol_resnet18-cifar_1xb16-coslr-120e_digits.py'
SIMSIAM = 'configs/bsim/simsiam_resnet18-cifar_1xb16-coslr-60e_digits.py'
VANILLA = 'configs/samix/resnet18-cifar_1xb64-coslr-30e_digits.py'
#: ``(method, config, base config or None)``; SAMix^P rows after the row whose Mixer they load.
SSL_ROWS = [
    ('MoCo v2', MOCOV2, None),
    ('SimCLR', SIMCLR, None),
    ('BYOL', BYOL, None),
    ('SimSiam', SIMSIAM, None),
    ('Un-Mix MoCo v2', 'configs/unmix/unmix-mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py', MOCOV2),
    ('Un-Mix SimCLR', 'configs/unmix/unmix-simclr_resnet18-cifar_1xb64-coslr-30e_digits.py', SIMCLR),
    ('Un-Mix BYOL', 'configs/unmix/unmix-byol_resnet18-cifar_1xb16-coslr-120e_digits.py', BYOL),
    ('BSIM MoCo v2', 'configs/bsim/bsim-mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py', MOCOV2),
    ('BSIM SimCLR', 'configs/bsim/bsim-simclr_resnet18-cifar_1xb64-coslr-30e_digits.py', SIMCLR),
    ('BSIM BYOL', 'configs/bsim/bsim-byol_resnet18-cifar_1xb16-coslr-120e_digits.py', BYOL),
    ('BSIM SimSiam', 'configs/bsim/bsim-simsiam_resnet18-cifar_1xb16-coslr-60e_digits.py', SIMSIAM),
    ('WBSIM MoCo v2', 'configs/bsim/wbsim-mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py', MOCOV2),
    ('WBSIM SimCLR', 'configs/bsim/wbsim-simclr_resnet18-cifar_1xb64-coslr-30e_digits.py', SIMCLR),
    ('WBSIM BYOL', 'configs/bsim/wbsim-byol_resnet18-cifar_1xb16-coslr-120e_digits.py', BYOL),
    ('WBSIM SimSiam', 'configs/bsim/wbsim-simsiam_resnet18-cifar_1xb16-coslr-60e_digits.py', SIMSIAM),
]
SAMIX_ROWS = [
    ('SAMix-I', 'configs/samix/samix-i_resnet18-cifar_1xb64-coslr-50e_digits.py', MOCOV2),
    ('SAMix-C', 'configs/samix/samix-c_resnet18-cifar_1xb64-coslr-50e_digits.py', MOCOV2),
    ('SAMix^P MoCo v2', 'configs/samix/samix-p_mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py', MOCOV2),
]
SUPERVISED_ROWS = [
    ('supervised (vanilla)', VANILLA, None),
    ('Mixup', 'configs/samix/mixup_resnet18-cifar_1xb64-coslr-30e_digits.py', VANILLA),
    ('CutMix', 'configs/samix/cutmix_resnet18-cifar_1xb64-coslr-30e_digits.py', VANILLA),
    ('AutoMix', 'configs/automix/automix_resnet18-cifar_1xb64-coslr-30e_digits.py', VANILLA),
    ('SAMix', 'configs/samix/samix_resnet18-cifar_1xb64-coslr-30e_digits.py', VANILLA),
    ('SAMix^P', 'configs/samix/samix-p_resnet18-cifar_1xb64-coslr-30e_digits.py', VANILLA),
]
ROWS = SSL_ROWS + SAMIX_ROWS + SUPERVISED_ROWS
#: ``{config: n}``: rows that run at least n seeds, ``--seeds`` followed by the next integers. The base methods
#: whose three-seed mean kNN left raw pixels (81.1%) inside its 95% interval, committed before any extra seed
#: finished (docs/evaluation.md, "More seeds where it is close"): SimSiam (83.0 ± 4.0) and BYOL at 60 epochs
#: (79.7 ± 2.2). BYOL keeps its six seeds at 120 epochs, the recipe that replaced it (docs/digits_recipes.md).
MIN_SEEDS = {BYOL: 6, SIMSIAM: 6}
#: ``(file name next to --out-json, title, configs of its rows or None for all)``.
DOCUMENTS = (
    ('results.md', '# Results on the embedded digits', None),
    ('results_ssl.md', '# Results on the embedded digits: Un-Mix and BSIM / WBSIM', [c for _, c, _ in SSL_ROWS]),
    ('results_samix.md', '# Results on the embedded digits: SAMix and AutoMix',
     [c for _, c, _ in SSL_ROWS[:1] + SAMIX_ROWS + SUPERVISED_ROWS]),
)
DEFAULT_SEEDS = (0, 1, 2)
#: The README block that ``--readme`` rewrites with the compact summary.
README_MARKERS = ('<!-- results-summary:start -->', '<!-- results-summary:end -->')
DEFAULT_WORK_DIR = 'work_dirs/results'


def shown(path: str) -> str:
    """``path`` relative to the repository root when it lies inside it (commands run from there)."""
    rel = osp.relpath(osp.abspath(path), ROOT)
    return path if rel.startswith('..') else rel


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
    """The checkpoint named in ``work_dir/last_checkpoint`` (written by MMEngine's CheckpointHook; a relative
    path is relative to the repository root, where the runs start)."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        raise FileNotFoundError(f'{pointer} not found: the run saved no checkpoint')
    with open(pointer) as f:
        return osp.join(ROOT, f.read().strip())


def read_val_top1(work_dir: str) -> float:
    """Last ``accuracy/top1`` logged in ``work_dir/<timestamp>/vis_data/scalars.json`` (latest run)."""
    top1 = [r['accuracy/top1'] for r in read_scalars(work_dir) if 'accuracy/top1' in r]
    if not top1:
        raise KeyError(f"no 'accuracy/top1' in the scalars.json of the latest run under {work_dir}")
    return float(top1[-1])


def knn_off_options(cfg) -> list:
    """``custom_hooks.<i>.before_train=False`` and ``.after_train=False`` for a config's ``KNNEvalHook``: the
    table measures the kNN top-1 itself."""
    return [f'custom_hooks.{i}.{when}=False' for i in knn_hook_indices(cfg) for when in ('before_train', 'after_train')]


def paths_of_value(node, value, prefix: str = '') -> list:
    """Dotted ``--cfg-options`` paths of the entries of nested dicts / lists ``node`` equal to ``value``."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    paths = []
    for key, child in items:
        paths += [f'{prefix}{key}'] if child == value else paths_of_value(child, value, f'{prefix}{key}.')
    return paths


def is_classifier(cfg) -> bool:
    """Supervised pretraining (labels used): the model is a classifier."""
    return 'Classifier' in cfg.model.type


def row_seeds(config: str, seeds) -> list:
    """The seeds of a row: ``seeds``, followed by the next integers after the largest up to ``MIN_SEEDS[config]``
    seeds in all."""
    more = max(0, MIN_SEEDS.get(config, 0) - len(seeds))
    return [*seeds, *range(max(seeds) + 1, max(seeds) + 1 + more)]


def plan_runs(rows, seeds, options, code: str, work_dir: str) -> dict:
    """``{(config, seed): run}`` for every row and each of its seeds (:func:`row_seeds`). A run is a dict
    ``config, seed, cfg, options`` (the training ``--cfg-options``), ``text`` (the merged config), ``code, key, dir,
    source`` (the config whose Mixer a SAMix^P run exports) or, for a config that cannot be read, ``config, seed,
    error``."""
    loaded = {}
    for _, config, _ in rows:
        try:
            cfg = merged_config(osp.join(ROOT, config), options)
            off = knn_off_options(cfg)
            cfg.merge_from_dict(parse_options(off))
            loaded[config] = (cfg, [*options, *off], cfg.pretty_text)
        except Exception as error:  # e.g. a config not written yet: its runs are reported as failed
            loaded[config] = f'{type(error).__name__}: {error}'
    seeds_of = {config: row_seeds(config, seeds) for _, config, _ in rows}
    runs = {}
    for seed in all_seeds(seeds, seeds_of.values()):
        for _, config, _ in rows:
            if seed not in seeds_of[config]:
                continue
            if isinstance(loaded[config], str):
                runs[(config, seed)] = dict(config=config, seed=seed, error=loaded[config])
                continue
            cfg, train_options, text = loaded[config]
            source = cfg.get('pretrained_mixer_from')
            depends = [runs[(source, seed)].get('key', '')] if (source, seed) in runs else []
            key = run_key(config, text, train_options, seed, code, depends)
            name = osp.splitext(osp.basename(config))[0]
            runs[(config, seed)] = dict(config=config, seed=seed, cfg=cfg, options=train_options, text=text,
                                        code=code, key=key, dir=run_dir(work_dir, name, f'seed{seed}', key),
                                        source=source)
    return runs


def plan_baselines(first_run: dict, seeds, work_dir: str) -> dict:
    """The baseline runs (``{'pixels': run, seed: run}``) on the backbone and data of the first row's run."""
    baselines = {}
    for tag, seed in [('pixels', None), *((s, s) for s in seeds)]:
        if 'error' in first_run:
            baselines[tag] = dict(first_run, seed=seed)
            continue
        key = run_key(first_run['config'], first_run['text'], first_run['options'], seed, first_run['code'],
                      ['baseline', str(tag)])
        folder = run_dir(work_dir, 'baselines', 'pixels' if seed is None else f'seed{seed}', key)
        baselines[tag] = dict(first_run, seed=seed, key=key, source=None, dir=folder)
    return baselines


def action(run: dict, record, force: bool, rerun_failed: bool):
    """What a run needs: None (its record is current), ``'evaluate'`` (trained, but evaluated with another
    EVAL_VERSION and its checkpoint is there) or ``'run'``."""
    if 'error' in run:
        return None
    if record is None or force or (record['status'] == 'failed' and rerun_failed):
        return 'run'
    if record['status'] == 'failed' or record.get('eval_version') == EVAL_VERSION:
        return None
    trained = osp.isfile(osp.join(run['dir'], 'pretrain', 'last_checkpoint'))
    return 'evaluate' if trained and record.get('commands') else 'run'


def timed(evaluate, *args) -> dict:
    """``evaluate(*args)`` with ``eval_min`` (its wall time) and ``eval_version``."""
    start = time.time()
    return dict(evaluate(*args), eval_min=(time.time() - start) / 60, eval_version=EVAL_VERSION)


def export_mixer(run: dict, runs: dict) -> tuple:
    """SAMix^P: ``(command, overrides)`` exporting the Mixer of the same seed's run of ``run['source']`` to
    ``<run dir>/mixer.pth`` and pointing the config's ``pretrained_mixer`` entries at it. The source is this
    table's own training checkpoint, hence ``--allow-unsafe-pickle`` (docs/weight_files.md)."""
    source = runs.get((run['source'], run['seed']))
    record = read_record(source['dir']) if source and 'dir' in source else None
    if not record or record['status'] != 'ok':
        raise RuntimeError(f"SAMix^P loads the Mixer of pretrained_mixer_from={run['source']!r}, seed "
                           f"{run['seed']}, whose run {'failed' if record else 'is not in the table or not done'}")
    mixer = shown(osp.join(run['dir'], 'mixer.pth'))
    cmd = [sys.executable, 'tools/model_converters/export_mixer.py',
           shown(last_checkpoint(osp.join(source['dir'], 'pretrain'))), mixer, '--allow-unsafe-pickle']
    paths = paths_of_value(run['cfg'].to_dict(), run['cfg'].pretrained_mixer)
    return cmd, [f'{path}={mixer}' for path in paths]


def train_and_evaluate(run: dict, runs: dict) -> dict:
    """Pretrain a row's run (after the SAMix^P Mixer export) and evaluate it: its record's values."""
    pretrain_dir = osp.join(run['dir'], 'pretrain')
    shutil.rmtree(pretrain_dir, ignore_errors=True)
    commands, options, minutes = [], list(run['options']), 0.0
    if run['source']:
        cmd, overrides = export_mixer(run, runs)
        minutes += run_command(cmd, osp.join(run['dir'], 'export_mixer.log'))
        commands, options = [cmd], options + overrides
    commands.append(train_command(run['config'], shown(pretrain_dir), run['seed'], options))
    minutes += run_command(commands[-1], osp.join(run['dir'], 'pretrain.log'))
    return dict(evaluate_run(run), pretrain_min=minutes, commands=[' '.join(['python', *c[1:]]) for c in commands])


def evaluate_run(run: dict) -> dict:
    """kNN / linear top-1 of a trained run's final checkpoint and, for a classifier, its own val top-1."""
    pretrain_dir = osp.join(run['dir'], 'pretrain')
    scores = timed(protocol.evaluate_checkpoint, run['cfg'], last_checkpoint(pretrain_dir))
    return dict(scores, own_top1=read_val_top1(pretrain_dir) if is_classifier(run['cfg']) else None)


def execute(run: dict, work, previous=None, metrics=()) -> dict:
    """The record of ``run`` after ``work()`` (its values; ``metrics`` None until then), on top of ``previous``
    (a re-evaluation keeps its training fields); a failure is recorded as failed, with the error, its time until
    the failure counted as ``pretrain_min``."""
    start = time.time()
    record = {**dict.fromkeys(metrics), **(previous or {})}
    record.update(config=run['config'], seed=run['seed'], key=run['key'], overrides=run['options'],
                  code_version=run['code'], work_dir=shown(run['dir']), machine=machine(),
                  omp_num_threads=os.environ.get('OMP_NUM_THREADS'), environment=environment(), error=None)
    record.setdefault('pretrain_min', 0.0)
    record.setdefault('commands', [])
    try:
        record.update(work(), status='ok')
    except Exception as error:  # recorded, never dropped; the log path is in the message
        print(f"{run['config']} seed {run['seed']} failed: {error!r}", flush=True)
        record.update(status='failed', error=f'{type(error).__name__}: {error}', eval_min=0.0,
                      pretrain_min=record['pretrain_min'] + (time.time() - start) / 60)
    return record


def scores_text(record) -> str:
    """``kNN 88.1 linear 90.2 ...`` of a record."""
    return ' '.join(f"{key[:-5].replace('knn', 'kNN')} {value:.1f}" for key, value in record.items()
                    if key.endswith('_top1') and value is not None)


def machine() -> str:
    import torch
    gpu = f'{torch.cuda.get_device_name(0)} + ' if torch.cuda.is_available() else ''
    return f'{gpu}CPU ({os.cpu_count()} cores)'


def environment() -> dict:
    """The versions a run's draw depends on beside its cache key: the same key gives another trajectory under
    another torch build, image library or thread count (docs/evaluation.md)."""
    import cv2
    import mmcv
    import mmengine
    import mmpretrain
    import numpy
    import PIL
    import sklearn
    import torch
    import torchvision
    return {'Python': platform.python_version(), 'torch': torch.__version__, 'torchvision': torchvision.__version__,
            'numpy': numpy.__version__, 'pillow': PIL.__version__, 'opencv': cv2.__version__, 'mmcv': mmcv.__version__,
            'mmengine': mmengine.__version__, 'mmpretrain': mmpretrain.__version__, 'scikit-learn': sklearn.__version__,
            'platform': platform.platform()}


def table_command(args) -> str:
    """The command that regenerates (or resumes) the whole table with these settings."""
    parts = ['python tools/make_results.py --seeds', *map(str, args.seeds)]
    if args.work_dir != DEFAULT_WORK_DIR:
        parts += ['--work-dir', args.work_dir]
    if args.threads:
        parts += ['--threads', str(args.threads)]
    if args.pretrain_options:
        parts += ['--pretrain-options', *args.pretrain_options]
    return ' '.join(parts)


def read_notes(path: str) -> dict:
    """The ``{config: text}`` notes file, or no notes if it does not exist."""
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return json.load(f)


def write_readme_summary(results: dict, readme: str) -> None:
    """Replace the block between README_MARKERS in ``readme`` with :func:`report.readme_summary`."""
    with open(readme) as f:
        text = f.read()
    start, end = README_MARKERS
    if start not in text or end not in text:
        raise ValueError(f'--readme {readme}: the markers {start!r} and {end!r} are missing')
    head, rest = text.split(start, 1)
    with open(readme, 'w') as f:
        f.write(f"{head}{start}\n{report.readme_summary(results)}\n{end}{rest.split(end, 1)[1]}")


def write_outputs(results: dict, out_json: str, readme: str = None) -> list:
    """Validate and write results.json, render DOCUMENTS next to it and, with ``readme``, the README's summary;
    returns the paths written."""
    validate_results(results)
    write_json(out_json, results)
    if readme:
        write_readme_summary(results, readme)
    return [out_json, *report.write_documents(results, osp.dirname(out_json), DOCUMENTS), *([readme] if readme else [])]


def collect(args, runs: dict, baselines: dict, notes: dict, code: str) -> dict:
    """results.json from the records of every run of ROWS (a run whose config cannot be read: failed)."""
    def record(run):
        if 'error' in run:
            return dict(status='failed', error=run['error'], pretrain_min=0.0, eval_min=0.0, commands=[])
        return read_record(run['dir'])

    records = {(config, seed): record(run) for (config, seed), run in runs.items()}
    records = {key: rec for key, rec in records.items() if rec}
    base_records = dict(config=ROWS[0][1], pixels=record(baselines['pixels']),
                        random_init={seed: record(run) for seed, run in baselines.items() if seed != 'pixels'})
    rows = [dict(method=method, config=config, base=base, seeds=row_seeds(config, args.seeds),
                 labels=is_classifier(runs[(config, args.seeds[0])]['cfg'])
                 if 'cfg' in runs[(config, args.seeds[0])] else None)
            for method, config, base in ROWS]
    meta = dict(date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), machine=machine(),
                environment=environment(), command=table_command(args), pretrain_options=args.pretrain_options,
                threads=args.threads, code_version=code, eval_version=EVAL_VERSION)
    return assemble_results(rows, args.seeds, records, base_records, meta, notes)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Multi-seed results tables on the digits (cached runs).')
    parser.add_argument('configs', nargs='*', help='rows of ROWS to run (default: all)')
    parser.add_argument('--seeds', nargs='+', type=int, default=list(DEFAULT_SEEDS),
                        help='the seeds of the table: results.json and the documents are rewritten with these seeds '
                        '(and those MIN_SEEDS adds to its rows) only; runs of other seeds stay cached. Put CONFIGs '
                        'first or end the list with --')
    parser.add_argument('--work-dir', default=DEFAULT_WORK_DIR)
    parser.add_argument('--out-json', default='docs/results.json')
    parser.add_argument('--notes', default='docs/results_notes.json', help='optional JSON {config: text}')
    parser.add_argument('--pretrain-options', nargs='+', default=[], metavar='KEY=VALUE',
                        help='--cfg-options of every pretraining run')
    parser.add_argument('--threads', type=int, help='OMP_NUM_THREADS of the runs (default: inherited)')
    parser.add_argument('--rerun-failed', action='store_true', help='re-run the runs recorded as failed')
    parser.add_argument('--force', action='store_true', help='re-run the given rows (all rows if none given)')
    parser.add_argument('--render-only', action='store_true', help='re-render the documents from --out-json')
    parser.add_argument('--readme', help='also rewrite the summary block of this README (README_MARKERS)')
    parser.add_argument('--dry-run', action='store_true', help='print which runs are cached and which would run')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    out_json = osp.join(ROOT, args.out_json)
    notes = read_notes(osp.join(ROOT, args.notes))
    if args.render_only:
        with open(out_json) as f:
            print('wrote ' + ', '.join(write_outputs(dict(json.load(f), notes=notes), out_json, args.readme)))
        return
    args.configs = [shown(config) for config in args.configs]
    unknown = sorted((set(args.configs) | set(notes)) - {config for _, config, _ in ROWS})
    if unknown:
        raise ValueError(f'configs (or --notes keys) that are not rows of ROWS: {unknown}')
    if args.threads:
        import torch
        os.environ['OMP_NUM_THREADS'] = str(args.threads)
        torch.set_num_threads(args.threads)
    work_dir, code = osp.join(ROOT, args.work_dir), code_version(ROOT)
    runs = plan_runs(ROWS, args.seeds, args.pretrain_options, code, work_dir)
    seeds = list(dict.fromkeys(seed for _, seed in runs))  # every seed of any row, in plan order
    baselines = plan_baselines(runs[(ROWS[0][1], args.seeds[0])], seeds, work_dir)
    selected = args.configs or [config for _, config, _ in ROWS]
    tasks = [('baseline: pixels', baselines['pixels'], lambda run: timed(protocol.evaluate_pixels, run['cfg']))]
    for seed in seeds:
        tasks.append(('baseline: random init', baselines[seed],
                      lambda run: timed(protocol.evaluate_random_init, run['cfg'], run['seed'])))
        tasks += [(method, runs[(config, seed)], None) for method, config, _ in ROWS
                  if config in selected and (config, seed) in runs]
    for i, (name, run, evaluate) in enumerate(tasks, 1):
        head = f"[{i}/{len(tasks)}] {name}" + ('' if run['seed'] is None else f" seed {run['seed']}")
        record = read_record(run['dir']) if 'dir' in run else None
        todo = action(run, record, args.force and evaluate is None, args.rerun_failed)
        if todo is None:
            state = f"failed: {run['error']}" if 'error' in run else f"cached {record['status']} {scores_text(record)}"
            print(f'{head}: {state}', flush=True)
            continue
        if args.dry_run:
            print(f"{head}: would {'re-evaluate' if todo == 'evaluate' else 'run'}", flush=True)
            continue
        print(f'{head}: running', flush=True)
        if evaluate is not None:
            record = execute(run, lambda: evaluate(run))
        elif todo == 'evaluate':
            record = execute(run, lambda: evaluate_run(run), record, METRICS)
        else:
            record = execute(run, lambda: train_and_evaluate(run, runs), None, METRICS)
        write_json(osp.join(run['dir'], 'record.json'), record)
        minutes = record['pretrain_min'] + record.get('eval_min', 0.0)
        print(f"{head}: {record['status']} {scores_text(record)} ({minutes:.1f} min)", flush=True)
        write_outputs(collect(args, runs, baselines, notes, code), out_json)
    if not args.dry_run:
        print('wrote ' + ', '.join(write_outputs(collect(args, runs, baselines, notes, code), out_json, args.readme)))


if __name__ == '__main__':
    main()
