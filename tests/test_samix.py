"""SAMix / AMix / AutoMix algorithms: gradient routing, losses, schedules, SAMix-C clustering, SAMix^P export.

Tiny models (ResNet_CIFAR-18 with 8 base channels, 16 px, batch 8) so the whole file runs in seconds.
"""
import ast
import copy
import math
import re
from pathlib import Path

import mmpretrain
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmpretrain.registry import BATCH_AUGMENTS, MODELS
from mmpretrain.structures import DataSample

import mixplugins  # noqa: F401
from mixplugins.engine.hooks.schedule_hooks import AttrScheduleHook
from mixplugins.models import losses as LF
from mixplugins.models.losses import InstanceBCELoss, MixupInfoNCELoss, MixupSoftCrossEntropyLoss, PairwiseBCELoss
from mixplugins.models.mixing import MixResult
from mixplugins.models.utils import ClusterMemory
from mixplugins.utils.checkpoint import UnsafePickleError
from tools.model_converters.export_mixer import export, main as export_main

REPO = Path(__file__).resolve().parents[1]
N, SIZE = 8, 16
BACKBONE = dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8)
NECK = dict(type='MoCoV2Neck', in_channels=64, hid_channels=16, out_channels=8, with_avg_pool=True)
HEAD = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2)
MIXER = dict(type='SAMixMixer', in_channels=32)


def moco_cfg(**overrides) -> dict:
    cfg = dict(type='SAMixMoCo', queue_len=32, feat_dim=8, backbone=BACKBONE, neck=NECK, head=HEAD,
               mixer=MIXER)
    cfg.update(overrides)
    return copy.deepcopy(cfg)


def samix_p_cfg(**overrides) -> dict:
    cfg = dict(type='SAMixPMoCo', queue_len=32, feat_dim=8, backbone=BACKBONE, neck=NECK, head=HEAD,
               mix_policy=dict(type='MixupPolicy', alpha=2.0, pairing='random'))
    cfg.update(overrides)
    return copy.deepcopy(cfg)


def cluster_overrides(num_clusters=4, update_interval=1) -> dict:
    return dict(loss_local=dict(type='PairwiseBCELoss'), loss_global=dict(type='MixupSoftCrossEntropyLoss'),
                clustering=dict(num_samples=32, num_clusters=num_clusters, update_interval=update_interval))


def classifier_cfg(**overrides) -> dict:
    cfg = dict(type='SAMixClassifier', backbone=BACKBONE, neck=dict(type='GlobalAveragePooling'),
               head=dict(type='LinearClsHead', num_classes=5, in_channels=64), mixer=MIXER,
               data_preprocessor=dict(num_classes=5))
    cfg.update(overrides)
    return copy.deepcopy(cfg)


def build(cfg):
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def ssl_batch(seed=0, offset=0):
    g = torch.Generator().manual_seed(seed)
    views = [torch.randn(N, 3, SIZE, SIZE, generator=g) for _ in range(2)]
    return views, [DataSample(metainfo=dict(sample_idx=offset + i)) for i in range(N)]


def cls_batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, 3, SIZE, SIZE, generator=g)
    labels = torch.arange(N) % 5
    return x, [DataSample().set_gt_label(int(y)) for y in labels]


def grads(loss, params):
    """Gradient of ``loss`` w.r.t. each parameter; None where the graph does not reach it."""
    return torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)


def reached(loss, module) -> bool:
    """True when ``loss`` has a non-zero gradient on some trainable parameter of ``module``."""
    params = [p for p in module.parameters() if p.requires_grad]
    return any(g is not None and bool(g.abs().sum() > 0) for g in grads(loss, params))


def online_modules(model):
    return [model.backbone, model.neck] + ([model.head] if hasattr(model.head, 'fc') else [])


