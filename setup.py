"""Packaging beyond setup.cfg: the MIM extension, as mmpretrain's and mmdet's setup.py ship it.

``configs/``, ``tools/`` and ``model-index.yml`` live at the repository root. MIM and mmengine look for them in
the installed package, under ``mixplugins/.mim/`` (``mim train mixplugins CONFIG``,
``mmengine.hub.get_config('mixplugins::samix/...')``, ``_base_ = 'mixplugins::...'``):

- editable installs (``pip install -e .``: setuptools' ``develop`` or ``editable_wheel``) get relative symlinks
  ``mixplugins/.mim/{configs,tools,model-index.yml}`` in the checkout (git-ignored);
- wheels get copies, written into the build directory by ``build_py`` (the checkout stays untouched), without
  ``__pycache__`` and ``*.pyc``.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')
EDITABLE_COMMANDS = ('develop', 'editable_wheel')


def _remove(path):
    if osp.islink(path) or osp.isfile(path):
        os.remove(path)
    elif osp.isdir(path):
        shutil.rmtree(path)


def link_mim_extension(package_dir):
    """Point ``package_dir/.mim/*`` at the repository's configs, tools and model index (editable installs)."""
    mim_dir = osp.join(package_dir, '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        target = osp.join(mim_dir, name)
        _remove(target)
        os.symlink(osp.relpath(osp.join(ROOT, name), mim_dir), target)


def copy_mim_extension(package_dir):
    """Copy the repository's configs, tools and model index into ``package_dir/.mim`` (wheel builds)."""
    mim_dir = osp.join(package_dir, '.mim')
    _remove(mim_dir)
    os.makedirs(mim_dir)
    for name in MIM_FILES:
        source = osp.join(ROOT, name)
        if osp.isdir(source):
            shutil.copytree(source, osp.join(mim_dir, name),
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(source, osp.join(mim_dir, name))


class BuildPyWithMim(build_py):
    """``build_py`` that also writes ``mixplugins/.mim`` into the build directory."""

    def run(self):
        super().run()
        if not getattr(self, 'editable_mode', False):
            copy_mim_extension(osp.join(self.build_lib, 'mixplugins'))


if __name__ == '__main__':
    if any(command in sys.argv for command in EDITABLE_COMMANDS):
        link_mim_extension(osp.join(ROOT, 'mixplugins'))
    setup(cmdclass={'build_py': BuildPyWithMim})
