"""kNN evaluation of the backbone during and after (self-supervised) pretraining."""
import json
import os.path as osp
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.dist import broadcast_object_list, collect_results, get_rank, is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from ...evaluation import knn_top1


@HOOKS.register_module()
class KNNEvalHook(Hook):
    """Weighted kNN top-1 of the backbone's pooled last-stage features (cosine, k=20, T=0.07).

    Extracts features of ``train_dataloader`` (the memory) and ``val_dataloader`` (the queries) with the
    model in eval mode, reports top-1 in the log and in the message hub (``knn/top1``), and writes every
    measurement to ``<work_dir>/<out_file>`` as JSON. It evaluates the randomly initialised backbone before
    training (``before_train=True``), every ``interval`` epochs (0: never in between) and after training.

    Args:
        train_dataloader (dict): dataloader config of the labelled memory set (test-time pipeline).
        val_dataloader (dict): dataloader config of the labelled query set.
        k (int): neighbours. Defaults to 20.
        temperature (float): T in ``exp(cos / T)``. Defaults to 0.07.
        interval (int): evaluate every ``interval`` epochs; 0 evaluates only before/after training.
        before_train (bool): also evaluate the initial backbone. Defaults to True.
        backbone (str): attribute of the model holding the backbone. Defaults to ``'backbone'``.
        out_file (str): JSON file in the work dir. Defaults to ``'knn.json'``.
    """
    priority = 'LOW'

    def __init__(self,
                 train_dataloader: dict,
                 val_dataloader: dict,
                 k: int = 20,
                 temperature: float = 0.07,
                 interval: int = 0,
                 before_train: bool = True,
                 backbone: str = 'backbone',
                 out_file: str = 'knn.json'):
        if interval < 0:
            raise ValueError(f'KNNEvalHook: interval must be >= 0 (0 = only at the end), got {interval}')
        self.train_dataloader_cfg = train_dataloader
        self.val_dataloader_cfg = val_dataloader
        self.k = k
        self.temperature = temperature
        self.interval = interval
        self.eval_before_train = before_train
        self.backbone = backbone
        self.out_file = out_file
        self.results = {}

    def before_train(self, runner) -> None:
        if self.eval_before_train and runner.iter == 0:
            self._evaluate(runner, 'random_init')

    def after_train_epoch(self, runner) -> None:
        if self.interval and self.every_n_epochs(runner, self.interval) and runner.epoch < runner.max_epochs:
            self._evaluate(runner, f'epoch_{runner.epoch}')

    def after_train(self, runner) -> None:
        self._evaluate(runner, 'trained')
        if 'random_init' in self.results:
            runner.logger.info(f"kNN top-1 (k={self.k}, T={self.temperature}): random init "
                               f"{self.results['random_init']['top1']:.2f}% -> trained "
                               f"{self.results['trained']['top1']:.2f}%")

    @torch.no_grad()
    def extract(self, runner, loader) -> tuple:
        """Features (L2-normalised, pooled last stage) and labels of a whole dataloader, in dataset order."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        backbone = getattr(model, self.backbone)
        was_training = model.training
        model.eval()
        chunks = []
        for data in loader:
            data = model.data_preprocessor(data, False)
            inputs = data['inputs'][0] if isinstance(data['inputs'], list) else data['inputs']
            feat = backbone(inputs)[-1]
            feat = F.normalize(F.adaptive_avg_pool2d(feat, 1).flatten(1) if feat.dim() == 4 else feat, dim=1)
            labels = [int(s.gt_label) for s in data['data_samples']]
            chunks.extend(zip(feat.cpu(), labels))
        model.train(was_training)
        chunks = collect_results(chunks, len(loader.dataset), device='cpu')
        if not is_main_process():
            return None, None
        return torch.stack([f for f, _ in chunks]), torch.tensor([y for _, y in chunks])

    def _evaluate(self, runner, tag: str) -> None:
        train_feats, train_labels = self.extract(runner, self._loader(runner, 'train'))
        val_feats, val_labels = self.extract(runner, self._loader(runner, 'val'))
        top1 = [None]
        if is_main_process():
            num_classes = int(max(train_labels.max(), val_labels.max())) + 1
            top1[0] = knn_top1(train_feats, train_labels, val_feats, val_labels, num_classes, self.k,
                               self.temperature)
        broadcast_object_list(top1)
        self.results[tag] = dict(top1=top1[0], epoch=runner.epoch, iter=runner.iter)
        runner.message_hub.update_scalar('knn/top1', top1[0])
        runner.logger.info(f'kNN top-1 [{tag}] at epoch {runner.epoch}, iter {runner.iter}: {top1[0]:.2f}%')
        if get_rank() == 0:
            with open(osp.join(runner.work_dir, self.out_file), 'w') as f:
                json.dump(dict(k=self.k, temperature=self.temperature, results=self.results), f, indent=2)

    def _loader(self, runner, which: str):
        if not hasattr(self, f'_{which}_loader'):
            cfg = self.train_dataloader_cfg if which == 'train' else self.val_dataloader_cfg
            setattr(self, f'_{which}_loader', runner.build_dataloader(cfg, seed=runner.seed))
        return getattr(self, f'_{which}_loader')
