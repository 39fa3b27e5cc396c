"""Time train steps, mixing policies and mixers against a base config, in one process.

Usage::

    python tools/benchmark.py [CONFIG ...] [--base BASE_CONFIG] [--variant CONFIG KEY=VALUE ...]
        [--policy CFG ... [--peers]] [--mixer CFG ... --feat-shape C h w]
        [--batch-size 32] [--img-size 224] [--warmup 1] [--rounds 3] [--iters 2]
        [--device cpu|cuda] [--threads N] [--memory subprocess|none] [--memory-iters 2]
        [--limit RATIO] [--json OUT.json] [--markdown OUT.md] [--doc docs/benchmarks.md --section NAME]
        [--cfg-options KEY=VALUE ...]

Targets (any number, each compared with ``--base``):

* ``CONFIG`` -- a model config (file path or ``mmpretrain::...``): its model and optim wrapper are built
  (``MODELS.build`` + mmengine's ``build_optim_wrapper``) and one iteration is ``model.train_step(data,
  optim_wrapper)``: data preprocessor, forward loss, backward and optimizer step, as in the Runner. The
  synthetic batch follows the model's data preprocessor: ``SelfSupDataPreprocessor`` -> a list of V uint8
  views N x 3 x S x S (V = ``num_views`` summed over the ``MultiView`` transforms of the train pipeline, 2
  when there is none); ``ClsDataPreprocessor`` -> an N x 3 x S x S uint8 batch. Every data sample carries a
  random ``gt_label`` (when the config names ``num_classes``) and ``sample_idx``. Weights are not initialised
  from checkpoints; SyncBN is reverted to BN. A SAMix^P config (one naming ``pretrained_mixer_from``) gets the
  untrained Mixer + encoder of that source config, built with the same overrides, as its frozen Mixer.
* ``--variant CONFIG KEY=VALUE ...`` (repeatable) -- a config target with its own overrides, merged after
  ``--cfg-options`` (e.g. ``--variant CONFIG model.clean_loss_weight=0``, next to ``CONFIG`` itself).
* ``--policy CFG`` -- a mixing policy (``"dict(type='CutMixPolicy', alpha=1.0)"`` or just ``CutMixPolicy``),
  one iteration = ``policy(x)`` on an N x 3 x S x S float batch (forward only: the policies have no
  parameters).
* ``--peers`` -- each ``--policy`` is also timed against its equivalents in other libraries (:data:`PEERS`):
  mmpretrain's ``Mixup`` / ``CutMix`` / ``ResizeMix`` batch augments, and timm's ``Mixup`` in its mixup and
  cutmix modes when timm is installed (the report says when it is not). One iteration of a peer is one call on
  the same N x 3 x S x S batch with one-hot scores of 10 classes (timm: labels); a peer found at setup to change
  its input in place is called on a copy made in the iteration, as a policy leaves its input intact. The
  policy's ratio is taken to its fastest peer.
* ``--mixer CFG`` with ``--feat-shape C h w`` -- a learned mixer (``mixer(feat, lam, index, (S, S))``
  returning a dict with ``mask`` and ``loss_mask``), one iteration = forward + backward of
  ``loss_mask.mean()`` plus the mean of the mixed images ``mask * x + (1 - mask) * x[index]`` on random
  N x C x h x w features.

Timing: every target (base first) runs ``--warmup`` iterations; then ``--rounds`` rounds, each running
``--iters`` iterations of every target in turn (order reversed every other round, A B / B A), each iteration
timed on its own (with a device synchronise). Reported: median seconds per iteration over all timed
iterations, the throughput ``images/s`` = batch size / median, the interquartile range, and ``ratio`` =
median(target) / median(reference), the reference being the base, or with ``--peers`` a policy's fastest peer.
``--limit R`` adds a pass/fail column ``ratio <= R``.

Memory (``--memory subprocess``, the default): each target is built again in a fresh subprocess and runs
``--memory-iters`` iterations. On CPU the peak resident set size (VmHWM) is read after the iterations, having
reset it (``/proc/self/clear_refs``) once the target was built, so ``peak RSS`` covers the iterations only and
``step memory`` = peak RSS - RSS before the first iteration; where the reset is not available the process
high-water mark (``ru_maxrss``) is used. On CUDA ``torch.cuda.max_memory_allocated`` (reset after building).

Output: a console table; ``--json`` / ``--markdown`` files; ``--doc FILE --section NAME`` replaces the part of
FILE between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` (appended when absent) with the Markdown
table and the exact command line.

Example (the Issue-3 policy figure)::

    python tools/benchmark.py --base mmpretrain::resnet/resnet50_8xb32_in1k.py \\
        --policy MixupPolicy --policy CutMixPolicy --policy ResizeMixPolicy --policy FMixPolicy \\
        --policy SaliencyMixPolicy --batch-size 32 --img-size 224 --rounds 3 --iters 1 --limit 0.02 \\
        --doc docs/benchmarks.md --section policies

The policies against their peers (the Issue-12 figure)::

    OMP_NUM_THREADS=2 python tools/benchmark.py --policy MixupPolicy --policy CutMixPolicy \\
        --policy ResizeMixPolicy --policy FMixPolicy --policy SaliencyMixPolicy --peers --batch-size 64 \\
        --img-size 224 --warmup 2 --rounds 30 --iters 1 --threads 2 --memory none --limit 1.2 \\
        --doc docs/benchmarks.md --section peers
"""
import argparse
import json
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import DictAction

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from mixplugins.utils.literals import parse_module_cfgs  # noqa: E402


