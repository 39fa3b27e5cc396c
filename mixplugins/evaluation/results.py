"""Run records of the results tables and the machine-readable ``results.json`` built from them.

A run (pretraining + evaluation of one config with one seed) is cached as ``record.json`` in
``<work_dir>/runs/<config name>/seed<S>-<key[:12]>/``, where ``key`` = sha1 of the config path, the merged config
text after the overrides, the sorted overrides, the seed, the training code version (:func:`code_version`) and
the keys of the runs it depends on (a SAMix^P run: its Mixer's source run). A record also stores the
``EVAL_VERSION`` it was evaluated with: bump that constant by hand when the evaluation protocol changes and the
runs are re-evaluated from their checkpoints, without retraining.
"""
import ast
import glob
import hashlib
import json
import os
import os.path as osp

#: Version of the evaluation protocol (features, probes): a record of another version is re-evaluated.
EVAL_VERSION = 1
#: The code whose edits invalidate cached training runs (not the evaluation or rendering code).
TRAINING_CODE = ('mixplugins/models', 'mixplugins/datasets', 'mixplugins/engine', 'mixplugins/utils')
TRAINING_SCRIPT = 'tools/train.py'
METRICS = ('knn_top1', 'linear_top1', 'own_top1')
RANDOM_INIT_METRICS = ('random_init_knn_top1', 'random_init_linear_top1', 'random_init_default_bn_knn_top1',
                       'random_init_default_bn_linear_top1')
#: Layout of results.json, ``{key: allowed types}``; PER_SEED: a list with a number or null per seed.
PER_SEED = 'per seed'
NUMBER = (int, float, type(None))
META_SCHEMA = dict(date=(str, ), machine=(str, ), environment=(dict, ), command=(str, ), pretrain_options=(list, ),
                   seeds=(list, ), total_min=(int, float), row_min=(dict, ), baseline_min=(int, float),
                   complete=(bool, ))
BASELINES_SCHEMA = dict(config=(str, ), seeds=(list, ), pixel_knn_top1=NUMBER, pixel_linear_top1=NUMBER,
                        **dict.fromkeys(RANDOM_INIT_METRICS, PER_SEED), failed_seeds=(list, ),
                        missing_seeds=(list, ), pixel_failed=(bool, ), errors=(dict, ), minutes=(int, float))
ROW_SCHEMA = dict(config=(str, ), method=(str, ), base=(str, type(None)), labels=(bool, type(None)), seeds=(list, ),
                  knn_top1=PER_SEED, linear_top1=PER_SEED, own_top1=(type(None), ), failed_seeds=(list, ),
                  missing_seeds=(list, ), errors=(dict, ), minutes=(int, float), commands=(list, ))


def code_text(source: bytes) -> bytes:
    """What of a Python file can change a run: its syntax tree without docstrings (``ast.dump``, no line
    numbers), so comments, docstrings and formatting are left out."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, 'body', None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def code_version(root: str) -> str:
    """sha1 over the paths and :func:`code_text` of ``TRAINING_CODE/**/*.py`` and ``TRAINING_SCRIPT`` under
    ``root``: an edit of the training code's behaviour invalidates the cached runs, one of its documentation
    does not."""
    files = sorted(osp.relpath(path, root) for folder in TRAINING_CODE
                   for path in glob.glob(osp.join(root, folder, '**', '*.py'), recursive=True))
    digest = hashlib.sha1()
    for rel in [*files, TRAINING_SCRIPT]:
        with open(osp.join(root, rel), 'rb') as f:
            digest.update(rel.encode() + b'\0' + code_text(f.read()) + b'\0')
    return digest.hexdigest()


def parse_options(options) -> dict:
    """``['KEY=VALUE', ...]`` (``--cfg-options`` strings) as the dict MMEngine's DictAction makes of them."""
    from mmengine.config import DictAction
    pairs = [option.split('=', 1) for option in options]
    return {key: DictAction._parse_iterable(value) for key, value in pairs}


