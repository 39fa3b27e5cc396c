"""Markdown documents rendered from results.json (:func:`~mixplugins.evaluation.results.assemble_results`): the
baselines, every row as mean ± std over seeds with the per-seed values, and each variant's difference to its base
with a 95% Welch t interval, marked "resolved" (the interval excludes 0) or "within noise"."""
import os.path as osp

from .results import validate_results
from .stats import diff_ci, is_resolved, mean_std, offset_ci

LEVEL = 0.95


def seed_values(values, seeds, failed=()) -> str:
    """Per-seed values, e.g. ``88.9 / failed / -`` (``-``: not run yet)."""
    return ' / '.join(f'{v:.1f}' if v is not None else 'failed' if seed in failed else '-'
                      for v, seed in zip(values, seeds))


def summary(values, seeds, failed=()) -> str:
    """``mean ± std (per-seed values)`` of the finished seeds; ``failed`` / ``-`` when none finished."""
    done = [v for v in values if v is not None]
    if not done:
        return 'failed' if failed else '-'
    mean, std = mean_std(done)
    spread = f'{mean:.2f}' if std is None else f'{mean:.2f} ± {std:.2f}'
    return f'{spread} ({seed_values(values, seeds, failed)})'


def _interval(diff: float, lo: float, hi: float) -> str:
    return f"{diff:+.2f} [{lo:+.2f}, {hi:+.2f}] {'resolved' if is_resolved(lo, hi) else 'within noise'}"


def difference(variant, base) -> str:
    """``+d [lo, hi] resolved|within noise``: variant minus base mean with its Welch interval (:func:`diff_ci`)
    over the finished seeds; ``n/a`` with fewer than two on a side."""
    variant, base = [v for v in variant if v is not None], [v for v in base if v is not None]
    if len(variant) < 2 or len(base) < 2:
        return 'n/a (< 2 seeds)'
    return _interval(*diff_ci(variant, base, LEVEL))


def offset(values, reference) -> str:
    """``+d [lo, hi] resolved|within noise``: the mean of the finished seeds minus a seed-independent
    ``reference`` (raw pixels) with its t interval (:func:`offset_ci`); ``n/a`` with fewer than two seeds or no
    reference."""
    values = [v for v in values if v is not None]
    if reference is None:
        return 'n/a (no reference)'
    if len(values) < 2:
        return 'n/a (< 2 seeds)'
    return _interval(*offset_ci(values, reference, LEVEL))


def _status_lines(rows, baselines) -> list:
    """The incomplete / failed warnings: runs of these rows and baseline runs not done yet, failed runs."""
    runs, n_baselines = sum(len(row['seeds']) for row in rows), len(baselines['seeds']) + 1
    missing = sum(len(row['missing_seeds']) for row in rows)
    missing_baselines = len(baselines['missing_seeds']) + (baselines['pixel_knn_top1'] is None
                                                           and not baselines['pixel_failed'])
    failed = sum(len(row['failed_seeds']) for row in rows)
    failed_baselines = len(baselines['failed_seeds']) + baselines['pixel_failed']
    lines = []
    if missing or missing_baselines:
        lines += [f'**Incomplete**: {runs - missing} of the {runs} runs of this document (rows x seeds) and '
                  f'{n_baselines - missing_baselines} of the {n_baselines} baseline runs are done; the others '
                  'are shown as `-`. Rerun the command below to resume.', '']
    if failed or failed_baselines:
        lines += [f'**Failed runs**: {failed} of the rows and {failed_baselines} of the baselines (shown as '
                  '`failed`; the errors are listed under "Failed runs").', '']
    return lines


def _baseline_table(baselines) -> list:
    """The pixel and random-init rows."""
    seeds, failed = baselines['seeds'], baselines['failed_seeds']
    pixel = ['failed' if baselines['pixel_failed'] else '-' if v is None else f'{v:.2f}'
             for v in (baselines['pixel_knn_top1'], baselines['pixel_linear_top1'])]
    return [
        '| baseline | kNN top-1 (%) | linear top-1 (%) |',
        '|---|---:|---:|',
        f'| raw pixels (normalised; seed-independent) | {pixel[0]} | {pixel[1]} |',
        '| random init, BN statistics of the train digits (`data`) | '
        f"{summary(baselines['random_init_knn_top1'], seeds, failed)} | "
        f"{summary(baselines['random_init_linear_top1'], seeds, failed)} |",
        '| random init, initial BN buffers mean 0 / var 1 (`default`) | '
        f"{summary(baselines['random_init_default_bn_knn_top1'], seeds, failed)} | "
        f"{summary(baselines['random_init_default_bn_linear_top1'], seeds, failed)} |",
        '',
        f"Random init: the backbone of `{baselines['config']}` after `torch.manual_seed(seed)` and its own "
        '`init_weights()`, evaluated like the pretrained ones.',
        '',
    ]