# ------------------------------------------------------------------------------------------ config strings
def parse_module_cfg(text: str, key: str = 'module config') -> dict:
    """One module config given as text (:func:`mixplugins.utils.literals.parse_module_cfgs`), for option ``key``."""
    cfgs = parse_module_cfgs(text, key)
    if len(cfgs) != 1:
        raise ValueError(f'{key} takes one dict(type=...), got {len(cfgs)}: {text!r}')
    return cfgs[0]


def cfg_label(cfg: dict) -> str:
    """Short display name: ``Type`` or ``Type(key=value, ...)``."""
    args = ', '.join(f'{k}={v!r}' for k, v in cfg.items() if k != 'type')
    return f"{cfg['type']}({args})" if args else cfg['type']


# ------------------------------------------------------------------------------------------ targets
class Target:
    """A unit of work to time: ``setup()`` once, then ``step()`` per iteration."""
    kind: str

    def __init__(self, spec: dict, settings: dict):
        self.spec = spec
        self.settings = settings
        self.device = torch.device(settings['device'])
        self.name = spec['name']
        self.details: dict = {}  # what setup found out, reported with the target's row

    def setup(self) -> None:
        raise NotImplementedError

    def step(self) -> None:
        raise NotImplementedError


def count_views(pipeline_cfg) -> int:
    """Number of views a train pipeline yields: ``num_views`` summed over its ``MultiView`` transforms (2 if
    none)."""
    found: List[int] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get('type') == 'MultiView':
                views = node.get('num_views', 2)
                found.append(sum(views) if isinstance(views, (list, tuple)) else int(views))
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(pipeline_cfg)
    return found[0] if found else 2


def find_num_classes(model_cfg) -> Optional[int]:
    """``num_classes`` of the model config (head or data preprocessor), searched recursively; None if
    absent."""
    if isinstance(model_cfg, dict):
        if isinstance(model_cfg.get('num_classes'), int):
            return model_cfg['num_classes']
        for value in model_cfg.values():
            found = find_num_classes(value)
            if found is not None:
                return found
    elif isinstance(model_cfg, (list, tuple)):
        for value in model_cfg:
            found = find_num_classes(value)
            if found is not None:
                return found
    return None


def load_config(path: str, cfg_options: Optional[dict]):
    """Config from a file path or an installed package (``mmpretrain::resnet/resnet50_8xb32_in1k.py``)."""
    from mmengine.config import Config
    from mmengine.hub import get_config
    cfg = get_config(path) if '::' in path else Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