# ------------------------------------------------------------------------------------------------ SSL routing
@pytest.mark.parametrize('variant', ['instance', 'cluster'])
def test_ssl_gradient_routing(variant):
    model = build(moco_cfg(**(cluster_overrides() if variant == 'cluster' else {})))
    losses = model.loss(*ssl_batch())
    online_loss = losses['loss'] + losses['loss_mix']
    # the online network learns only from the online loss, the Mixer only from its own
    assert not any(reached(losses['loss_mixer'], m) for m in online_modules(model))
    assert reached(losses['loss_mixer'], model.mixer)
    assert not reached(online_loss, model.mixer)
    assert reached(online_loss, model.backbone)
    if variant == 'cluster':
        # the Mixer loss sees the cluster head with detached weights; the head learns from its own CE on keys
        assert not reached(losses['loss_mixer'], model.cluster_head)
        assert reached(losses['loss_cluster'], model.cluster_head)
        assert not any(reached(losses['loss_cluster'], m) for m in online_modules(model) + [model.mixer])
    # the momentum encoder is frozen and never receives a gradient
    assert not any(p.requires_grad for p in model.encoder_k.parameters())
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.encoder_k.parameters())


def test_ssl_masks_follow_their_own_lambda():
    """Each mixture is adjusted to its own lam (the reference adjusted the backbone mask toward the other
    one), the mask loss is per sample, and the online mask is detached."""
    model = build(moco_cfg())
    draws = iter([(torch.full((N, ), 0.3), torch.arange(N).flip(0)),
                  (torch.full((N, ), 0.8), torch.arange(N))])
    model.draw_mixing = lambda n, device: next(draws)
    x = torch.randn(N, 3, SIZE, SIZE)
    feat = torch.randn(N, 32, 4, 4)
    online, mixer_branch, loss_mask = model.mixer_masks(feat, x)
    assert torch.allclose(online.mask.mean(dim=(1, 2, 3)), torch.full((N, ), 0.3), atol=1e-5)
    assert torch.allclose(mixer_branch.mask.mean(dim=(1, 2, 3)), torch.full((N, ), 0.8), atol=1e-5)
    assert not online.mask.requires_grad and mixer_branch.mask.requires_grad
    assert loss_mask.shape == (N, )
    expected = online.mask * x + (1 - online.mask) * x.flip(0)
    assert torch.allclose(online.mixed, expected, atol=1e-6)
    assert torch.equal(online.lam, torch.full((N, ), 0.3))


@pytest.mark.parametrize('mixer, lam_source', [(MIXER, 'mask_mean'),
                                               (dict(type='AutoMixBlock', in_channels=32), 'drawn')])
def test_mixer_mixtures_state_which_lambda_the_losses_use(mixer, lam_source):
    """``MixResult.lam`` is the drawn lam in both pipelines; it is the mask mean only when the Mixer adjusts
    its masks (SAMix), and the AutoMix block's mixtures say so (``lam_source='drawn'``)."""
    model = build(moco_cfg(mixer=mixer))
    draws = iter([(torch.full((N, ), 0.3), torch.arange(N).flip(0)),
                  (torch.full((N, ), 0.8), torch.arange(N))])
    model.draw_mixing = lambda n, device: next(draws)
    online, mixer_branch, _ = model.mixer_masks(torch.randn(N, 32, 4, 4), torch.randn(N, 3, SIZE, SIZE))
    for mix, lam in ((online, 0.3), (mixer_branch, 0.8)):
        assert mix.lam_source == lam_source
        assert torch.equal(mix.lam, torch.full((N, ), lam))
        matches_mask = torch.allclose(mix.mask_mean(), mix.lam, atol=1e-5)
        assert matches_mask == (lam_source == 'mask_mean')


def test_mixer_loss_by_hand():
    """L = local + eta * global + beta * mean_i L_mask,i; without a local term (AutoMix) L = eta * global."""
    model = build(moco_cfg(eta=0.5, mask_loss_weight=0.1))
    loss = model.mixer_loss(torch.tensor(1.0), torch.tensor(2.0), torch.tensor([0.2, 0.4]))
    assert float(loss) == pytest.approx(1.0 + 0.5 * 2.0 + 0.1 * 0.3)
    model.eta = 1.0
    assert float(model.mixer_loss(None, torch.tensor(2.0), torch.tensor([0.0, 0.0]))) == pytest.approx(2.0)


