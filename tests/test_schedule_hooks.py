"""Tests of AttrScheduleHook and ModuleLrScheduleHook: hand-computed values at 0 / 50 / 100 % of training, resumes, errors."""
import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import MessageHub

from mixplugins.engine.hooks.schedule_hooks import AttrScheduleHook


class _Mixer(nn.Module):

    def __init__(self):
        super().__init__()
        self.loss_weight = 1.0
        self.register_buffer('momentum', torch.tensor(0.0))


class _Model(nn.Module):

    def __init__(self):
        super().__init__()
        self.mask_loss_weight = 1.0
        self.mixer = _Mixer()


class _FakeRunner:
    """The attributes of mmengine's Runner the hook reads."""

    def __init__(self, model, max_iters=100, max_epochs=10):
        self.model, self.max_iters, self.max_epochs = model, max_iters, max_epochs
        self.iter = self.epoch = 0
        self.message_hub = MessageHub.get_instance('test_schedule_hooks')


def _value_at(hook, runner, iteration):
    runner.iter = iteration
    hook.before_train_iter(runner, batch_idx=iteration)
    owner = runner.model.module if isinstance(runner.model, nn.DataParallel) else runner.model
    for part in hook.attr.split('.'):
        owner = getattr(owner, part)
    return float(owner)


def test_linear_beta_schedule_by_hand():
    hook = AttrScheduleHook(attr='mask_loss_weight', start=0.1, end=0.0, curve='linear')
    runner = _FakeRunner(_Model())
    hook.before_train(runner)
    # 0.1 + (0 - 0.1) p: p = 0 -> 0.1, p = 0.5 -> 0.05, p = 1 -> 0.0
    assert _value_at(hook, runner, 0) == pytest.approx(0.1, abs=1e-12)
    assert _value_at(hook, runner, 50) == pytest.approx(0.05, abs=1e-12)
    assert _value_at(hook, runner, 100) == pytest.approx(0.0, abs=1e-12)
    assert runner.message_hub.get_scalar('train/mask_loss_weight').current() == pytest.approx(0.0, abs=1e-12)


def test_cosine_momentum_schedule_by_hand_on_a_dotted_tensor_attr():
    hook = AttrScheduleHook(attr='mixer.momentum', start=0.999, end=1.0, curve='cosine')
    runner = _FakeRunner(_Model())
    hook.before_train(runner)
    # 1 - (1 - 0.999) (cos(pi p) + 1) / 2: p = 0 -> 0.999, p = 0.5 -> 1 - 0.001 / 2 = 0.9995, p = 1 -> 1.0
    assert _value_at(hook, runner, 0) == pytest.approx(0.999, abs=1e-7)
    assert _value_at(hook, runner, 50) == pytest.approx(0.9995, abs=1e-7)
    assert _value_at(hook, runner, 100) == pytest.approx(1.0, abs=1e-7)
    assert isinstance(runner.model.mixer.momentum, torch.Tensor)


def test_unwraps_model_wrappers():
    hook = AttrScheduleHook(attr='mixer.loss_weight', start=0.1, end=0.0)
    runner = _FakeRunner(nn.DataParallel(_Model()))  # a registered mmengine model wrapper, CPU-only is fine
    hook.before_train(runner)
    assert _value_at(hook, runner, 25) == pytest.approx(0.075, abs=1e-12)


def test_resume_is_not_compounded():
    """A run resumed at iteration 60 has the same value as an uninterrupted one, already in before_train."""
    hook = AttrScheduleHook(attr='mask_loss_weight', start=0.1, end=0.0)
    uninterrupted = _FakeRunner(_Model())
    hook.before_train(uninterrupted)
    values = [_value_at(hook, uninterrupted, it) for it in range(100)]

    resumed = _FakeRunner(_Model())
    resumed.iter = 60
    AttrScheduleHook(attr='mask_loss_weight', start=0.1, end=0.0).before_train(resumed)
    assert resumed.model.mask_loss_weight == pytest.approx(0.1 - 0.1 * 60 / 100, abs=1e-12)
    assert [_value_at(hook, resumed, it) for it in range(60, 100)] == values[60:]


def test_by_epoch_progress():
    hook = AttrScheduleHook(attr='mask_loss_weight', start=0.1, end=0.0, by_epoch=True)
    runner = _FakeRunner(_Model(), max_epochs=4)
    runner.epoch = 1
    hook.before_train(runner)
    assert runner.model.mask_loss_weight == pytest.approx(0.075, abs=1e-12)
    runner.epoch, runner.iter = 2, 99
    hook.before_train_iter(runner, batch_idx=0)  # iterations do not move an epoch-based schedule
    assert runner.model.mask_loss_weight == pytest.approx(0.075, abs=1e-12)
    hook.before_train_epoch(runner)
    assert runner.model.mask_loss_weight == pytest.approx(0.05, abs=1e-12)


@pytest.mark.parametrize('attr', ['beta', 'mixer.beta', 'decoder.loss_weight'])
def test_unknown_attr_names_attr(attr):
    hook = AttrScheduleHook(attr=attr, start=0.1, end=0.0)
    with pytest.raises(ValueError, match=f"attr='{attr}'"):
        hook.before_train(_FakeRunner(_Model()))


def test_bad_arguments_name_the_key():
    with pytest.raises(ValueError, match=r"curve must be one of \['linear', 'cosine'\]"):
        AttrScheduleHook(attr='mask_loss_weight', start=0.1, end=0.0, curve='step')
    with pytest.raises(ValueError, match='start'):
        AttrScheduleHook(attr='mask_loss_weight', start=None, end=0.0)
    with pytest.raises(ValueError, match='end'):
        AttrScheduleHook(attr='mask_loss_weight', start=0.1, end=float('nan'))
    with pytest.raises(ValueError, match='attr'):
        AttrScheduleHook(attr='mixer..loss_weight', start=0.1, end=0.0)