class ConfigTarget(Target):
    """One ``model.train_step(data, optim_wrapper)`` of a config's model on a synthetic batch."""
    kind = 'config'

    def setup(self):
        from mmengine.model import revert_sync_batchnorm
        from mmengine.optim import build_optim_wrapper
        from mmengine.registry import init_default_scope
        from mmpretrain.models.utils import ClsDataPreprocessor, SelfSupDataPreprocessor
        from mmpretrain.registry import MODELS
        from mmpretrain.structures import DataSample

        cfg = load_config(self.spec['config'], self.settings.get('cfg_options'))
        cfg.merge_from_dict(self.spec.get('options', {}))
        init_default_scope(cfg.get('default_scope', 'mmpretrain'))
        if 'pretrained_mixer_from' in cfg:
            self.use_untrained_mixer(cfg)
        model = revert_sync_batchnorm(MODELS.build(cfg.model)).to(self.device)
        model.train()
        optim_cfg = cfg.get('optim_wrapper', dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
        self.optim_wrapper = build_optim_wrapper(model, optim_cfg)
        self.model = model

        n, size = self.settings['batch_size'], self.settings['img_size']
        generator = torch.Generator().manual_seed(0)

        def uint8_batch():
            return torch.randint(0, 256, (n, 3, size, size), generator=generator, dtype=torch.uint8)

        preprocessor = model.data_preprocessor
        if isinstance(preprocessor, SelfSupDataPreprocessor):
            inputs = [uint8_batch() for _ in range(count_views(cfg.get('train_dataloader', {})))]
        elif isinstance(preprocessor, ClsDataPreprocessor):
            inputs = uint8_batch()
        else:
            raise TypeError(f'data_preprocessor must be a SelfSupDataPreprocessor or ClsDataPreprocessor to '
                            f'build a synthetic batch, got {type(preprocessor).__name__}')
        num_classes = find_num_classes(cfg.model)
        samples = []
        for i in range(n):
            sample = DataSample(metainfo=dict(sample_idx=i, img_shape=(size, size), ori_shape=(size, size)))
            if num_classes is not None:
                sample.set_gt_label(int(torch.randint(num_classes, (1, ), generator=generator)))
            samples.append(sample)
        self.data = dict(inputs=inputs, data_samples=samples)

    def use_untrained_mixer(self, cfg) -> None:
        """SAMix^P: replace the config's ``pretrained_mixer`` file by the Mixer + encoder of its
        ``pretrained_mixer_from`` model built with the same ``--cfg-options`` (untrained: the cost does not
        depend on the weights, and the frozen encoder has the benchmarked architecture, not the one of some
        earlier export)."""
        import tempfile

        from dry_run import export_untrained_mixer
        self.mixer_file = tempfile.NamedTemporaryFile(suffix='.pth')
        export_untrained_mixer(cfg, self.settings.get('cfg_options'), self.mixer_file.name)

    def step(self):
        self.model.train_step(self.data, self.optim_wrapper)


def policy_batch(settings: dict, device: torch.device) -> torch.Tensor:
    """The N x 3 x S x S float batch every policy and peer is timed on (the same values for all)."""
    n, size = settings['batch_size'], settings['img_size']
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(0)).to(device)


class PolicyTarget(Target):
    """One call ``policy(x)`` of a mixing policy on an N x 3 x S x S float batch."""
    kind = 'policy'

    def setup(self):
        from mixplugins.models.mixing import build_mix_policy
        self.policy = build_mix_policy(self.spec['cfg']).to(self.device)
        self.images = policy_batch(self.settings, self.device)

    def step(self):
        with torch.no_grad():
            self.policy(self.images)


#: classes of the one-hot scores (timm: labels) the peers mix next to the images
PEER_CLASSES = 10