def test_eta_changes_the_mixer_loss():
    """The global term reaches the Mixer loss, linearly in eta (the reference's eta was a no-op)."""
    model = build(moco_cfg(mask_loss_weight=0.0))
    batch = ssl_batch()
    values = {}
    for eta in (0.0, 0.5, 1.0):
        model.eta = eta
        state = copy.deepcopy(model.state_dict())
        torch.manual_seed(1)
        values[eta] = float(model.loss(*batch)['loss_mixer'])
        model.load_state_dict(state)
    assert values[0.5] != pytest.approx(values[0.0], abs=1e-4)
    assert values[1.0] - values[0.5] == pytest.approx(values[0.5] - values[0.0], rel=1e-4)
    # eta * mixup infoNCE of 8-d keys with a 32-key queue: of the order of log(33)
    assert 0.5 * math.log(2) < values[1.0] - values[0.0] < 2 * math.log(34)


def test_policy_mode_has_no_mixer_loss():
    model = build(samix_p_cfg())
    assert set(model.loss(*ssl_batch())) == {'loss', 'loss_mix'}
    # clean_loss_weight=0 (an option of the SAMix^P configs): the mixtures replace the clean queries
    model.clean_loss_weight = 0.0
    assert set(model.loss(*ssl_batch())) == {'loss_mix'}


@pytest.mark.parametrize('path', ['configs/samix/samix-p_mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py',
                                  'configs/samix/samix-p_mocov2_resnet50_8xb32-coslr-200e_in1k.py'])
def test_samix_p_ssl_configs_keep_the_clean_moco_term(path):
    """SAMix^P swaps the online Mixer for a frozen pre-trained one and keeps SAMix's online loss (SAMix
    sec. 3.2): clean MoCo infoNCE + mixup infoNCE, both weighted 1."""
    model = Config.fromfile(str(REPO / path)).model
    assert model.type == 'SAMixPMoCo' and 'mixer' not in model
    assert model.mix_policy.type == 'PretrainedMixerPolicy'
    assert model.clean_loss_weight == 1.0 and model.get('mix_loss_weight', 1.0) == 1.0


@pytest.mark.parametrize('overrides, key', [
    (dict(mixer=None), 'mixer must be a Mixer config'),
    (dict(alpha=0), 'alpha must be > 0'),
    (dict(eta=-1), 'eta must be >= 0'),
    (dict(loss_local='bce'), 'loss_local must be a dict with type one of'),
    (dict(loss_global=dict(type='KLLoss')), 'loss_global must be a dict with type one of'),
    (dict(loss_global=dict(type='InterpolatedCosineLoss')), 'loss_global must be a dict with type one of'),
    (dict(mix_loss=dict(type='InstanceBCELoss')), 'mix_loss must be a dict with type one of'),
    (dict(mixer_stage=4), 'mixer_stage must be a 0-based stage index'),
    (dict(loss_global=dict(type='MixupSoftCrossEntropyLoss')), 'clustering .* is required'),
    (dict(pairing='ring'), 'pairing must be one of'),
    (dict(clean_loss_weight=-1.0), 'clean_loss_weight must be >= 0'),
])
def test_bad_config_values(overrides, key):
    with pytest.raises(ValueError, match=key):
        MODELS.build(moco_cfg(**overrides))


def test_mixer_terms_are_the_configured_registered_losses():
    """loss_local / loss_global are built from MODELS; a temperature loss without its own temperature takes the
    head's (0.2), one with its own keeps it; the terms equal the functional losses on the parents ``index``."""
    model = build(moco_cfg(loss_global=dict(type='MixupInfoNCELoss', temperature=0.5)))
    assert isinstance(model.loss_local, InstanceBCELoss) and isinstance(model.loss_global, MixupInfoNCELoss)
    assert model.loss_local.hyper_parameters == dict(temperature=0.2)
    assert model.loss_global.hyper_parameters == dict(temperature=0.5)
    g = torch.Generator().manual_seed(0)
    z_m, keys, queue = (F.normalize(torch.randn(n, 8, generator=g), dim=1) for n in (N, N, 32))
    lam, index = torch.rand(N, generator=g), torch.randperm(N, generator=g)
    local, global_ = model.mixer_terms(MixResult(None, lam, index, None), embedding=z_m, keys=keys, queue=queue)
    assert torch.equal(local, LF.instance_bce(z_m, keys, keys[index], lam, 0.2))
    assert torch.equal(global_, LF.mixup_infonce(z_m, keys, keys[index], queue, lam, 0.5))
    without_local = build(moco_cfg(loss_local=None))
    assert without_local.mixer_terms(MixResult(None, lam, index, None), embedding=z_m, keys=keys,
                                     queue=queue)[0] is None


