"""Initial clustering of SAMix-C's ODC memory before training."""
import torch
from mmengine.dataset import DefaultSampler
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS
from torch.utils.data import DataLoader


@HOOKS.register_module()
class ClusterMemoryInitHook(Hook):
    """Fill the model's ``ClusterMemory`` with the momentum keys of the whole training set and cluster them
    (k-means) before the first iteration, as ODC starts from a k-means of the whole data set (Zhan et al.,
    "Online Deep Clustering for Unsupervised Representation Learning", CVPR 2020, arXiv:2006.10645, sec. 3.2;
    the clustering SAMix-C uses: Li et al., "Boosting Discriminative Visual Representation Learning with
    Scenario-Agnostic Mixup", arXiv:2111.15454, sec. 3.1).

    One no-grad pass over the training set -- the runner's train dataloader's dataset, pipeline, collate
    function and batch size, every sample once in dataset order (under torch.distributed split over the
    ranks) -- computes the keys ``k = normalize(f_k(x^k))`` of the key view, the features the memory stores
    during training (:meth:`ClusterMemory.init_features`, gathered over the ranks); then
    :meth:`ClusterMemory.init_clusters` runs the k-means. The memory (features, labels, centroids) is part of
    the checkpoint: a resumed run, whose memory already has centroids, is not clustered again.

    Args:
        num_iters: Lloyd iterations of the k-means (20, as DeepCluster / ODC's faiss k-means).
        seed: seed of the k-means++ seeding (the same on every rank).
    """
    priority = 'NORMAL'

    def __init__(self, num_iters: int = 20, seed: int = 0):
        if not isinstance(num_iters, int) or num_iters < 1:
            raise ValueError(f'ClusterMemoryInitHook: num_iters must be an int >= 1, got {num_iters!r}')
        self.num_iters = num_iters
        self.seed = seed

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        memory = getattr(model, 'memory', None)
        if memory is None:
            raise ValueError('ClusterMemoryInitHook needs a model with a ClusterMemory (SAMixMoCo with '
                             'model.clustering and a Mixer loss on cluster labels, e.g. '
                             "loss_local=dict(type='PairwiseBCELoss')); "
                             f'{type(model).__name__} has none')
        if bool(memory.has_centroids()):  # once, before training
            runner.logger.info('ClusterMemoryInitHook: the memory is already clustered (resumed), skipped')
            return
        train_loader = runner.train_dataloader
        loader = DataLoader(train_loader.dataset, batch_size=train_loader.batch_size,
                            sampler=DefaultSampler(train_loader.dataset, shuffle=False),
                            num_workers=train_loader.num_workers, collate_fn=train_loader.collate_fn)
        with torch.no_grad():
            for data in loader:
                data = model.data_preprocessor(data, False)
                sample_idx = torch.as_tensor([s.sample_idx for s in data['data_samples']])
                memory.init_features(model.keys(data['inputs'][1]), sample_idx)
        memory.init_clusters(self.num_iters, self.seed)
        sizes = torch.bincount(memory.labels, minlength=memory.num_clusters)
        runner.logger.info(f'ClusterMemoryInitHook: k-means of {int(memory.visited.sum())} keys into '
                           f'{memory.num_clusters} clusters (sizes {int(sizes.min())}..{int(sizes.max())})')
