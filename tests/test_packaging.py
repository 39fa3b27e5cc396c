"""Packaging: Python 3.8 compatible sources, dependency ranges around the verified stack, the .mim extension
of setup.py and the ``mixplugins::`` config scope (mixplugins.registry). The wheel itself: test_wheel.py."""
import ast
import configparser
import importlib.util
import os
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted([REPO / 'setup.py']
                 + [p for d in ('mixplugins', 'tools', 'configs') for p in (REPO / d).rglob('*.py')])
OLDEST_PYTHON = (3, 8)
# Library attributes newer than Python 3.8 (3.9: str.removeprefix/removesuffix, ast.unparse, functools.cache,
# math.lcm, Path.is_relative_to / with_stem, random.randbytes, argparse.BooleanOptionalAction; 3.10:
# int.bit_count, itertools.pairwise, statistics.correlation / linear_regression).
NEWER_ATTRIBUTES = {'removeprefix', 'removesuffix', 'unparse', 'cache', 'lcm', 'is_relative_to', 'with_stem',
                    'randbytes', 'BooleanOptionalAction', 'bit_count', 'pairwise', 'correlation',
                    'linear_regression'}
BUILTIN_GENERICS = {'list', 'dict', 'tuple', 'set', 'frozenset', 'type'}


def _runtime_annotations(tree):
    """Annotations Python evaluates at definition time (all of them unless ``from __future__ import annotations``)."""
    if any(isinstance(node, ast.ImportFrom) and node.module == '__future__'
           and any(alias.name == 'annotations' for alias in node.names) for node in tree.body):
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    yield arg.annotation
            if node.returns is not None:
                yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation


def newer_than_oldest_python(source: str, filename: str = '<source>') -> list:
    """Constructs in ``source`` that Python 3.8 rejects or fails on at run time; ``[]`` when there are none."""
    tree = ast.parse(source, filename, feature_version=OLDEST_PYTHON)
    found = []
    for annotation in _runtime_annotations(tree):
        for node in ast.walk(annotation):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
                found.append(f'{filename}:{node.lineno}: X | Y annotation (3.10)')
            elif (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                  and node.value.id in BUILTIN_GENERICS):
                found.append(f'{filename}:{node.lineno}: {node.value.id}[...] annotation (3.9)')
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in NEWER_ATTRIBUTES:
            found.append(f'{filename}:{node.lineno}: .{node.attr} (3.9+)')
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'zip'
              and any(keyword.arg == 'strict' for keyword in node.keywords)):
            found.append(f'{filename}:{node.lineno}: zip(strict=) (3.10)')
    return found


def test_the_checker_flags_each_construct():
    assert newer_than_oldest_python('def f(x: int | None, y: list[int]) -> dict[str, int]: pass') == [
        '<source>:1: X | Y annotation (3.10)', '<source>:1: list[...] annotation (3.9)',
        '<source>:1: dict[...] annotation (3.9)']
    assert newer_than_oldest_python('from __future__ import annotations\ndef f(x: int | None): pass') == []
    assert sorted(newer_than_oldest_python("'ab'.removeprefix('a')\nzip(a, b, strict=True)")) == [
        '<source>:1: .removeprefix (3.9+)', '<source>:2: zip(strict=) (3.10)']
    with pytest.raises(SyntaxError):
        newer_than_oldest_python('match x:\n    case 1:\n        pass')


def test_sources_run_on_python_38():
    assert len(SOURCES) > 100
    found = [hit for path in SOURCES for hit in newer_than_oldest_python(path.read_text(), str(path.relative_to(REPO)))]
    assert found == []


def _setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(REPO / 'setup.cfg')
    return parser


def test_python_requires_and_classifiers_agree():
    cfg = _setup_cfg()
    assert cfg['options']['python_requires'] == '>=3.8,<3.12'
    classifiers = cfg['metadata']['classifiers'].split('\n')
    assert [c for c in classifiers if c.startswith('Programming Language :: Python :: 3.')] == [
        f'Programming Language :: Python :: 3.{minor}' for minor in (8, 9, 10, 11)]


