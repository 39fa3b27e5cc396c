"""A fix for configs that inherit a base of another package (``_base_ = 'mmpretrain::...'``).

MMEngine 0.10 adds ``_scope_`` to every dict with a ``type`` key of such a base, ``collate_fn`` included, and
``Runner.build_dataloader`` passes every key of ``collate_fn`` but ``type`` to the collate function: the first
batch fails with ``default_collate() got an unexpected keyword argument '_scope_'`` (``mim train`` and
``tools/train.py`` alike). :func:`apply_collate_scope_fix` drops that key before the dataloader is built.
"""
import functools


def apply_collate_scope_fix() -> None:
    """Make ``Runner.build_dataloader`` ignore a ``_scope_`` key in ``collate_fn`` (idempotent)."""
    from mmengine.runner import Runner
    build = Runner.build_dataloader
    if getattr(build, '_mixplugins_collate_scope', False):
        return

    @functools.wraps(build)
    def build_dataloader(dataloader, *args, **kwargs):
        collate = dataloader.get('collate_fn') if isinstance(dataloader, dict) else None
        if isinstance(collate, dict) and '_scope_' in collate:
            dataloader = type(dataloader)(dataloader)
            dataloader['collate_fn'] = {k: v for k, v in collate.items() if k != '_scope_'}
        return build(dataloader, *args, **kwargs)

    build_dataloader._mixplugins_collate_scope = True
    Runner.build_dataloader = staticmethod(build_dataloader)