#: equivalents of our policies in other libraries: policy type -> [(library, augment, argument that takes the
#: policy's ``alpha``, other arguments)]; timm's ``Mixup`` with one alpha at 0 is its mixup or its cutmix
PEERS = {
    'MixupPolicy': [('mmpretrain', 'Mixup', 'alpha', {}),
                    ('timm', 'Mixup', 'mixup_alpha', dict(cutmix_alpha=0.0))],
    'CutMixPolicy': [('mmpretrain', 'CutMix', 'alpha', {}),
                     ('timm', 'Mixup', 'cutmix_alpha', dict(mixup_alpha=0.0))],
    'ResizeMixPolicy': [('mmpretrain', 'ResizeMix', 'alpha', {})],
}


def library_available(library: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(library) is not None


class PeerTarget(Target):
    """One call of another library's batch augment (:data:`PEERS`) on the policies' batch; on a copy made in
    the iteration when setup finds that the augment changes its input in place."""
    kind = 'peer'

    def setup(self):
        library, augment, kwargs = self.spec['library'], self.spec['augment'], self.spec['kwargs']
        n = self.settings['batch_size']
        labels = (torch.arange(n) % PEER_CLASSES).to(self.device)
        if library == 'mmpretrain':
            from mmpretrain.registry import BATCH_AUGMENTS
            mix = BATCH_AUGMENTS.build(dict(type=augment, **kwargs))
            scores = torch.nn.functional.one_hot(labels, PEER_CLASSES).float()
            self.call = lambda x: mix(x, scores)
        elif library == 'timm':
            import timm.data
            mix = getattr(timm.data, augment)(**kwargs, num_classes=PEER_CLASSES)
            self.call = lambda x: mix(x, labels)
        else:
            raise ValueError(f'peer library must be mmpretrain or timm, got {library!r}')
        self.images = policy_batch(self.settings, self.device)
        probe = self.images.clone()
        with torch.no_grad():
            self.call(probe)
        self.details['changes_input'] = not torch.equal(probe, self.images)

    def step(self):
        with torch.no_grad():
            self.call(self.images.clone() if self.details['changes_input'] else self.images)


class MixerTarget(Target):
    """Forward + backward of a learned mixer on random stage features (see the module docstring)."""
    kind = 'mixer'

    def setup(self):
        from mmpretrain.registry import MODELS

        from mixplugins.models.mixing import functional as MF
        self.mixer = MODELS.build(self.spec['cfg']).to(self.device).train()
        n, size = self.settings['batch_size'], self.settings['img_size']
        generator = torch.Generator().manual_seed(0)
        self.feat = torch.randn(n, *self.spec['feat_shape'], generator=generator).to(self.device)
        self.images = torch.rand(n, 3, size, size, generator=generator).to(self.device)
        self.lam = MF.sample_lambda(1.0, 1, generator)[0].item()
        self.index = MF.pair_indices(n, 'flip', device=self.device)
        self.mix_with_mask = MF.mix_with_mask

    def step(self):
        self.mixer.zero_grad(set_to_none=True)
        size = self.settings['img_size']
        out = self.mixer(self.feat, self.lam, self.index, (size, size))
        mixed = self.mix_with_mask(self.images, out['mask'], self.index)
        (out['loss_mask'].mean() + mixed.mean()).backward()


TARGET_CLASSES = dict(config=ConfigTarget, policy=PolicyTarget, peer=PeerTarget, mixer=MixerTarget)


def make_target(spec: dict, settings: dict) -> Target:
    return TARGET_CLASSES[spec['kind']](spec, settings)


# ------------------------------------------------------------------------------------------ measurement
def synchronizer(device: torch.device) -> Callable[[], None]:
    if device.type == 'cuda':
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def time_iterations(target: Target, iters: int, sync: Callable[[], None]) -> List[float]:
    """Seconds of each of ``iters`` iterations."""
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        target.step()
        sync()
        times.append(time.perf_counter() - start)
    return times


def run_timing(targets: List[Target], warmup: int, rounds: int, iters: int) -> Dict[str, List[float]]:
    """Warm up every target, then alternate them (A B, B A, ...) for ``rounds`` rounds of ``iters``
    iterations."""
    sync = synchronizer(targets[0].device)
    for target in targets:
        time_iterations(target, warmup, sync)
    times: Dict[str, List[float]] = {t.name: [] for t in targets}
    for round_idx in range(rounds):
        order = targets if round_idx % 2 == 0 else targets[::-1]
        for target in order:
            times[target.name] += time_iterations(target, iters, sync)
    return times


def _proc_status_kb(field: str) -> Optional[int]:
    try:
        for line in Path('/proc/self/status').read_text().splitlines():
            if line.startswith(field + ':'):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        Path('/proc/self/clear_refs').write_text('5')
        return True
    except OSError:
        return False


def measure_memory_here(spec: dict, settings: dict) -> dict:
    """Build ``spec`` in this process, run ``memory_iters`` iterations and report peak memory in MB."""
    target = make_target(spec, settings)
    target.setup()
    iters = settings['memory_iters']
    if target.device.type == 'cuda':
        torch.cuda.synchronize(target.device)
        before = torch.cuda.memory_allocated(target.device)
        torch.cuda.reset_peak_memory_stats(target.device)
        time_iterations(target, iters, synchronizer(target.device))
        peak = torch.cuda.max_memory_allocated(target.device)
        return dict(method='torch.cuda.max_memory_allocated', peak_mb=peak / 2**20,
                    step_mb=(peak - before) / 2**20)
    before_kb = _proc_status_kb('VmRSS')
    reset = _reset_peak_rss() and before_kb is not None
    time_iterations(target, iters, synchronizer(target.device))
    if reset:
        peak_kb = _proc_status_kb('VmHWM')
        method = 'VmHWM after clear_refs reset'
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        method = 'ru_maxrss (process high-water mark, includes import/build)'
    step_mb = (peak_kb - before_kb) / 1024 if before_kb is not None else None
    return dict(method=method, peak_mb=peak_kb / 1024, step_mb=step_mb)


def measure_memory_subprocess(spec: dict, settings: dict) -> dict:
    """Run :func:`measure_memory_here` in a fresh interpreter so targets do not share a high-water mark."""
    payload = json.dumps(dict(spec=spec, settings=settings))
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), '--memory-probe', payload],
                          capture_output=True, text=True, cwd=os.getcwd())
    if proc.returncode != 0:
        raise RuntimeError(f'memory probe of {spec["name"]} failed:\n{proc.stderr[-3000:]}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ reporting
def quartiles(values: List[float]):
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method='inclusive')
    return q[0], q[2]


