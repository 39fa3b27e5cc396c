"""``register_all_modules``, the hook ``mmengine.hub.get_model('mixplugins::...')`` calls."""
from mmengine.registry import init_default_scope as set_default_scope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmpretrain's and mixplugins' modules (mmpretrain.utils.register_all_modules' counterpart).

    Args:
        init_default_scope: also make ``mixplugins`` the default registry scope (mixplugins.registry: it
            resolves like ``mmpretrain``).
    """
    from mmpretrain.utils import register_all_modules as register_mmpretrain_modules
    register_mmpretrain_modules(init_default_scope=False)
    import mixplugins  # noqa: F401  (registration side effects)
    if init_default_scope:
        set_default_scope('mixplugins')