def test_classifier_mixer_losses_read_class_logits_only():
    with pytest.raises(ValueError, match=r"loss_local must be a dict with type one of \['MixupSoftCrossEntropyLoss', "
                       r"'PairwiseBCELoss'\]"):
        MODELS.build(classifier_cfg(loss_local=dict(type='InstanceBCELoss')))
    model = build(classifier_cfg())
    assert isinstance(model.loss_local, PairwiseBCELoss) and isinstance(model.loss_global, MixupSoftCrossEntropyLoss)


SAMIX_CONFIGS = sorted([*REPO.glob('configs/samix/*.py'), *REPO.glob('configs/automix/*.py'),
                        REPO / 'configs/samix_r50_in1k.py'])


def model_keywords(path: Path) -> dict:
    """The keywords of the ``model = dict(...)`` statement of the config file itself (not of its bases)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['model']:
            return {kw.arg: kw.value for kw in node.value.keywords}
    return {}


@pytest.mark.parametrize('path', SAMIX_CONFIGS, ids=lambda p: p.name)
def test_samix_configs_inherit_the_upstream_model(path):
    """No SAMix / AutoMix config deletes its base model: SAMixMoCo / SAMixPMoCo take upstream MoCo's arguments
    (``momentum``, backbone, neck, head: those of the MoCo v2 base), SAMixClassifier ImageClassifier's."""
    assert '_delete_' not in model_keywords(path)
    model = Config.fromfile(str(path)).model
    if model.type in ('SAMixMoCo', 'SAMixPMoCo'):
        base = (REPO / 'configs/demo/mocov2_resnet18-cifar_1xb64-coslr-50e_digits.py' if 'digits' in path.name
                else Path(mmpretrain.__file__).parent / '.mim/configs/mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py')
        upstream = Config.fromfile(str(base)).model
        for key in ('backbone', 'neck', 'head', 'queue_len', 'feat_dim', 'momentum'):
            assert model[key] == upstream[key], key


# ------------------------------------------------------------------------------------------------ schedules
class _FakeRunner:

    def __init__(self, model, iteration, max_iters=100):
        self.model, self.iter, self.max_iters = model, iteration, max_iters
        self.epoch, self.max_epochs = 0, 1
        self.message_hub = MessageHub.get_instance('test_samix')


SCHEDULES = [
    # (hook, {progress: value}) -- beta 0.1 -> 0 linear; m 0.999 -> 1 cosine: 1 - 0.001 (cos(pi p) + 1) / 2
    (dict(attr='mask_loss_weight', start=0.1, end=0.0), {0: 0.1, 50: 0.05, 100: 0.0}),
    (dict(attr='momentum_coefficient', start=0.999, end=1.0, curve='cosine'),
     {0: 0.999, 50: 0.9995, 100: 1.0}),
]


