"""ODC-style online clustering of a feature memory over the whole data set, for the pseudo labels of SAMix-C.

Online Deep Clustering (Zhan et al. 2020, arXiv:2006.10645, ref. [21] of SAMix: Li et al., "Boosting Discriminative
Visual Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454; used by SAMix-C and AMix-C,
``docs/methods.md#samix-i-and-samix-c``): every sample of the data set has a slot in a memory of L2-normalised
features and a cluster label in [0, C).

- Before training, :meth:`ClusterMemory.init_features` stores the features of the whole data set (one no-grad
  pass of the momentum encoder, ``ClusterMemoryInitHook``) and :meth:`ClusterMemory.init_clusters` clusters
  them with spherical k-means, as ODC starts from a k-means of the whole data set (Zhan et al., "Online Deep
  Clustering for Unsupervised Representation Learning", CVPR 2020, arXiv:2006.10645, sec. 3.2).
- Every iteration, the batch features enter the memory with momentum ``m``:
  ``f_i <- normalize((1 - m) f_i + m f_new)`` (the first visit stores ``f_new``), and the batch samples are
  re-labelled with their nearest centroid ``argmax_c f_i . c``.
- Every ``update_interval`` iterations: centroids ``c = normalize(mean of the cluster's memory features)``,
  every visited sample re-labelled, then empty clusters re-seeded by splitting the largest cluster (new
  centroid = its member farthest from its centroid, members re-assigned to the nearer of the two).

All state is made of buffers, so it is saved in checkpoints and restored exactly on resume. Under
torch.distributed the batch features and indices are gathered first, so every process holds the same memory.
The per-iteration update reads nothing back from the device (no host-device synchronisation): the index check is
a device-side assert and the re-labelling a ``torch.where``; only the every-``update_interval`` re-clustering
works on the host.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, broadcast
from torch import Tensor, nn

from .checks import check_async
from .precision import full_precision

#: rows per block of the sample-to-centroid similarities (bounds the memory of a 1.28M x C product)
_CHUNK = 65536


def nearest_centroid(feats: Tensor, centroids: Tensor) -> Tensor:
    """Index of the centroid of largest cosine ``argmax_c f . c`` for every row of ``feats`` (unit rows),
    computed in blocks of rows."""
    return torch.cat([(block @ centroids.t()).argmax(dim=1) for block in feats.split(_CHUNK)])


def kmeans_plus_plus(feats: Tensor, num_clusters: int, generator: torch.Generator) -> Tensor:
    """k-means++ seeding (Arthur & Vassilvitskii, "k-means++: The Advantages of Careful Seeding", SODA 2007)
    on unit features: the first seed uniform, each next one drawn with probability proportional to
    ``D(x)^2 = min_c ||x - c||^2 = 2 - 2 max_c x . c``. Returns the ``num_clusters`` x D seeds."""
    n = feats.size(0)
    first = torch.randint(n, (1, ), generator=generator, device=generator.device).to(feats.device)
    seeds = [feats[first[0]]]
    closest = torch.full((n, ), -1.0, dtype=feats.dtype, device=feats.device)
    for _ in range(num_clusters - 1):
        closest = torch.maximum(closest, feats @ seeds[-1])
        weights = (2 - 2 * closest).clamp_min(0).double()
        if not bool(weights.sum() > 0):  # fewer distinct features than clusters: uniform among all
            weights = torch.ones_like(weights)
        pick = torch.multinomial(weights.to(generator.device), 1, generator=generator).to(feats.device)
        seeds.append(feats[pick[0]])
    return torch.stack(seeds)


def spherical_kmeans(feats: Tensor, num_clusters: int, num_iters: int,
                     generator: torch.Generator) -> Tuple[Tensor, Tensor]:
    """Spherical k-means of unit features: k-means++ seeds, then ``num_iters`` Lloyd steps of
    ``y_i = argmax_c f_i . c`` and ``c = normalize(sum_{y_i = c} f_i)`` (an empty cluster keeps its centroid).

    Returns ``(labels, centroids)``: LongTensor[N] in [0, num_clusters) and num_clusters x D unit rows.
    """
    centroids = kmeans_plus_plus(feats, num_clusters, generator)
    for _ in range(num_iters):
        labels = nearest_centroid(feats, centroids)
        sums = torch.zeros_like(centroids).index_add_(0, labels, feats)
        filled = torch.bincount(labels, minlength=num_clusters) > 0
        centroids = torch.where(filled[:, None], F.normalize(sums, dim=1), centroids)
    return nearest_centroid(feats, centroids), centroids


class ClusterMemory(nn.Module):
    """Feature memory + cluster labels of ``num_samples`` samples.

    Args:
        num_samples: size of the training set (sample indices must lie in [0, num_samples)).
        feat_dim: dimension of the stored features.
        num_clusters: ``C`` (SAMix default 200).
        momentum: ``m`` of the memory update, in (0, 1].
        update_interval: iterations between centroid updates / full re-labelling, >= 1.
    """

    def __init__(self, num_samples: int, feat_dim: int, num_clusters: int = 200, momentum: float = 0.5,
                 update_interval: int = 10):
        super().__init__()
        if not isinstance(num_clusters, int) or num_clusters < 2:
            raise ValueError(f'num_clusters must be an int >= 2, got {num_clusters!r}')
        if not isinstance(num_samples, int) or num_samples < num_clusters:
            raise ValueError(f'num_samples must be an int >= num_clusters ({num_clusters}) (the size of the '
                             f'training set), got {num_samples!r}')
        if not 0 < momentum <= 1:
            raise ValueError(f'momentum must lie in (0, 1] (memory update f <- (1-m) f + m f_new), '
                             f'got {momentum}')
        if not isinstance(update_interval, int) or update_interval < 1:
            raise ValueError(f'update_interval must be an int >= 1, got {update_interval!r}')
        self.num_samples = num_samples
        self.num_clusters = num_clusters
        self.momentum = momentum
        self.update_interval = update_interval
        self.register_buffer('features', torch.zeros(num_samples, feat_dim))
        self.register_buffer('labels', torch.arange(num_samples) % num_clusters)
        self.register_buffer('visited', torch.zeros(num_samples, dtype=torch.bool))
        self.register_buffer('centroids', torch.zeros(num_clusters, feat_dim))
        self.register_buffer('num_updates', torch.zeros((), dtype=torch.long))
        self._host_num_updates = 0  # host copy of num_updates (read from the buffer once after loading a state)

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self._host_num_updates = None

    def has_centroids(self) -> Tensor:
        """0-d bool tensor: whether centroids were computed (they are all 0 before the first clustering)."""
        return self.centroids.abs().sum() > 0

    def index_tensor(self, sample_idx: Sequence[int]) -> Tensor:
        """Sample indices given on the host (the data samples' ``sample_idx``), checked on the host, as a
        LongTensor on the memory's device (copied without blocking)."""
        bad = [i for i in sample_idx if not 0 <= i < self.num_samples]
        if bad:
            raise ValueError(f'num_samples={self.num_samples} is smaller than the data set: got sample indices '
                             f'{bad[:5]} (set clustering.num_samples to len(train dataset))')
        return torch.as_tensor(list(sample_idx), dtype=torch.long).to(self.labels.device, non_blocking=True)

    @torch.no_grad()
    def init_features(self, feats: Tensor, sample_idx: Tensor) -> None:
        """Store the (gathered) features of a batch of the initial pass: ``f_i <- normalize(f_new)``."""
        feats = torch.cat(all_gather(feats.detach().to(self.features.dtype)))
        sample_idx = torch.cat(all_gather(sample_idx.to(self.features.device)))
        self._check_indices(sample_idx)
        self.features[sample_idx] = F.normalize(feats, dim=1)
        self.visited[sample_idx] = True

    @torch.no_grad()
    def init_clusters(self, num_iters: int = 20, seed: int = 0) -> None:
        """ODC's initial clustering: spherical k-means of the stored features (:func:`spherical_kmeans`,
        ``num_iters`` Lloyd steps as DeepCluster / ODC's faiss k-means, seeded by ``seed``), empty clusters
        re-seeded, centroids of the final labels. Every process computes the same clustering; rank 0's is
        broadcast (a no-op at world size 1)."""
        if not isinstance(num_iters, int) or num_iters < 1:
            raise ValueError(f'num_iters must be an int >= 1 (k-means iterations), got {num_iters!r}')
        idx = self.visited.nonzero().squeeze(1)
        if idx.numel() < self.num_clusters:
            raise ValueError(f'the initial pass stored {idx.numel()} samples, fewer than num_clusters='
                             f'{self.num_clusters} (clustering.num_samples must be len(train dataset))')
        feats = self.features[idx]
        generator = torch.Generator(device=self.features.device).manual_seed(seed)
        labels, _ = spherical_kmeans(feats, self.num_clusters, num_iters, generator)
        labels = self._reseed_empty(feats, labels)
        self.labels[idx] = labels
        self.centroids.copy_(self._centroids(feats, labels))
        broadcast(self.labels, 0)
        broadcast(self.centroids, 0)

    def pseudo_labels(self, sample_idx: Tensor) -> Tensor:
        """Current cluster labels of the samples ``sample_idx``."""
        self._check_indices(sample_idx)
        return self.labels[sample_idx.to(self.labels.device)]

    @torch.no_grad()
    @full_precision
    def update(self, feats: Tensor, sample_idx: Tensor) -> None:
        """Memory update with the batch (gathered over processes), in float32; re-cluster every
        ``update_interval`` calls."""
        feats = torch.cat(all_gather(feats.detach().to(self.features.dtype)))
        sample_idx = torch.cat(all_gather(sample_idx.to(self.features.device)))
        self._check_indices(sample_idx)
        new = F.normalize(feats, dim=1)
        old = self.features[sample_idx]
        blended = F.normalize((1 - self.momentum) * old + self.momentum * new, dim=1)
        visited = self.visited[sample_idx].unsqueeze(1)
        self.features[sample_idx] = torch.where(visited, blended, new)
        self.visited[sample_idx] = True
        self.labels[sample_idx] = torch.where(self.has_centroids(), self.assign(self.features[sample_idx]),
                                              self.labels[sample_idx])
        self.num_updates += 1
        if self._host_num_updates is None:
            self._host_num_updates = int(self.num_updates)
        else:
            self._host_num_updates += 1
        if self._host_num_updates % self.update_interval == 0 and int(self.visited.sum()) >= self.num_clusters:
            self.recluster()

    def assign(self, feats: Tensor) -> Tensor:
        """Nearest centroid (largest cosine) of each feature."""
        return nearest_centroid(feats, self.centroids)

    @torch.no_grad()
    def recluster(self) -> None:
        """Centroids from the visited memory, re-label every visited sample, re-seed empty clusters."""
        idx = self.visited.nonzero().squeeze(1)
        feats, labels = self.features[idx], self.labels[idx]
        self.centroids.copy_(self._centroids(feats, labels))
        labels = self.assign(feats)
        labels = self._reseed_empty(feats, labels)
        self.centroids.copy_(self._centroids(feats, labels))
        self.labels[idx] = labels

    def _centroids(self, feats: Tensor, labels: Tensor) -> Tensor:
        sums = torch.zeros_like(self.centroids).index_add_(0, labels, feats)
        return F.normalize(sums, dim=1)

    def _reseed_empty(self, feats: Tensor, labels: Tensor) -> Tensor:
        """Split the largest cluster into every empty one (deterministic: farthest member as the new seed)."""
        labels = labels.clone()
        counts = torch.bincount(labels, minlength=self.num_clusters)
        for empty in (counts == 0).nonzero().squeeze(1).tolist():
            largest = int(counts.argmax())
            members = (labels == largest).nonzero().squeeze(1)
            member_feats = feats[members]
            centre = F.normalize(member_feats.mean(0), dim=0)
            order = torch.argsort(member_feats @ centre)  # ascending cosine: farthest first
            seed = member_feats[order[0]]
            to_new = (member_feats @ seed) > (member_feats @ centre)
            num_new = int(to_new.sum())
            if num_new == 0 or num_new == members.numel():  # ties: give the farthest half to the new cluster
                to_new = torch.zeros_like(to_new)
                to_new[order[:members.numel() // 2]] = True
            labels[members[to_new]] = empty
            counts = torch.bincount(labels, minlength=self.num_clusters)
        return labels

    def _check_indices(self, sample_idx: Tensor) -> None:
        """Indices in [0, num_samples), checked without a host-device synchronisation (:func:`check_async`)."""
        check_async(((sample_idx >= 0) & (sample_idx < self.num_samples)).all(),
                    f'num_samples={self.num_samples} is smaller than the data set: a sample index is outside '
                    f'[0, {self.num_samples}) (set clustering.num_samples to len(train dataset))')