def _row_table(rows, by_config, pixel_knn) -> list:
    """One line a row: values, differences to the base and of the kNN mean to raw pixels, minutes."""
    lines = [
        '| method | config | labels | base | kNN top-1 (%) | Δ kNN vs base, 95% CI | Δ kNN vs raw pixels, 95% CI | '
        'linear top-1 (%) | Δ linear vs base, 95% CI | own top-1 (%) | minutes |',
        '|---|---|---|---|---:|---|---|---:|---|---:|---:|',
    ]
    for row in rows:
        base = by_config.get(row['base'])
        cells = [row['method'], f"`{row['config']}`", {True: 'yes', False: 'no'}.get(row['labels'], '?'),
                 base['method'] if base else '-']
        for key in ('knn_top1', 'linear_top1'):
            cells.append(summary(row[key], row['seeds'], row['failed_seeds']))
            cells.append(difference(row[key], base[key]) if base else '-')
            if key == 'knn_top1':
                cells.append(offset(row[key], pixel_knn))
        own = row['own_top1']
        cells += ['-' if own is None else summary(own, row['seeds'], row['failed_seeds']), f"{row['minutes']:.1f}"]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines + ['']


def _protocol_lines(results, rows) -> list:
    meta, seeds = results['meta'], results['meta']['seeds']
    lines = [
        f"Seeds {', '.join(map(str, seeds))} (`randomness.seed`): every value is the mean ± sample std over the "
        'finished seeds, with the per-seed values in brackets (`failed`: the run failed, `-`: not run yet). '
        'Data: the embedded scikit-learn digits (mixplugins.datasets.DigitsDataset, 1,438 train / 359 val, no '
        'augmentation), with the image settings and normalisation of each pretraining config. kNN: weighted kNN '
        'top-1 (k=20, T=0.07, cosine; Wu et al. 2018) of the pooled last-stage backbone features of the final '
        'checkpoint, train images as memory, val images as queries. Linear: multinomial logistic regression '
        '(scikit-learn L-BFGS, C=1) on the standardised features of the train images, top-1 on val. Own: for '
        'supervised pretraining, the final val top-1 of the pretraining run itself.',
        '',
        'Δ vs base: the variant minus its base method, in points, with the 95% Welch t interval over the seeds '
        '(Welch–Satterthwaite degrees of freedom): "resolved" when the interval excludes 0, "within noise" '
        'otherwise; n/a with fewer than two finished seeds on a side. Δ kNN vs raw pixels: the mean minus the '
        'pixel kNN top-1 (one value, no seed), with the 95% Student t interval of the mean (n - 1 degrees of '
        'freedom).',
        '',
    ]
    more = [row for row in rows if len(row['seeds']) > len(seeds)]
    if more:
        lines += ['More seeds: ' + '; '.join(f"{row['method']} runs seeds {', '.join(map(str, row['seeds']))}"
                                             for row in more)
                  + ". A row's mean, std and intervals use all of its seeds; random init is reported over every "
                  'seed of any row (the baselines table).', '']
    if meta['pretrain_options']:
        lines += [f"Pretraining overrides (`--pretrain-options`, applied to every config): "
                  f"`{' '.join(meta['pretrain_options'])}`.", '']
    lines += [f"Regeneration time of the whole table: {meta['total_min']:.1f} min (the sum of the recorded run "
              f"times, baselines {meta['baseline_min']:.1f} min; per row in the last column) on "
              f"{meta['machine']}.", '']
    return lines