@pytest.mark.parametrize('model_cfg', [moco_cfg(), classifier_cfg()], ids=['SAMixMoCo', 'SAMixClassifier'])
def test_schedules_at_0_50_100_percent_and_after_resume(model_cfg):
    model = build(model_cfg)
    ema = model.encoder_k if hasattr(model, 'encoder_k') else model.momentum_model
    for hook_cfg, expected in SCHEDULES:
        hook = AttrScheduleHook(**hook_cfg)
        runner = _FakeRunner(model, 0)
        hook.before_train(runner)
        for iteration, value in expected.items():
            runner.iter = iteration
            hook.before_train_iter(runner, iteration)
            assert getattr(model, hook_cfg['attr']) == pytest.approx(value, abs=1e-12)
        # resume at 50 %: a fresh hook sets the 50 % value before the first iteration
        AttrScheduleHook(**hook_cfg).before_train(_FakeRunner(model, 50))
        assert getattr(model, hook_cfg['attr']) == pytest.approx(expected[50], abs=1e-12)
    # MMEngine's EMA stores 1 - m
    assert ema.momentum == pytest.approx(1 - 0.9995, abs=1e-12)


def test_momentum_update_uses_the_coefficient():
    """theta_k <- m theta_k + (1 - m) theta_q with m = 0.9."""
    model = build(moco_cfg(momentum=0.1))
    model.loss(*ssl_batch())  # first update copies the online weights
    online = model.backbone.conv1.weight
    assert model.momentum_coefficient == pytest.approx(0.9)
    key = model.momentum_backbone().conv1.weight
    with torch.no_grad():
        online.add_(1.0)
    before = key.clone()
    model.encoder_k.update_parameters(torch.nn.Sequential(model.backbone, model.neck))
    assert torch.allclose(key, 0.9 * before + 0.1 * online, atol=1e-6)


# ------------------------------------------------------------------------------------------------ SAMix-C
def test_cluster_memory_state_survives_save_and_resume():
    model = build(moco_cfg(**cluster_overrides(update_interval=2)))
    for step in range(4):
        model.loss(*ssl_batch(step, offset=(step * N) % 32))
    resumed = build(moco_cfg(**cluster_overrides(update_interval=2)))
    resumed.load_state_dict(copy.deepcopy(model.state_dict()))
    for name, buffer in model.memory.state_dict().items():
        assert torch.equal(buffer, resumed.memory.state_dict()[name]), name
    feats, idx = torch.randn(N, 8), torch.arange(N)
    model.memory.update(feats, idx)
    resumed.memory.update(feats, idx)
    for name, buffer in model.memory.state_dict().items():
        assert torch.equal(buffer, resumed.memory.state_dict()[name]), name


def test_cluster_labels_in_range_and_no_empty_cluster_after_reseeding():
    torch.manual_seed(0)
    memory = ClusterMemory(num_samples=60, feat_dim=4, num_clusters=6, update_interval=1000)
    # three tight groups: 2-means-like clustering into 6 clusters must split groups to fill every cluster
    centres = torch.eye(4)[:3]
    feats = centres.repeat_interleave(20, dim=0) + 0.01 * torch.randn(60, 4)
    memory.update(feats, torch.arange(60))
    memory.recluster()
    labels = memory.labels
    assert int(labels.min()) >= 0 and int(labels.max()) < 6
    assert bool((torch.bincount(labels, minlength=6) > 0).all())
    # no cluster mixes two of the groups
    for c in range(6):
        groups = torch.arange(60)[labels == c] // 20
        assert groups.unique().numel() == 1


def test_cluster_labels_follow_feature_changes():
    memory = ClusterMemory(num_samples=8, feat_dim=2, num_clusters=2, momentum=1.0, update_interval=1)
    feats = torch.tensor([[1.0, 0.0]] * 4 + [[0.0, 1.0]] * 4)
    memory.update(feats, torch.arange(8))
    assert memory.labels[0] != memory.labels[7]
    # sample 0 now looks like the second group: with momentum 1 its memory slot is replaced and re-labelled
    memory.update(torch.tensor([[0.0, 1.0]]), torch.tensor([0]))
    assert memory.labels[0] == memory.labels[7]


def test_cluster_memory_errors():
    with pytest.raises(ValueError, match='num_samples must be an int >= num_clusters'):
        ClusterMemory(num_samples=3, feat_dim=2, num_clusters=4)
    memory = ClusterMemory(num_samples=4, feat_dim=2, num_clusters=2)
    with pytest.raises(ValueError, match='num_samples=4'):
        memory.update(torch.randn(1, 2), torch.tensor([4]))