class _RecordingModel(nn.Module):
    """A BaseModel-like toy that records the scheduled attribute seen by every training step."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)
        self.mask_loss_weight = -1.0
        self.seen = []

    def forward(self, inputs, data_samples=None, mode='loss'):
        if self.training:
            self.seen.append(self.mask_loss_weight)
        return dict(loss=self.linear(torch.stack(inputs)).mean())

    def train_step(self, data, optim_wrapper):
        losses = self(data['inputs'])
        optim_wrapper.update_params(losses['loss'])
        return losses


def _runner(work_dir, max_iters, **kwargs):
    from mmengine.runner import Runner
    dataset = [dict(inputs=torch.ones(1)) for _ in range(8)]
    return Runner(
        model=_RecordingModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=dataset,
            batch_size=1,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        custom_hooks=[dict(type='AttrScheduleHook', attr='mask_loss_weight', start=0.1, end=0.0)],
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
            logger=dict(type='LoggerHook', interval=100)),
        default_scope='mmpretrain',
        experiment_name=f'schedule_{work_dir.name}_{max_iters}',
        **kwargs)


def test_real_runner_and_resume(tmp_path):
    full = _runner(tmp_path / 'full', max_iters=4)
    full.train()
    expected = [0.1, 0.075, 0.05, 0.025]  # 0.1 - 0.1 * it / 4 for it = 0..3
    assert full.model.seen == pytest.approx(expected, abs=1e-12)

    resumed = _runner(
        tmp_path / 'full', max_iters=4, load_from=str(tmp_path / 'full' / 'iter_2.pth'), resume=True)
    resumed.train()
    assert resumed.model.seen == pytest.approx(expected[2:], abs=1e-12)


# ----------------------------------------------------------------------------------------------------------
# ModuleLrScheduleHook: the Mixer's own lr schedule next to the main param_scheduler
# ----------------------------------------------------------------------------------------------------------
class _MixerModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(1, 1)
        self.mixer = nn.Linear(1, 1)

    def train_step(self, data, optim_wrapper):
        loss = (self.backbone(torch.stack(data['inputs'])) + self.mixer(torch.stack(data['inputs']))).mean()
        optim_wrapper.update_params(loss)
        return dict(loss=loss)


class _LrRecorder(Hook):
    """Records (backbone lr, mixer lr) right before each optimizer step (runs after every other hook)."""
    priority = 'LOWEST'

    def __init__(self):
        self.seen = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model
        lrs = {}
        for group in runner.optim_wrapper.param_groups:
            owner = 'mixer' if any(p is q for p in group['params'] for q in model.mixer.parameters()) else 'backbone'
            lrs.setdefault(owner, group['lr'])
        self.seen.append((lrs['backbone'], lrs['mixer']))


def _mixer_runner(work_dir, recorder, paramwise=True, module='mixer', **kwargs):
    from mmengine.runner import Runner
    optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
    if paramwise:
        optim_wrapper['paramwise_cfg'] = dict(custom_keys={'mixer': dict(decay_mult=0.0)})
    runner = Runner(
        model=_MixerModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.ones(1)) for _ in range(8)],
            batch_size=1,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=optim_wrapper,
        param_scheduler=dict(type='CosineAnnealingLR', T_max=4, by_epoch=False, begin=0, end=4),
        train_cfg=dict(by_epoch=False, max_iters=4),
        custom_hooks=[dict(type='ModuleLrScheduleHook', module=module, start_factor=1.0, end_factor=0.5,
                           curve='linear')],
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
            logger=dict(type='LoggerHook', interval=100)),
        default_scope='mmpretrain',
        experiment_name=f'module_lr_{work_dir.name}_{len(recorder.seen)}_{module}_{paramwise}',
        **kwargs)
    runner.register_hook(recorder)
    return runner


def test_module_lr_schedule_is_independent_of_the_main_schedule_and_resumes(tmp_path):
    recorder = _LrRecorder()
    _mixer_runner(tmp_path / 'full', recorder).train()
    # backbone: mmengine's cosine 0.1 (1 + cos(pi t / 4)) / 2; mixer: 0.1 (1 - 0.5 t / 4), t = 0..3
    backbone = [0.1, 0.1 * (1 + 2 ** -0.5) / 2, 0.05, 0.1 * (1 - 2 ** -0.5) / 2]
    mixer = [0.1, 0.0875, 0.075, 0.0625]
    assert [b for b, _ in recorder.seen] == pytest.approx(backbone, abs=1e-9)
    assert [m for _, m in recorder.seen] == pytest.approx(mixer, abs=1e-12)

    resumed = _LrRecorder()
    _mixer_runner(tmp_path / 'full', resumed, load_from=str(tmp_path / 'full' / 'iter_2.pth'), resume=True).train()
    assert [lr for pair in resumed.seen for lr in pair] == pytest.approx(
        [lr for pair in recorder.seen[2:] for lr in pair], abs=1e-9)


def test_module_lr_schedule_errors_name_the_key(tmp_path):
    with pytest.raises(ValueError, match='paramwise_cfg.custom_keys'):
        _mixer_runner(tmp_path / 'a', _LrRecorder(), paramwise=False).train()
    with pytest.raises(ValueError, match="module='mixer_block'"):
        _mixer_runner(tmp_path / 'b', _LrRecorder(), module='mixer_block').train()
    from mixplugins.engine.hooks import ModuleLrScheduleHook
    with pytest.raises(ValueError, match='end_factor'):
        ModuleLrScheduleHook(end_factor=-0.1)