def summarise(specs: List[dict], times: Dict[str, List[float]], memory: Dict[str, dict],
              details: Dict[str, dict], limit: Optional[float], batch_size: int) -> List[dict]:
    """One row per target; ``images_per_s`` = batch size / median seconds per iteration; a target with
    ``compare_with`` gets ``ratio`` = its median / the smallest median among those (its ``reference``)."""
    medians = {name: statistics.median(values) for name, values in times.items()}
    rows = []
    for spec in specs:
        name = spec['name']
        q1, q3 = quartiles(times[name])
        row = dict(name=name, kind=spec['kind'], role=spec.get('role', 'target'), median_s=medians[name],
                   q1_s=q1, q3_s=q3, n=len(times[name]), times_s=times[name],
                   images_per_s=batch_size / medians[name], **details.get(name, {}))
        if spec.get('compare_with'):
            reference = min(spec['compare_with'], key=medians.get)
            row.update(reference=reference, ratio=medians[name] / medians[reference])
            if limit is not None:
                row['within_limit'] = row['ratio'] <= limit
        if name in memory:
            row.update(peak_mb=memory[name]['peak_mb'], step_mb=memory[name]['step_mb'],
                       memory_method=memory[name]['method'])
        rows.append(row)
    return rows


def _fmt(value, pattern):
    return '-' if value is None else pattern.format(value)