def read_scalars(work_dir: str) -> list:
    """The records of MMEngine's ``work_dir/<timestamp>/vis_data/scalars.json`` of the latest run."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no <timestamp>/vis_data/scalars.json under {work_dir}')
    with open(files[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def knn_hook_indices(cfg) -> list:
    """Positions of the ``KNNEvalHook`` entries in ``cfg.custom_hooks``."""
    return [i for i, hook in enumerate(cfg.get('custom_hooks') or []) if hook.get('type') == 'KNNEvalHook']


def merged_config(path: str, options=()):
    """``Config.fromfile(path)`` with ``--cfg-options``-style ``options`` merged in."""
    from mmengine.config import Config
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(parse_options(options))
    return cfg


def run_key(config: str, config_text: str, options, seed, code: str, depends=()) -> str:
    """sha1 of ``(config, config_text, sorted(options), seed, code, depends)``."""
    material = json.dumps([config, config_text, sorted(options), seed, code, list(depends)])
    return hashlib.sha1(material.encode()).hexdigest()


def run_dir(work_dir: str, name: str, tag: str, key: str) -> str:
    """``<work_dir>/runs/<name>/<tag>-<key[:12]>``: the folder of one run and its ``record.json``."""
    return osp.join(work_dir, 'runs', name, f'{tag}-{key[:12]}')


def write_json(path: str, obj) -> None:
    """Write ``obj`` to ``path`` atomically (a temporary file, then ``os.replace``)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')
    os.replace(tmp, path)


