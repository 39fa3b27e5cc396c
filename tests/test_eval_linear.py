"""Linear-probe / semi-supervised configs (protocol values), checked backbone loading, and a CPU linear probe
on the digits whose backbone stays frozen."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.logging import MMLogger
from mmengine.runner import BaseLoop, Runner
from mmpretrain.registry import MODELS

import mixplugins  # noqa: F401
from mixplugins.engine.hooks.backbone_checkpoint_hook import BackboneCheckpointHook
from mixplugins.utils.checkpoint import check_backbone_checkpoint

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / 'configs' / 'benchmarks' / 'classification'
DIGITS_LINEAR = BENCH / 'digits' / 'resnet18-cifar_linear-1xb64-steplr-5e_digits.py'
TINY_BACKBONE = dict(type='ResNet_CIFAR',
                     depth=18,
                     stem_channels=8,
                     base_channels=8,
                     norm_cfg=dict(type='BN'))


def _schedule(cfg):
    (step, ) = cfg.param_scheduler
    return cfg.optim_wrapper.optimizer, step, cfg.train_cfg.max_epochs


def test_imagenet_linear_protocol():
    """BSIM supplementary sec. 3.2 / Un-Mix appendix A (``docs/methods.md#transfer-and-evaluation-protocol``): frozen
    stem + 4 stages, SGD lr 30, wd 0, 100 epochs, x0.1 at 60 and 80, batch 8 x 32 = 256, ResNet-50 features (2048)
    into a linear head."""
    cfg = Config.fromfile(str(BENCH / 'imagenet' / 'resnet50_linear-8xb32-steplr-100e_in1k.py'))
    optimizer, step, epochs = _schedule(cfg)
    assert (optimizer.type, optimizer.lr, optimizer.momentum, optimizer.weight_decay) == ('SGD', 30.0, 0.9,
                                                                                          0.0)
    assert (step.type, step.milestones, step.gamma, epochs) == ('MultiStepLR', [60, 80], 0.1, 100)
    assert cfg.train_dataloader.batch_size * 8 == 256
    assert (cfg.model.backbone.depth, cfg.model.backbone.frozen_stages) == (50, 4)
    assert cfg.model.backbone.init_cfg == dict(type='Pretrained', checkpoint='', prefix='backbone.')
    assert (cfg.model.head.type, cfg.model.head.in_channels) == ('LinearClsHead', 2048)
    assert dict(type='BackboneCheckpointHook') in cfg.custom_hooks


@pytest.mark.parametrize('percent', [1, 10])
def test_semi_supervised_protocol(percent):
    """BSIM supplementary sec. 3.2: whole network fine-tuned on the label split, SGD lr 0.01, 20 epochs, x0.2 at 12
    and 16."""
    cfg = Config.fromfile(str(BENCH / 'imagenet' / f'resnet50_semi-{percent}pct-8xb32-steplr-20e_in1k.py'))
    optimizer, step, epochs = _schedule(cfg)
    assert (optimizer.type, optimizer.lr, optimizer.momentum) == ('SGD', 0.01, 0.9)
    assert (step.milestones, step.gamma, epochs) == ([12, 16], 0.2, 20)
    assert cfg.model.backbone.frozen_stages == -1
    assert cfg.train_dataloader.dataset.ann_file == f'meta/train_{percent}percent.txt'
    assert cfg.val_dataloader.dataset.get('ann_file', '') == ''


def test_small_data_protocols():
    sgd = Config.fromfile(str(BENCH / 'cifar10' / 'resnet18-cifar_linear-1xb256-steplr-100e_cifar10.py'))
    optimizer, step, epochs = _schedule(sgd)
    assert (optimizer.lr, optimizer.weight_decay, step.milestones, epochs) == (0.1, 0.0, [60, 80], 100)
    adam = Config.fromfile(
        str(BENCH / 'cifar10' / 'resnet18-cifar_linear-1xb512-adam-expdecay-500e_cifar10.py'))
    optimizer, step, epochs = _schedule(adam)
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay, epochs) == ('Adam', 1e-2, 5e-6, 500)
    # Un-Mix appendix A: lr decays exponentially from 1e-2 to 1e-6 over the 500 epochs: 1e-2 * gamma^500 = 1e-6
    assert 1e-2 * step.gamma**500 == pytest.approx(1e-6, rel=1e-9)
    assert [t['type'] for t in adam.train_dataloader.dataset.pipeline] == ['PackInputs']


def _tiny_backbone():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        backbone = MODELS.build(TINY_BACKBONE)
    backbone.init_weights()
    return backbone


def test_backbone_checkpoint_layouts_and_errors(tmp_path):
    backbone = _tiny_backbone()
    state = backbone.state_dict()
    full = tmp_path / 'epoch_1.pth'
    torch.save(
        dict(state_dict={
            **{
                f'backbone.{k}': v
                for k, v in state.items()
            }, 'neck.fc.weight': torch.zeros(2, 2)
        }), full)
    extracted = tmp_path / 'backbone.pth'
    torch.save(dict(state_dict=state), extracted)
    for path, prefix in ((full, 'backbone.'), (full, 'backbone'), (extracted, None)):
        loaded = check_backbone_checkpoint(backbone, str(path), prefix)
        assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)

    with pytest.raises(ValueError, match=r'model\.backbone\.init_cfg\.checkpoint is empty'):
        check_backbone_checkpoint(backbone, '', 'backbone.')
    with pytest.raises(FileNotFoundError, match=r'model\.backbone\.init_cfg\.checkpoint: file not found'):
        check_backbone_checkpoint(backbone, str(tmp_path / 'missing.pth'), 'backbone.')
    with pytest.raises(KeyError, match=r"init_cfg\.prefix='backbone\.' matches no key.*prefix=None"):
        check_backbone_checkpoint(backbone, str(extracted), 'backbone.')
    with pytest.raises(KeyError,
                       match=r"full training checkpoint: set model\.backbone\.init_cfg\.prefix='backbone\.'"):
        check_backbone_checkpoint(backbone, str(full), None)
    wider = copy.deepcopy(state)
    wider['conv1.weight'] = torch.zeros(16, 3, 3, 3)
    torch.save(wider, tmp_path / 'wider.pth')
    with pytest.raises(KeyError, match=r"shape mismatch \['conv1\.weight'\]"):
        check_backbone_checkpoint(backbone, str(tmp_path / 'wider.pth'), None)


def _tiny_digits_cfg(work_dir, backbone, epochs):
    """The digits linear config shrunk for a test: tiny ``backbone``, batch 32, no workers, ``epochs`` epochs,
    and the digits filling their images (``digit_scale=None``: learnable in one epoch)."""
    cfg = Config.fromfile(str(DIGITS_LINEAR))
    cfg.train_dataloader.dataset.digit_scale = None
    cfg.val_dataloader.dataset.digit_scale = None
    cfg.model.backbone = backbone
    cfg.model.head.in_channels = 64
    cfg.model.neck[1].input_features = 64
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_dataloader.batch_size = 32
    cfg.train_cfg.max_epochs = epochs
    cfg.train_cfg.val_interval = epochs
    cfg.param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[epochs], gamma=0.1)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.work_dir = str(work_dir)
    return cfg


def _digits_linear_cfg(tmp_path, checkpoint, prefix, epochs):
    backbone = dict(TINY_BACKBONE, frozen_stages=4,
                    init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint), prefix=prefix))
    return _tiny_digits_cfg(tmp_path / 'linear', backbone, epochs)


class _Loop(BaseLoop):

    def run(self):
        pass


class _FakeRunner:
    """What BackboneCheckpointHook reads of the Runner: the model and whether a train loop was built."""

    def __init__(self, backbone, training=True):
        self.model = torch.nn.Module()
        self.model.backbone = backbone
        self._train_loop = _Loop(self, dataloader=[]) if training else dict(type='EpochBasedTrainLoop')
        self.logger = MMLogger.get_instance('test_eval_linear')


def test_hook_checks_init_cfg_before_training_only(tmp_path):
    backbone = _tiny_backbone()
    full_state = {f'backbone.{k}': v for k, v in backbone.state_dict().items()}
    torch.save(dict(state_dict=full_state), tmp_path / 'a.pth')
    hook = BackboneCheckpointHook()
    backbone.init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'a.pth'), prefix='backbone.')
    hook.before_run(_FakeRunner(backbone))
    backbone.init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'nope.pth'), prefix='backbone.')
    with pytest.raises(FileNotFoundError, match=r'model\.backbone\.init_cfg\.checkpoint: file not found'):
        hook.before_run(_FakeRunner(backbone))
    hook.before_run(_FakeRunner(backbone, training=False))  # test-only runs load the whole model elsewhere
    backbone.init_cfg = [dict(type='Kaiming', layer='Conv2d')]
    with pytest.raises(ValueError, match=r"model\.backbone\.init_cfg must be dict\(type='Pretrained'"):
        hook.before_run(_FakeRunner(backbone))


@pytest.fixture
def one_thread():
    """One intra-op thread: on a shared 2-core machine this is several times faster than two."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _supervised_checkpoint(tmp_path):
    """Stand-in for a pretraining run: 1 epoch of supervised training of the whole tiny network on the digits
    through the Runner; returns its full checkpoint (keys 'backbone.*', 'head.*')."""
    cfg = _tiny_digits_cfg(tmp_path / 'pretrain', dict(TINY_BACKBONE), 1)
    cfg.custom_hooks = []
    runner = Runner.from_cfg(cfg)
    runner.train()
    return tmp_path / 'pretrain' / 'epoch_1.pth'


@pytest.mark.slow
def test_linear_probe_on_digits_is_above_chance_with_a_frozen_backbone(tmp_path, one_thread):
    """Linear probe (1 epoch) of a briefly trained tiny backbone, loaded from its full checkpoint: top-1 far
    above chance (10%), and every backbone parameter and BN buffer bit-identical to the checkpoint's."""
    checkpoint = _supervised_checkpoint(tmp_path)
    state = torch.load(checkpoint, map_location='cpu')['state_dict']
    saved = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}

    runner = Runner.from_cfg(_digits_linear_cfg(tmp_path, checkpoint, 'backbone.', 1))
    runner.train()
    model = runner.model
    assert not any(p.requires_grad for p in model.backbone.parameters())
    after = model.backbone.state_dict()
    changed = [k for k in saved if not torch.equal(saved[k], after[k])]
    assert not changed, f'frozen backbone changed: {changed[:5]}'
    assert any('running_mean' in k for k in saved)  # BN buffers are among the compared tensors
    top1 = runner.val_loop.run()['accuracy/top1']
    # 37% here (seed 0, one thread); a head that learns nothing stays at chance (10%)
    assert top1 > 25.0, f'linear probe top-1 {top1:.1f}% is not clearly above chance (10%)'
