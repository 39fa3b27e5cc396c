"""SAMix-C's initial clustering: ``ClusterMemoryInitHook`` fills the ODC memory with the momentum keys of the
whole training set and runs a k-means before the first update; the state survives a resume without a second
clustering; under 2-process CPU DDP both ranks hold the same memory."""
import copy
import os
import socket
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.dataset import default_collate
from mmengine.logging import MMLogger
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader, Dataset

import mixplugins  # noqa: F401
from mixplugins.engine.hooks import ClusterMemoryInitHook
from mixplugins.models.utils.cluster_memory import spherical_kmeans

NUM_SAMPLES, NUM_CLASSES, SIZE = 32, 4, 16
MOCO = dict(type='SAMixMoCo', queue_len=32, feat_dim=8,
            backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
            neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=16, out_channels=8, with_avg_pool=True),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
            mixer=dict(type='SAMixMixer', in_channels=32), loss_local=dict(type='PairwiseBCELoss'),
            loss_global=dict(type='MixupSoftCrossEntropyLoss'),
            clustering=dict(num_samples=NUM_SAMPLES, num_clusters=NUM_CLASSES, update_interval=1))


class TwoViewSet(Dataset):
    """``NUM_SAMPLES`` two-view samples; every pixel of sample ``i`` holds its class ``i % NUM_CLASSES``."""

    def __len__(self):
        return NUM_SAMPLES

    def __getitem__(self, i):
        img = torch.full((3, SIZE, SIZE), float(i % NUM_CLASSES))
        return dict(inputs=[img, img.clone()], data_samples=DataSample(metainfo=dict(sample_idx=i)))


def build_model():
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(MOCO))
    model.init_weights()
    return model


def fake_runner(model, batch_size=4):
    loader = DataLoader(TwoViewSet(), batch_size=batch_size, shuffle=True, drop_last=True,
                        collate_fn=default_collate)
    return SimpleNamespace(model=model, train_dataloader=loader, logger=MMLogger.get_current_instance())


def separable_keys(img):
    """8-d unit keys: class ``c`` near the c-th axis (noise 0.1), so the classes are linearly separable."""
    classes = img[:, 0, 0, 0].long()
    noise = 0.1 * torch.randn(img.size(0), 8, generator=torch.Generator().manual_seed(int(img.sum())))
    return F.normalize(F.one_hot(classes, 8).float() + noise, dim=1)


def purity(labels, classes):
    """Share of samples in the majority class of their cluster."""
    return sum(int(torch.bincount(classes[labels == c]).max()) for c in labels.unique()) / labels.numel()


def test_spherical_kmeans_by_hand():
    feats = F.normalize(torch.tensor([[1.0, 0.1], [1.0, -0.1], [0.1, 1.0], [-0.1, 1.0]]), dim=1)
    labels, centroids = spherical_kmeans(feats, 2, 5, torch.Generator().manual_seed(0))
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]
    # centroids: normalised means of each pair, the axes
    expected = torch.eye(2)[[0, 1] if labels[0] == 0 else [1, 0]]
    assert torch.allclose(centroids, expected, atol=1e-6)


def test_memory_is_clustered_before_the_first_update():
    """ODC's start: a k-means of the keys of the whole set, purity >= 0.9 on separable keys before any update
    (the memory used to start from sample_idx % C: purity 0.25 here)."""
    model = build_model()
    model.keys = separable_keys
    runner = fake_runner(model, batch_size=5)  # 32 = 6 x 5 + 2: the training loader drops 2 samples
    ClusterMemoryInitHook().before_train(runner)
    memory = model.memory
    assert bool(memory.visited.all()) and int(memory.num_updates) == 0  # every sample, drop_last ignored
    labels = memory.pseudo_labels(torch.arange(NUM_SAMPLES))
    assert purity(labels, torch.arange(NUM_SAMPLES) % NUM_CLASSES) >= 0.9
    assert torch.allclose(memory.centroids.norm(dim=1), torch.ones(NUM_CLASSES), atol=1e-5)
    assert torch.allclose(memory.features.norm(dim=1), torch.ones(NUM_SAMPLES), atol=1e-5)
    assert torch.equal(memory.features.argmax(dim=1), torch.arange(NUM_SAMPLES) % NUM_CLASSES)


def test_resume_keeps_the_clustering():
    model = build_model()
    model.keys = separable_keys
    ClusterMemoryInitHook().before_train(fake_runner(model))
    state = {k: v.clone() for k, v in model.state_dict().items() if k.startswith('memory.')}
    resumed = build_model()
    resumed.load_state_dict(model.state_dict())

    def no_pass(img):
        raise AssertionError('a resumed memory must not be clustered again')

    resumed.keys = no_pass
    ClusterMemoryInitHook().before_train(fake_runner(resumed))
    for key, value in state.items():
        assert torch.equal(resumed.state_dict()[key], value), key


def test_hook_needs_a_cluster_memory():
    model = MODELS.build(dict(MOCO, loss_local=dict(type='InstanceBCELoss'), loss_global=dict(type='MixupInfoNCELoss'),
                              clustering=None))
    with pytest.raises(ValueError, match='ClusterMemoryInitHook needs a model with a ClusterMemory'):
        ClusterMemoryInitHook().before_train(fake_runner(model))
    with pytest.raises(ValueError, match='num_iters must be an int >= 1'):
        ClusterMemoryInitHook(num_iters=0)


def _ddp_worker(rank, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.distributed.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    model = build_model()
    ClusterMemoryInitHook().before_train(fake_runner(model, batch_size=4))
    torch.save({k: v for k, v in model.state_dict().items() if k.startswith('memory.')},
               os.path.join(out_dir, f'memory{rank}.pt'))
    torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_two_process_ddp_ranks_hold_the_same_memory(tmp_path):
    """Each rank extracts half of the set (real momentum keys, mmpretrain's batch shuffle across ranks); the
    features are gathered and the clustering is the same on both ranks."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    torch.multiprocessing.spawn(_ddp_worker, args=(port, str(tmp_path)), nprocs=2)
    m0, m1 = (torch.load(tmp_path / f'memory{r}.pt') for r in (0, 1))
    assert bool(m0['memory.visited'].all())
    for key in m0:
        assert torch.equal(m0[key], m1[key]), key
    assert bool((torch.bincount(m0['memory.labels'], minlength=NUM_CLASSES) > 0).all())