# ------------------------------------------------------------------------------------------------ supervised
def test_classifier_gradient_routing_and_momentum_prediction():
    model = build(classifier_cfg())
    losses = model.loss(*cls_batch())
    online_loss = losses['loss'] + losses['loss_mix']
    assert not any(reached(losses['loss_mixer'], m) for m in (model.backbone, model.head))
    assert reached(losses['loss_mixer'], model.mixer)
    assert not reached(online_loss, model.mixer)
    assert reached(online_loss, model.backbone) and reached(online_loss, model.head)
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.momentum_model.parameters())
    # evaluation uses the momentum (EMA) copy: changing the online head does not change predictions
    model.eval()
    x, samples = cls_batch(1)
    before = torch.stack([s.pred_score for s in model.predict(x, copy.deepcopy(samples))])
    with torch.no_grad():
        model.head.fc.weight.add_(1.0)
    after = torch.stack([s.pred_score for s in model.predict(x, copy.deepcopy(samples))])
    assert torch.equal(before, after)
    model.test_with_momentum = False
    online = torch.stack([s.pred_score for s in model.predict(x, copy.deepcopy(samples))])
    assert not torch.allclose(online, before)


def test_automix_block_classifier_trains():
    model = build(
        classifier_cfg(mixer=dict(type='AutoMixBlock', in_channels=32), loss_local=None, eta=1.0))
    losses = model.loss(*cls_batch())
    assert reached(losses['loss_mixer'], model.mixer)
    assert not reached(losses['loss_mixer'], model.backbone)


# ------------------------------------------------------------------------------------------------ SAMix^P
def exported_mixer(tmp_path, model_cfg):
    model = build(model_cfg)
    batch = ssl_batch() if model_cfg['type'] == 'SAMixMoCo' else cls_batch()
    model.loss(*batch)  # momentum encoder holds the online weights
    ckpt = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(f'model = {model_cfg!r}\n')
    out = tmp_path / 'mixer.pth'
    export(str(ckpt), str(out), str(cfg_file))
    return model, out


@pytest.mark.parametrize('model_cfg', [moco_cfg(), classifier_cfg()], ids=['SAMixMoCo', 'SAMixClassifier'])
def test_exported_mixer_gives_identical_masks(tmp_path, model_cfg):
    model, out = exported_mixer(tmp_path, model_cfg)
    policy = MODELS.build(dict(type='PretrainedMixerPolicy', checkpoint=str(out)))
    model.eval()
    x = torch.randn(N, 3, SIZE, SIZE)
    lam, index = torch.full((N, ), 0.35), torch.arange(N).flip(0)
    encoder = model.momentum_backbone()
    with torch.no_grad():
        feat = encoder.layer3(encoder.layer2(encoder.layer1(encoder.relu(encoder.norm1(encoder.conv1(x))))))
        expected = model.mixer(feat, lam, index, (SIZE, SIZE))['mask']
    result = policy(x, index=index, lam=lam)
    assert torch.equal(result.mask, expected)
    assert torch.allclose(result.lam, lam, atol=1e-5)
    assert torch.allclose(result.mixed, expected * x + (1 - expected) * x[index], atol=1e-6)


def test_pretrained_mixer_never_changes_in_training(tmp_path):
    _, out = exported_mixer(tmp_path, moco_cfg())
    model = build(samix_p_cfg(mix_policy=dict(type='PretrainedMixerPolicy', checkpoint=str(out))))
    policy = model.mix_policy
    frozen = copy.deepcopy(policy.state_dict())
    optim_wrapper = build_optim_wrapper(
        model, dict(optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=0.1)))
    model.train()
    assert not policy.training and not any(p.requires_grad for p in policy.parameters())
    online_before = model.backbone.conv1.weight.detach().clone()
    views, samples = ssl_batch()
    images = [(v * 50 + 128).clamp(0, 255).to(torch.uint8) for v in views]
    losses = model.train_step(dict(inputs=images, data_samples=samples), optim_wrapper)
    assert set(losses) >= {'loss', 'loss_mix'} and 'loss_mixer' not in losses
    assert not torch.equal(model.backbone.conv1.weight, online_before)  # the online network did train
    for name, value in policy.state_dict().items():
        assert torch.equal(value, frozen[name]), name