def table_lines(rows: List[dict], limit: Optional[float]) -> List[str]:
    header = ['target', 'kind', 'median s/iter', 'images/s', 'IQR s', 'ratio to reference', 'reference',
              'peak memory MB',
              'step memory MB']
    if limit is not None:
        header.append(f'ratio <= {limit:g}')
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    roles = {row['name']: row['role'] for row in rows}
    for row in rows:
        reference = row.get('reference')
        cells = [f"`{row['name']}`" + (' (base)' if row['role'] == 'base' else ''),
                 row['kind'] + (', on a copy' if row.get('changes_input') else ''),
                 f"{row['median_s']:.4f}", f"{row['images_per_s']:.1f}", f"{row['q1_s']:.4f}-{row['q3_s']:.4f}",
                 _fmt(row.get('ratio'), '{:.4f}') + (f" ({row['ratio']:.2%})" if 'ratio' in row else ''),
                 '-' if reference is None else 'base' if roles[reference] == 'base' else f'`{reference}`',
                 _fmt(row.get('peak_mb'), '{:.0f}'), _fmt(row.get('step_mb'), '{:.0f}')]
        if limit is not None:
            cells.append({True: 'yes', False: 'NO'}.get(row.get('within_limit'), '-'))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def markdown_report(report: dict) -> str:
    s = report['settings']
    env = report['environment']
    memory_methods = sorted({r['memory_method'] for r in report['results'] if 'memory_method' in r})
    lines = [f"Command: `{report['command']}`", '',
             f"Measured {report['date']} on {env['device']} ({env['cpu']}, {env['cpu_count']} cores, "
             f"{env['torch_threads']} torch threads, load average {env['load_before_timing']:.1f} -> "
             f"{env['load_after_timing']:.1f}, torch {env['torch']}); batch {s['batch_size']}, "
             f"{s['img_size']} px; {s['warmup']} warm-up, {s['rounds']} alternating rounds x {s['iters']} "
             f"iterations per target.", '']
    lines += table_lines(report['results'], s.get('limit'))
    lines += ['', 'ratio = median(target) / median(reference): the base, or for a policy its fastest peer; '
              'IQR = interquartile range of the per-iteration times.']
    if any(r['kind'] == 'peer' for r in report['results']):
        lines.append(f'Peers: one call on the same batch with one-hot scores of {PEER_CLASSES} classes (timm: '
                     f'labels); "on a copy": the peer changes its input in place, so each call gets a copy '
                     f'(made in the timed iteration), as a policy leaves its input intact.')
    lines += report.get('notes', [])
    if memory_methods:
        lines.append(f"Memory: fresh subprocess per target, {s['memory_iters']} iterations; "
                     f"{'; '.join(memory_methods)}.")
    return '\n'.join(lines) + '\n'


DEFAULT_DOC_HEADER = ('# Benchmarks\n\nEvery section below is written by `tools/benchmark.py` (see its '
                      'docstring); figures are never edited by hand.\n')


def write_doc_section(doc: Path, section: str, body: str) -> None:
    """Replace the text between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` (append if absent)."""
    start, end = f'<!-- bench:{section} -->', f'<!-- /bench:{section} -->'
    block = f'{start}\n{body}{end}'
    text = doc.read_text() if doc.exists() else DEFAULT_DOC_HEADER
    pattern = re.compile(re.escape(start) + r'.*?' + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip('\n') + f'\n\n## {section}\n\n{block}\n'
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)


