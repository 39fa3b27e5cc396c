"""tools/gpu_check.sh --cpu-smoke: the three parts of the GPU check (dry runs, 2-process DDP dry runs of an SSL and a
detection config, the benchmark's `gpu` section) on CPU at toy sizes, and the format of what it reports."""
import os
import re
import subprocess
import sys

import pytest

from helpers import REPO, free_port

pytestmark = pytest.mark.slow


def test_gpu_check_cpu_smoke(tmp_path):
    doc_before = (REPO / 'docs' / 'benchmarks.md').read_text()
    proc = subprocess.run(['bash', 'tools/gpu_check.sh', '--cpu-smoke'], cwd=REPO, capture_output=True, text=True,
                          timeout=1200, env={**os.environ, 'PY': sys.executable, 'OUT_DIR': str(tmp_path),
                                             'PORT': str(free_port())})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert re.fullmatch(r'\[gpu-check\] torch .*, Python .*, no GPU \(CPU smoke run\); reports in .*', lines[0])
    assert re.fullmatch(r'\[gpu-check\] \(a\) dry runs \(fp32, 1 iterations\): PASS \(1 of 1 configs OK; log .*\)',
                        lines[1])
    assert re.fullmatch(r'\[gpu-check\] \(b\) DDP, 2 processes \(gloo on CPU: 0 GPU\(s\) visible\): PASS '
                        r'\(2 of 2 configs OK; logs .*\)', lines[2])
    assert re.fullmatch(r'\[gpu-check\] \(c\) benchmark: PASS \(12 targets, batch 2, 64 px; section gpu of '
                        + re.escape(str(tmp_path / 'benchmarks.md')) + r'; log .*\)', lines[3])
    assert lines[4] == f'gpu check PASS: report {tmp_path}/report.md'

    report = (tmp_path / 'report.md').read_text()
    for heading in ('# GPU check', '## (a) dry runs', '## (b) 2-process DDP (gloo on CPU: 0 GPU(s) visible)',
                    '## (c) benchmark'):
        assert f'\n{heading}\n' in f'\n{report}'
    assert report.count('| config | result | seconds | last losses / error |') == 3
    assert report.count('2 iterations x batch 2 per process on cpu (fp32), launcher pytorch, 2 process(es)') == 2
    for config in ('configs/unmix/unmix-mocov2_resnet50_8xb32-coslr-200e_in1k.py',
                   'configs/bof/faster-rcnn_r50_fpn_bof_voc0712.py'):
        assert re.search(rf'\| `{re.escape(config)}` \| OK \| [0-9.]+ \| loss=', report)
    bench = (tmp_path / 'benchmarks.md').read_text()
    assert '<!-- bench:gpu -->' in bench and '| images/s |' in bench
    for method in ('unmix-mocov2', 'bsim-mocov2', 'wbsim-mocov2', 'samix_r50_in1k', 'samix-p_mocov2'):
        assert re.search(rf'\| `configs/\S*{method}\S*` \| config \| [0-9.]+ \| [0-9.]+ \|', bench)
    for method in ('mocov2_resnet50', 'unmix-mocov2', 'bsim-mocov2', 'wbsim-mocov2', 'samix_r50_in1k',
                   'samix-p_mocov2'):
        # each method's AMP row (bf16 autocast on CPU), after the fp32 rows: --variant options follow the targets
        assert re.search(rf'\| `\S*{method}\S* optim_wrapper.type=BF16AmpOptimWrapper` \| config \| [0-9.]+ \|',
                         bench)
    assert (REPO / 'docs' / 'benchmarks.md').read_text() == doc_before  # a smoke run never touches the docs
