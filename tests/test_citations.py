"""Citations a reader can follow: no tracked source, config, doc or test cites a document that is not in the
repository (file names of the paper texts, sections of the working-definition notes, issue numbers); papers are
cited by title, authors, year and arXiv id, and the project's own definitions by ``docs/methods.md#section``.

The scan reads every file ``git ls-files`` lists (text files only), except the run records ``docs/results*.json``,
``work_dirs/`` and this file (whose patterns would match themselves).
"""
import inspect
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
METHODS_DOC = REPO / 'docs' / 'methods.md'


SEED = '00[0-4]'  # the paper texts are numbered 000-004
FORBIDDEN = {
    'file name of a paper text': re.compile(r'\b\d{3}_(?:[0-9a-f]{6,}|\.{3})'),
    'paper cited by its file number': re.compile(
        rf'(?<![\w.,/-]){SEED}(?:\.txt|\s+(?:sec\b|supp\b|Eq\b|appendix\b|Table\b|Fig\b|A\.\d))'
        rf'|\b(?:[Pp]apers?|AMix|SAMix|Un-Mix|BSIM)\s+{SEED}\b|\({SEED}[;,)]'),
    'section of the working-definition notes': re.compile(
        r"\b[Ss]pec(?:'s)?\s+`*(?:methods\.md|sec\b|sec\.|sections?\b|items?\b|\d)"
        r"|\b(?:the|off the)\s+spec(?:'s)?\b|[(;,]\s*spec\s*$"
        r'|(?<![\w/\[])methods\.md(?!#)'),
    'issue number': re.compile(r'\b[Ii]ssues?\s*#?\d+|(?<![\w&#/])#\d+\b'),
}
EXCLUDED = re.compile(r'^(docs/results[^/]*\.json|work_dirs/.*|tests/test_citations\.py)$')
ANCHOR_LINK = re.compile(r'(?:docs/)?methods\.md#([\w-]+)')


def tracked_text_files():
    """(path, text) of every tracked text file outside the exclusions; skips outside a git checkout."""
    try:
        out = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip('not a git checkout (the scan lists the tracked files with git ls-files)')
    files = []
    for name in out.decode().split('\0'):
        path = REPO / name
        if not name or EXCLUDED.match(name) or not path.is_file():
            continue
        data = path.read_bytes()
        if b'\0' in data[:8192]:
            continue  # binary (images)
        try:
            files.append((name, data.decode('utf-8')))
        except UnicodeDecodeError:
            continue
    return files


def findings(text: str):
    """``(line number, kind, line)`` of every forbidden citation in ``text``."""
    return [(number, kind, line.strip()) for number, line in enumerate(text.splitlines(), 1)
            for kind, pattern in FORBIDDEN.items() if pattern.search(line)]


def test_patterns_catch_the_old_forms_and_spare_code():
    cited = ['(003_fe91b5121bd7bc94.txt sec. 3-4)', 'the seeds (`003_...txt`)', 'P = 0.5 (003 sec. 5.3)',
             '(000 supp. Eq. 1)', 'AMix 001 Eq. 4', '(004 A.2)', 'registers into mmdet (paper 002):',
             'spec ``methods.md`` sec. 2', '(spec sec. 1)', 'spec section 4 items 1-6', "off the spec's online loss",
             "drop the clean term the spec's online losses keep", 'as `methods.md` says', '(issue 4)',
             'issue 12, items 1 and 4', 'see #12',
             'L2-normalised first (spec', 'sec. 3.1; spec']
    assert [line for line in cited if not findings(line)] == []
    code = ["spec = importlib.util.spec_from_file_location('x', path)", 'module_from_spec(spec)',
            'def make_target(spec: dict, settings: dict):', 'for spec in specs:', "self.spec = spec",
            "folder = tmp_path / '20261203_000000'", 'start_factor=0.001, end=24000', 'all 1,000 classes',
            'see docs/methods.md#un-mix', '[methods.md](methods.md#mixer)', 'MoCo lr 30 is the same issue)',
            'the specified losses', 'Eq. 1 of Un-Mix (arXiv:2003.05438)']
    assert [line for line in code if findings(line)] == []


def test_no_citation_of_documents_outside_the_repository():
    failures = [f'{name}:{number}: {kind}: {line}' for name, text in tracked_text_files()
                for number, kind, line in findings(text)]
    assert failures == [], ('cite papers by title, authors, year and arXiv id and the definitions by '
                            'docs/methods.md#section:\n' + '\n'.join(failures))


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r'[^\w\- ]', '', heading.strip().lower()).replace(' ', '-')


def test_methods_doc_linked_from_readme_and_every_link_resolves():
    assert METHODS_DOC.is_file()
    assert '(docs/methods.md' in (REPO / 'README.md').read_text()
    anchors = {github_anchor(line.lstrip('#')) for line in METHODS_DOC.read_text().splitlines()
               if line.startswith('#')}
    assert {'un-mix', 'bsim-and-wbsim', 'mixer', 'pre-trained-mixer-samixp'} <= anchors
    broken = [f'{name}:{number}: #{anchor}' for name, text in tracked_text_files()
              for number, line in enumerate(text.splitlines(), 1)
              for anchor in ANCHOR_LINK.findall(line) if anchor not in anchors]
    assert broken == [], 'links to missing docs/methods.md sections:\n' + '\n'.join(broken)


def method_classes():
    """The classes implementing a paper's method (algorithms, mixers, mixing policies, detection freebies)."""
    import mixplugins  # noqa: F401  (registers everything)
    import mixplugins.det
    from mixplugins.models import algorithms, mixers, mixing
    from mixplugins.models.utils import ClusterMemory
    return [
        algorithms.UnMixMoCo, algorithms.UnMixSimCLR, algorithms.UnMixBYOL, algorithms.BSIMMoCo,
        algorithms.BSIMSimCLR, algorithms.BSIMBYOL, algorithms.BSIMSimSiam, algorithms.SAMixMoCo,
        algorithms.SAMixClassifier, algorithms.ManifoldMixClassifier, algorithms.ManifoldMixMoCo,
        mixers.SAMixMixer, mixers.AutoMixBlock, mixing.MixupPolicy, mixing.CutMixPolicy, mixing.ResizeMixPolicy,
        mixing.FMixPolicy, mixing.SaliencyMixPolicy, mixing.PretrainedMixerPolicy, mixing.FMix, mixing.SaliencyMix,
        ClusterMemory, mixplugins.det.VisuallyCoherentMixUp, mixplugins.det.WeightedRPNHead,
        mixplugins.det.LabelSmoothingCrossEntropyLoss, mixplugins.det.MixUpSwitchOffHook]


def test_every_method_docstring_names_its_paper():
    """The class's docstring or its module's names the paper by arXiv id (or says it has none)."""
    missing = []
    for cls in method_classes():
        source = Path(inspect.getsourcefile(cls)).resolve().relative_to(REPO).as_posix()
        docs = (cls.__doc__ or '') + (inspect.getmodule(cls).__doc__ or '')
        if not re.search(r'arXiv:\d{4}\.\d{4,5}|no arXiv id', docs):
            missing.append(f'{cls.__name__} ({source})')
    assert missing == [], f'docstrings without their paper (title, year, arXiv id): {missing}'