def read_record(folder: str):
    """The ``record.json`` in ``folder``, or None if there is none."""
    path = osp.join(folder, 'record.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _run_minutes(record) -> float:
    return record.get('pretrain_min', 0.0) + record.get('eval_min', 0.0) if record else 0.0


def _row_entry(row: dict, seeds, records: dict) -> dict:
    """The results.json entry of ``row`` (config, method, base, labels) from its records per seed."""
    found = {seed: records.get((row['config'], seed)) for seed in seeds}
    ok = {seed: rec for seed, rec in found.items() if rec and rec['status'] == 'ok'}
    failed = [seed for seed, rec in found.items() if rec and rec['status'] == 'failed']
    values = {key: [ok[seed][key] if seed in ok else None for seed in seeds] for key in METRICS}
    if row['labels'] is False:
        values['own_top1'] = None
    first = next(iter(ok.values()), None) or next((rec for rec in found.values() if rec), None)
    return dict(row,
                seeds=list(seeds),
                **values,
                failed_seeds=failed,
                missing_seeds=[seed for seed, rec in found.items() if rec is None],
                errors={str(seed): found[seed]['error'] for seed in failed},
                minutes=sum(_run_minutes(rec) for rec in found.values()),
                commands=first['commands'] if first else [])


def _baselines_entry(baselines: dict, seeds) -> dict:
    """The ``baselines`` of results.json from the pixel record and the random-init records per seed."""
    pixels = baselines.get('pixels')
    runs = {seed: baselines['random_init'].get(seed) for seed in seeds}
    ok = {seed: rec for seed, rec in runs.items() if rec and rec['status'] == 'ok'}
    pixel_ok = pixels if pixels and pixels['status'] == 'ok' else {}
    return dict(config=baselines['config'],
                seeds=list(seeds),
                pixel_knn_top1=pixel_ok.get('pixel_knn_top1'),
                pixel_linear_top1=pixel_ok.get('pixel_linear_top1'),
                **{key: [ok[seed][key] if seed in ok else None for seed in seeds] for key in RANDOM_INIT_METRICS},
                failed_seeds=[seed for seed, rec in runs.items() if rec and rec['status'] == 'failed'],
                missing_seeds=[seed for seed, rec in runs.items() if rec is None],
                pixel_failed=bool(pixels) and pixels['status'] == 'failed',
                errors={str(seed): rec['error'] for seed, rec in [*runs.items(), ('pixels', pixels)]
                        if rec and rec['status'] == 'failed'},
                minutes=_run_minutes(pixels) + sum(_run_minutes(rec) for rec in runs.values()))


def all_seeds(seeds, row_seeds) -> list:
    """The table's ``seeds``, then the other seeds of ``row_seeds`` (one list a row) in their order."""
    union = list(seeds)
    for extra in row_seeds:
        union += [seed for seed in extra if seed not in union]
    return union


def assemble_results(rows, seeds, records: dict, baselines: dict, meta: dict, notes=None) -> dict:
    """results.json from the run records.

    Args:
        rows: dicts ``config, method, base, labels`` in table order, and ``seeds`` for a row that runs more
            seeds than the table (they start with the table's).
        seeds: the seeds of the table.
        records: ``{(config, seed): record}`` of the runs found (absent: not run yet).
        baselines: ``{'config': backbone config, 'pixels': record or None, 'random_init': {seed: record}}``;
            random init is reported over every seed of any row (:func:`all_seeds`).
        meta: date, environment, command, pretrain_options, ...; ``machine`` (the machines of the records),
            ``seeds``, ``total_min`` (sum of all recorded run times), ``row_min`` and ``complete`` are added.
        notes: optional ``{config: text}``.
    """
    entries = [_row_entry(row, row.get('seeds', seeds), records) for row in rows]
    base_entry = _baselines_entry(baselines, all_seeds(seeds, [entry['seeds'] for entry in entries]))
    used = [rec for rec in [*records.values(), baselines.get('pixels'), *baselines['random_init'].values()] if rec]
    machines = sorted({rec['machine'] for rec in used if rec.get('machine')})
    missing = sum(len(entry['missing_seeds']) for entry in [*entries, base_entry]) + (baselines.get('pixels') is None)
    meta = dict(meta,
                machine=', '.join(machines) or meta.get('machine', ''),
                seeds=list(seeds),
                row_min={entry['config']: entry['minutes'] for entry in entries},
                baseline_min=base_entry['minutes'],
                total_min=base_entry['minutes'] + sum(entry['minutes'] for entry in entries),
                complete=missing == 0)
    return dict(meta=meta, baselines=base_entry, rows=entries, notes=dict(notes or {}))


def _require(obj: dict, key: str, kinds, where: str):
    """``obj[key]``, checked to be an instance of ``kinds``; ValueError naming ``where`` and ``key`` otherwise."""
    if key not in obj:
        raise ValueError(f'{where}: missing key {key!r}')
    if not isinstance(obj[key], kinds):
        names = '/'.join('null' if kind is type(None) else kind.__name__ for kind in kinds)
        raise ValueError(f'{where}: {key!r} must be {names}, got {type(obj[key]).__name__}')
    return obj[key]


def _check(obj, schema: dict, where: str, n_seeds: int) -> None:
    """Check ``obj`` against ``schema`` (``{key: kinds}``; ``PER_SEED``: a list of ``n_seeds`` numbers or nulls)."""
    if not isinstance(obj, dict):
        raise ValueError(f'{where}: must be an object, got {type(obj).__name__}')
    for key, kinds in schema.items():
        values = _require(obj, key, (list, ) if kinds is PER_SEED else kinds, where)
        if kinds is PER_SEED and (len(values) != n_seeds or not all(isinstance(v, NUMBER) for v in values)):
            raise ValueError(f'{where}: {key!r} must hold a number or null for each of the {n_seeds} seeds, '
                             f'got {values}')


def validate_results(obj: dict) -> None:
    """Check the layout of results.json (:func:`assemble_results`); raises ValueError naming the key at fault."""
    _check(obj, dict(meta=(dict, ), baselines=(dict, ), rows=(list, )), 'results.json', 0)
    seeds = _require(obj['meta'], 'seeds', (list, ), 'meta')
    _check(obj['meta'], META_SCHEMA, 'meta', len(seeds))
    configs = [_require(row, 'config', (str, ), f'rows[{i}]') for i, row in enumerate(obj['rows'])]
    for i, row in enumerate(obj['rows']):
        where = f"rows[{i}] ({row['config']})"
        row_seeds = _require(row, 'seeds', (list, ), where)
        if row_seeds[:len(seeds)] != seeds or len(set(row_seeds)) != len(row_seeds):
            raise ValueError(f"{where}: 'seeds' {row_seeds} must be meta.seeds {seeds}, then other seeds")
        own = {} if row.get('labels') is False else dict(own_top1=PER_SEED)
        _check(row, {**ROW_SCHEMA, **own}, where, len(row_seeds))
        if row['base'] is not None and row['base'] not in configs:
            raise ValueError(f"{where}: 'base' {row['base']!r} is not the config of a row")
        values = [row[key] for key in METRICS if row[key] is not None]
        for seed in row['failed_seeds']:
            if seed not in row_seeds or any(per_seed[row_seeds.index(seed)] is not None for per_seed in values):
                raise ValueError(f"{where}: 'failed_seeds' {seed} must be one of the seeds, with null values")
    union = all_seeds(seeds, [row['seeds'] for row in obj['rows']])
    if _require(obj['baselines'], 'seeds', (list, ), 'baselines') != union:
        raise ValueError(f"baselines: 'seeds' {obj['baselines']['seeds']} must be every seed of a row, {union}")
    _check(obj['baselines'], BASELINES_SCHEMA, 'baselines', len(union))
    notes = _require(obj, 'notes', (dict, ), 'results.json')
    unknown = sorted(set(notes) - set(configs))
    if unknown or not all(isinstance(text, str) for text in notes.values()):
        raise ValueError(f"results.json: 'notes' must map row configs to text; not a row: {unknown}")