def test_install_requires_are_ranges_that_hold_the_verified_stack():
    requirements = {r.name: r for r in map(Requirement, _setup_cfg()['options']['install_requires'].split())}
    assert not [r for r in requirements.values() if any(s.operator == '==' for s in r.specifier)]
    constraints = [Requirement(line) for line in (REPO / 'tools' / 'constraints.txt').read_text().splitlines()
                   if line.strip() and not line.startswith('#')]
    pins = {c.name: next(iter(c.specifier)).version for c in constraints
            if [s.operator for s in c.specifier] == ['==']}
    assert {'torch', 'torchvision', 'mmcv', 'mmengine', 'mmpretrain', 'mmdet', 'openmim'} <= set(pins)
    for name, version in pins.items():
        if name in requirements:
            assert requirements[name].specifier.contains(version), (name, version, requirements[name])
    # A cluster environment's torch patch or minor release inside the range stays; torch 2.6 (torch.load
    # weights_only=True by default, which mmengine 0.10.7's checkpoint loading does not handle) is excluded.
    torch = requirements['torch'].specifier
    assert all(torch.contains(v) for v in ('2.1.0', '2.1.1', '2.1.2', '2.0.1', '2.5.1', '1.13.1'))
    assert not torch.contains('2.6.0')
    assert requirements['mmcv'].specifier.contains('2.1.0') and not requirements['mmcv'].specifier.contains('2.2.0')


def _setup_module():
    spec = importlib.util.spec_from_file_location('mixplugins_setup', REPO / 'setup.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_editable_install_links_mim_files(tmp_path):
    package = tmp_path / 'mixplugins'
    _setup_module().link_mim_extension(str(package))
    for name in ('configs', 'tools', 'model-index.yml'):
        link = package / '.mim' / name
        assert link.is_symlink() and not os.path.isabs(os.readlink(link))
        assert link.resolve() == (REPO / name).resolve()


def test_wheel_build_copies_mim_files_without_caches(tmp_path):
    setup = _setup_module()
    setup.ROOT = str(tmp_path / 'repo')
    for name in ('configs/samix/a.py', 'configs/__pycache__/a.cpython-311.pyc', 'tools/train.py',
                 'tools/b.pyc', 'model-index.yml'):
        (tmp_path / 'repo' / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / 'repo' / name).write_text(name)
    package = tmp_path / 'build' / 'mixplugins'
    setup.copy_mim_extension(str(package))
    copied = sorted(str(p.relative_to(package)) for p in package.rglob('*') if p.is_file())
    assert copied == ['.mim/configs/samix/a.py', '.mim/model-index.yml', '.mim/tools/train.py']
    assert not any(p.is_symlink() for p in package.rglob('*'))
    assert (package / '.mim' / 'configs' / 'samix' / 'a.py').read_text() == 'configs/samix/a.py'


@pytest.fixture
def installed_here(tmp_path, monkeypatch):
    """mmengine resolves ``mixplugins::`` against a package dir whose .mim links to this checkout."""
    package = tmp_path / 'site' / 'mixplugins'
    _setup_module().link_mim_extension(str(package))
    import mmengine.config.config as config_module
    import mmengine.hub.hub as hub_module
    for module in (config_module, hub_module):
        resolve = module.get_installed_path
        monkeypatch.setattr(module, 'get_installed_path',
                            lambda name, resolve=resolve: str(package) if name == 'mixplugins' else resolve(name))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_mixplugins_base_builds_in_mmpretrain_scope(installed_here):
    from mmengine.config import Config
    from mmengine.registry import MODELS
    from mmengine.runner import Runner
    from mmpretrain.models import ImageClassifier

    (installed_here / 'child.py').write_text(
        "_base_ = 'mixplugins::samix/resnet18-cifar_1xb64-coslr-30e_digits.py'\nmodel = dict(head=dict(topk=(1, )))\n")
    cfg = Config.fromfile('child.py')
    assert cfg.model._scope_ == 'mixplugins' and cfg.train_dataloader.collate_fn._scope_ == 'mixplugins'
    assert isinstance(MODELS.build(cfg.model), ImageClassifier)  # scope mixplugins -> mmpretrain's registries
    cfg.train_dataloader.update(num_workers=0, batch_size=4, persistent_workers=False)
    cfg.train_dataloader.dataset.update(indices=4)
    loader = Runner.build_dataloader(cfg.train_dataloader)
    # the collate_fn's _scope_ is dropped when the dataloader is built (mixplugins.utils.apply_collate_scope_fix)
    assert next(iter(loader))['inputs'].shape == (4, 3, 24, 24)  # default_collate stacked the batch


def test_hub_get_config_and_get_model(installed_here):
    from mmengine.hub import get_config, get_model
    from mmpretrain.models import ImageClassifier
    cfg = get_config('mixplugins::samix/resnet18-cifar_1xb64-coslr-30e_digits.py')
    assert cfg.model.backbone.base_channels == 16
    assert isinstance(get_model('mixplugins::samix/resnet18-cifar_1xb64-coslr-30e_digits.py'), ImageClassifier)


def test_config_file_names_are_unique():
    """``mim train mixplugins NAME`` finds a config by file name in the installed package: one match each."""
    names = [p.name for p in (REPO / 'configs').rglob('*.py')]
    assert len(names) > 60 and sorted(set(names)) == sorted(names)