def test_pretrained_mixer_batch_augment(tmp_path):
    _, out = exported_mixer(tmp_path, classifier_cfg())
    augment = BATCH_AUGMENTS.build(dict(type='PretrainedMixer', checkpoint=str(out), alpha=2.0))
    x = torch.randn(N, 3, SIZE, SIZE)
    scores = torch.eye(5)[torch.arange(N) % 5]
    mixed, mixed_scores = augment(x, scores)
    assert mixed.shape == x.shape and mixed_scores.shape == scores.shape
    assert torch.allclose(mixed_scores.sum(1), torch.ones(N), atol=1e-5)


def leaf_types(value) -> set:
    """Types of the leaves of nested built-in dicts / lists / tuples; any other container is a leaf too."""
    if type(value) in (dict, list, tuple):
        items = value.values() if type(value) is dict else value
        return set().union(*(leaf_types(item) for item in items)) if items else set()
    return {type(value)}


def test_exported_mixer_holds_only_tensors_and_plain_values(tmp_path):
    _, out = exported_mixer(tmp_path, moco_cfg())
    content = torch.load(out, map_location='cpu', weights_only=True)
    assert leaf_types(content) == {torch.Tensor, str, int}
    meta = content['meta']
    assert ast.literal_eval(meta['backbone']) == BACKBONE and ast.literal_eval(meta['mixer']) == MIXER
    assert meta['mixer_stage'] == 2 and meta['source'] == str(tmp_path / 'model.pth')


def full_training_checkpoint(path, model, model_cfg):
    """The file MMEngine's runner saves: the config text in meta, the weights, the message hub (its
    ``HistoryBuffer`` objects) and the optimizer state."""
    hub = MessageHub.get_instance('test_samix_full_checkpoint')
    hub.update_scalar('train/loss', 1.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.save(dict(meta=dict(cfg=Config(dict(model=model_cfg)).pretty_text, epoch=1), state_dict=model.state_dict(),
                    message_hub=hub.state_dict(), optimizer=optimizer.state_dict()), path)


def test_full_training_checkpoint_loads_only_with_the_opt_in(tmp_path, capsys):
    model, out = exported_mixer(tmp_path, moco_cfg())
    full = str(tmp_path / 'epoch_1.pth')
    full_training_checkpoint(full, model, moco_cfg())
    reason = 'Unsupported class mmengine.logging.history_buffer.HistoryBuffer'
    refusal = f'^{re.escape(full)}: refused to load: .*{reason}.*allow_unsafe_pickle=True$'
    with pytest.raises(UnsafePickleError, match=refusal):
        MODELS.build(dict(type='PretrainedMixerPolicy', checkpoint=full))
    with pytest.raises(UnsafePickleError, match=reason):
        export(full, str(tmp_path / 'from_full.pth'))
    policy = MODELS.build(dict(type='PretrainedMixerPolicy', checkpoint=full, allow_unsafe_pickle=True))
    expected = MODELS.build(dict(type='PretrainedMixerPolicy', checkpoint=str(out))).state_dict()
    assert all(torch.equal(value, expected[name]) for name, value in policy.state_dict().items())
    export_main([full, str(tmp_path / 'from_full.pth'), '--allow-unsafe-pickle'])
    assert 'exported SAMixMixer (' in capsys.readouterr().out
    exported = torch.load(tmp_path / 'from_full.pth', weights_only=True)
    assert ast.literal_eval(exported['meta']['mixer']) == MIXER
    assert all(torch.equal(value, expected[f'mixer.{name}']) for name, value in exported['mixer'].items())


def test_missing_pretrained_mixer_names_the_key(tmp_path):
    with pytest.raises(FileNotFoundError, match='checkpoint'):
        MODELS.build(dict(type='PretrainedMixerPolicy', checkpoint=str(tmp_path / 'none.pth')))