# ------------------------------------------------------------------------------------------ CLI
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Time train steps, mixing policies and mixers against a base config (see the module '
        'docstring).')
    parser.add_argument('configs', nargs='*', help='model configs to time (paths or mmpretrain::...)')
    parser.add_argument('--base', help='base config every target is compared with')
    parser.add_argument('--variant', action='append', nargs='+', default=[], metavar='CONFIG KEY=VALUE',
                        help='a config with its own overrides (repeatable), e.g. --variant CONFIG '
                        'model.clean_loss_weight=0')
    parser.add_argument('--policy', action='append', default=[], help="mixing policy cfg, e.g. "
                        "\"dict(type='CutMixPolicy')\" or CutMixPolicy (repeatable)")
    parser.add_argument('--peers', action='store_true', help='time each --policy against its equivalents in '
                        'mmpretrain (and timm when installed); its ratio is to the fastest')
    parser.add_argument('--mixer', action='append', default=[], help='learned mixer cfg (repeatable); '
                        'needs --feat-shape')
    parser.add_argument('--feat-shape', type=int, nargs=3, metavar=('C', 'h', 'w'),
                        help='stage feature shape fed to --mixer')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--warmup', type=int, default=1, help='warm-up iterations per target')
    parser.add_argument('--rounds', type=int, default=3, help='alternating rounds')
    parser.add_argument('--iters', type=int, default=2, help='timed iterations per target per round')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, help='torch.set_num_threads (default: torch default)')
    parser.add_argument('--memory', choices=('subprocess', 'none'), default='subprocess')
    parser.add_argument('--memory-iters', type=int, default=2, help='iterations of the memory probe')
    parser.add_argument('--limit', type=float, help='add a pass/fail column ratio <= LIMIT')
    parser.add_argument('--json', help='write the full report (with every iteration time) here')
    parser.add_argument('--markdown', help='write the Markdown table here')
    parser.add_argument('--doc', help='Markdown document to update (with --section)')
    parser.add_argument('--section', help='section NAME between <!-- bench:NAME --> markers in --doc')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={}, metavar='KEY=VALUE',
                        help='override settings of every config target (mmengine DictAction)')
    parser.add_argument('--memory-probe', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_probe:
        return args
    if args.mixer and not args.feat_shape:
        parser.error('--mixer needs --feat-shape C h w')
    if args.peers and not args.policy:
        parser.error('--peers times the --policy targets against their peers: give at least one --policy')
    if not (args.configs or args.variant or args.policy or args.mixer):
        parser.error('give at least one target: CONFIG, --variant, --policy or --mixer')
    for variant in args.variant:
        if len(variant) < 2 or any('=' not in option for option in variant[1:]):
            parser.error(f'--variant takes a config and at least one KEY=VALUE, got {variant}')
    if bool(args.doc) != bool(args.section):
        parser.error('--doc and --section go together')
    for key in ('batch_size', 'img_size', 'rounds', 'iters', 'memory_iters'):
        if getattr(args, key) < 1:
            parser.error(f'--{key.replace("_", "-")} must be >= 1, got {getattr(args, key)}')
    if args.batch_size < 2:
        parser.error(f'--batch-size must be >= 2 to pair samples, got {args.batch_size}')
    return args


def peer_specs(policy_cfg: dict, notes: List[str]) -> List[dict]:
    """Specs of the peers of a policy (:data:`PEERS`) whose library is installed; a missing one is noted."""
    specs = []
    for library, augment, alpha_key, kwargs in PEERS.get(policy_cfg['type'], []):
        if not library_available(library):
            note = f'{library} is not installed: its peers ({library} {augment}) are not timed.'
            if note not in notes:
                notes.append(note)
            continue
        kwargs = {alpha_key: float(policy_cfg.get('alpha', 1.0)), **kwargs}
        specs.append(dict(kind='peer', role='peer', library=library, augment=augment, kwargs=kwargs,
                          name=f"{library} {cfg_label(dict(type=augment, **kwargs))}"))
    if policy_cfg['type'] not in PEERS:
        notes.append(f"{policy_cfg['type']}: no peer (neither mmpretrain nor timm has an equivalent).")
    return specs


def build_specs(args, notes: Optional[List[str]] = None) -> List[dict]:
    """Target specs in table order (base first; with ``--peers`` each policy followed by its peers); ``notes``
    collects what the report must say about peers that are not timed."""
    notes = [] if notes is None else notes
    base_name = f'base: {args.base}' if args.base else None
    specs = []
    if args.base:
        specs.append(dict(kind='config', config=args.base, name=base_name, role='base'))
    specs += [dict(kind='config', config=c, name=c) for c in args.configs]
    options_parser = argparse.ArgumentParser()
    options_parser.add_argument('options', nargs='+', action=DictAction)
    for config, *options in args.variant:
        specs.append(dict(kind='config', config=config, options=options_parser.parse_args(options).options,
                          name=f"{config} {' '.join(options)}"))
    for text in args.policy:
        cfg = parse_module_cfg(text, '--policy')
        specs.append(dict(kind='policy', cfg=cfg, name=cfg_label(cfg)))
        if args.peers:
            peers = peer_specs(cfg, notes)
            specs[-1]['compare_with'] = [peer['name'] for peer in peers]
            specs += peers
    for text in args.mixer:
        cfg = parse_module_cfg(text, '--mixer')
        specs.append(dict(kind='mixer', cfg=cfg, feat_shape=list(args.feat_shape),
                          name=f"{cfg_label(cfg)} on {'x'.join(map(str, args.feat_shape))}"))
    for spec in specs:
        if base_name and spec.get('role', 'target') == 'target' and 'compare_with' not in spec:
            spec['compare_with'] = [base_name]
    names = [s['name'] for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f'targets must be distinct, got {names}')
    return specs


def shell_quote(arg: str) -> str:
    """Shell-quote one argument, preferring double quotes for configs like ``dict(type='CutMixPolicy')``."""
    quoted = shlex.quote(arg)
    if quoted != arg and not set('"$`\\!') & set(arg):
        return f'"{arg}"'
    return quoted


def environment(device: str, load_before_timing: float) -> dict:
    """Machine description; the 1-minute load averages tell how shared the machine was."""
    if device.startswith('cuda'):
        device = f'{device} ({torch.cuda.get_device_name(torch.device(device))})'
    return dict(device=device, cpu=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
                torch=torch.__version__, torch_threads=torch.get_num_threads(),
                python=platform.python_version(), load_before_timing=load_before_timing,
                load_after_timing=os.getloadavg()[0])


def main(argv=None):
    args = parse_args(argv)
    probe = json.loads(args.memory_probe) if args.memory_probe else None
    threads = probe['settings'].get('threads') if probe else args.threads
    if threads:
        torch.set_num_threads(threads)
    import mixplugins  # noqa: F401  (registration)
    if probe:
        print(json.dumps(measure_memory_here(probe['spec'], probe['settings'])))
        return None

    settings = dict(batch_size=args.batch_size, img_size=args.img_size, warmup=args.warmup,
                    rounds=args.rounds, iters=args.iters, device=args.device, threads=args.threads,
                    memory_iters=args.memory_iters, limit=args.limit, cfg_options=args.cfg_options)
    notes: List[str] = []
    specs = build_specs(args, notes)
    targets = [make_target(spec, settings) for spec in specs]
    for target in targets:
        print(f'building {target.name} ...', flush=True)
        target.setup()
    print(f'timing: {args.warmup} warm-up, {args.rounds} rounds x {args.iters} iterations ...', flush=True)
    load_before_timing = os.getloadavg()[0]
    times = run_timing(targets, args.warmup, args.rounds, args.iters)
    env = environment(args.device, load_before_timing)
    details = {target.name: target.details for target in targets}
    del targets
    memory = {}
    if args.memory == 'subprocess':
        for spec in specs:
            print(f'memory probe: {spec["name"]} ...', flush=True)
            memory[spec['name']] = measure_memory_subprocess(spec, settings)

    arguments = sys.argv[1:] if argv is None else argv
    omp = os.environ.get('OMP_NUM_THREADS')
    command = (f'OMP_NUM_THREADS={omp} ' if omp else '') + 'python tools/benchmark.py ' + ' '.join(
        map(shell_quote, arguments))
    report = dict(command=command, date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
                  settings=settings, environment=env, notes=notes,
                  results=summarise(specs, times, memory, details, args.limit, args.batch_size))
    markdown = markdown_report(report)
    print('\n' + markdown)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
    if args.markdown:
        Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(args.markdown).write_text(markdown)
    if args.doc:
        write_doc_section(Path(args.doc), args.section, markdown)
    return report


if __name__ == '__main__':
    main()
