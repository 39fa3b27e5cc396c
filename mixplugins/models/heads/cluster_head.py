"""Linear classifier over cluster pseudo labels (SAMix-C's cluster head ``g_psi^C``, A.5.2 of SAMix: Li et al.,
"Boosting Discriminative Visual Representation Learning with Scenario-Agnostic Mixup", 2021, arXiv:2111.15454;
``docs/methods.md#samix-i-and-samix-c``)."""
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class ClusterHead(BaseModule):
    """``logits = W z + b`` over ``num_clusters`` clusters; trained with CE on pseudo labels.

    Args:
        in_channels: dimension of the input embeddings.
        num_clusters: number of clusters ``C``.
        loss_weight: weight of the CE loss.
    """

    def __init__(self, in_channels: int, num_clusters: int, loss_weight: float = 1.0, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(num_clusters, int) or num_clusters < 2:
            raise ValueError(f'num_clusters must be an int >= 2, got {num_clusters!r}')
        self.num_clusters = num_clusters
        self.loss_weight = loss_weight
        self.fc = nn.Linear(in_channels, num_clusters)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(x)

    def loss(self, x: Tensor, labels: Tensor) -> Tensor:
        """``loss_weight * CE(W x + b, labels)``."""
        return self.loss_weight * F.cross_entropy(self(x), labels)