def render_document(results: dict, title: str, configs=None) -> str:
    """The Markdown document of the rows of ``results`` whose config is in ``configs`` (all if None)."""
    validate_results(results)
    meta, baselines = results['meta'], results['baselines']
    by_config = {row['config']: row for row in results['rows']}
    rows = [row for row in results['rows'] if configs is None or row['config'] in configs]
    lines = [
        title, '',
        f"Written by `python tools/make_results.py` from [results.json](results.json) on {meta['date']}. Do not "
        'edit by hand: rerun the script (`--render-only` re-renders without running anything).', ''
    ]
    lines += _status_lines(rows, baselines) + _protocol_lines(results, rows)
    lines += ['## Baselines', ''] + _baseline_table(baselines)
    lines += ['## Methods', ''] + _row_table(rows, by_config, baselines['pixel_knn_top1'])
    notes = [(row, results['notes'][row['config']]) for row in rows if row['config'] in results['notes']]
    if notes:
        lines += ['## Notes', ''] + [f"- {row['method']} (`{row['config']}`): {text}" for row, text in notes] + ['']
    errors = [(f"{row['method']}, seed {seed}", text) for row in rows for seed, text in row['errors'].items()]
    errors += [('raw pixels' if seed == 'pixels' else f'random init, seed {seed}', text)
               for seed, text in baselines['errors'].items()]
    if errors:
        lines += ['## Failed runs', '', 'The last line of each error (the whole error is in the run\'s record.json):',
                  '']
        lines += [f"- {name}: `{text.strip().splitlines()[-1] if text.strip() else '?'}`" for name, text in errors]
        lines += ['']
    lines += ['## Commands', '', 'The whole table (cached runs are reused; an interrupted table resumes):', '',
              '```', meta['command'], '```', '', 'Per row, its first finished seed (the other seeds change '
              '`randomness.seed` and the work dir):', '']
    for row in rows:
        block = ['', '  ```', *(f'  {cmd}' for cmd in row['commands']), '  ```'] if row['commands'] else []
        lines += [f"- {row['method']}:" + ('' if block else ' not run yet'), *block, '']
    lines += ['## Environment', '', ', '.join(f'{k} {v}' for k, v in meta['environment'].items()), '']
    return '\n'.join(lines)


def readme_summary(results: dict) -> str:
    """The README's compact table: the baselines, then every row with at least one finished seed as kNN / linear
    / own top-1 mean ± std, its kNN difference to its base and its kNN mean minus raw pixels (``resolved`` /
    ``within noise``)."""
    validate_results(results)
    baselines = results['baselines']
    by_config = {row['config']: row for row in results['rows']}

    def cell(values):
        done = [v for v in values or [] if v is not None]
        if not done:
            return '-'
        mean, std = mean_std(done)
        return f'{mean:.1f}' if std is None else f'{mean:.1f} ± {std:.1f}'

    lines = ['| method | kNN top-1 (%) | linear top-1 (%) | own top-1 (%) | seeds done | Δ kNN vs base, 95% CI | '
             'Δ kNN vs raw pixels, 95% CI |',
             '|---|---:|---:|---:|---:|---|---|',
             f"| raw pixels | {cell([baselines['pixel_knn_top1']])} | {cell([baselines['pixel_linear_top1']])} "
             '| - | - | - | - |']
    for bn, label in (('', 'BN statistics of the data'), ('default_bn_', 'initial BN buffers')):
        lines.append(f"| random init ({label}) | {cell(baselines[f'random_init_{bn}knn_top1'])} | "
                     f"{cell(baselines[f'random_init_{bn}linear_top1'])} | - | - | - | - |")
    for row in results['rows']:
        done = sum(v is not None for v in row['knn_top1'])
        if not done:
            continue
        base = by_config.get(row['base'])
        delta = f"vs {base['method']}: {difference(row['knn_top1'], base['knn_top1'])}" if base else '-'
        lines.append(f"| {row['method']} | {cell(row['knn_top1'])} | {cell(row['linear_top1'])} | "
                     f"{cell(row['own_top1'])} | {done} of {len(row['seeds'])} | {delta} | "
                     f"{offset(row['knn_top1'], baselines['pixel_knn_top1'])} |")
    pending = [row['method'] for row in results['rows'] if not any(v is not None for v in row['knn_top1'])]
    if pending:
        lines += ['', f"Not run yet (no finished seed): {', '.join(pending)}."]
    return '\n'.join(lines)


def write_documents(results: dict, out_dir: str, documents) -> list:
    """Write each ``(file name, title, configs or None)`` of ``documents`` into ``out_dir``; returns the paths."""
    paths = []
    for file_name, title, configs in documents:
        path = osp.join(out_dir, file_name)
        with open(path, 'w') as f:
            f.write(render_document(results, title, configs))
        paths.append(path)
    return paths
