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

from ...evaluation import calibrate_batchnorm, has_untracked_batchnorm, knn_top1
from ...evaluation.features import pooled

RANDOM_INIT_BN = ('data', 'default')


@HOOKS.register_module()
class KNNEvalHook(Hook):
    """Weighted kNN top-1 of the backbone's pooled last-stage features (cosine, k=20, T=0.07).

    Extracts features of ``train_dataloader`` (the memory) and ``val_dataloader`` (the queries) with the
    model in eval mode, reports top-1 in the log and in the message hub (``knn/top1``), and writes every
    measurement to ``<work_dir>/<out_file>`` as JSON. It evaluates the randomly initialised backbone before
    training (``before_train=True``), every ``interval`` epochs (0: never in between) and after training
    (``after_train=True``).

    Random-init baseline: fresh BatchNorm layers hold ``mean = 0, var = 1`` and are the identity in eval mode, so
    the untrained network would be scored as an un-normalised random projection of the pixels -- a number
    about its initial BN buffers, not its random weights, and one no trained network (whose BN statistics are
    those of the data) is compared on equal terms with. With ``random_init_bn='data'`` the random-init score
    (``random_init``) uses BN statistics estimated on the memory images (weights untouched, on a copy;
    :func:`~mixplugins.evaluation.calibrate_batchnorm`); the score with the initial buffers is still
    reported, as ``random_init_default_bn``. ``random_init_bn='default'`` reports only the latter (as
    ``random_init``).

    Args:
        train_dataloader (dict): dataloader config of the labelled memory set (test-time pipeline).
        val_dataloader (dict): dataloader config of the labelled query set.
        k (int): neighbours. Defaults to 20.
        temperature (float): T in ``exp(cos / T)``. Defaults to 0.07.
        interval (int): evaluate every ``interval`` epochs; 0 evaluates only before/after training.
        before_train (bool): also evaluate the initial backbone. Defaults to True.
        after_train (bool): evaluate the trained backbone. Defaults to True (False with ``before_train=False``
            and ``interval=0`` turns the monitor off, e.g. from ``--cfg-options``).
        backbone (str): attribute of the model holding the backbone. Defaults to ``'backbone'``.
        out_file (str): JSON file in the work dir. Defaults to ``'knn.json'``.
        random_init_bn (str): BN statistics of the random-init score, ``'data'`` or ``'default'`` (see
            above). Defaults to ``'data'``.
    """
    priority = 'LOW'

    def __init__(self,
                 train_dataloader: dict,
                 val_dataloader: dict,
                 k: int = 20,
                 temperature: float = 0.07,
                 interval: int = 0,
                 before_train: bool = True,
                 after_train: bool = True,
                 backbone: str = 'backbone',
                 out_file: str = 'knn.json',
                 random_init_bn: str = 'data'):
        if interval < 0:
            raise ValueError(f'KNNEvalHook: interval must be >= 0 (0 = only at the end), got {interval}')
        if random_init_bn not in RANDOM_INIT_BN:
            raise ValueError(f'KNNEvalHook: random_init_bn must be one of {RANDOM_INIT_BN}, got {random_init_bn!r}')
        self.random_init_bn = random_init_bn
        self.train_dataloader_cfg = train_dataloader
        self.val_dataloader_cfg = val_dataloader
        self.k = k
        self.temperature = temperature
        self.interval = interval
        self.eval_before_train = before_train
        self.eval_after_train = after_train
        self.backbone = backbone
        self.out_file = out_file
        self.results = {}

    def before_train(self, runner) -> None:
        if self.eval_before_train and runner.iter == 0:
            self._evaluate(runner, 'random_init')

    def after_train_epoch(self, runner) -> None:
        # runner.epoch still counts the finished epochs minus one here; the last one is scored by after_train
        done = runner.epoch + 1
        if self.interval and self.every_n_epochs(runner, self.interval) and done < runner.max_epochs:
            self._evaluate(runner, f'epoch_{done}', done)

    def after_train(self, runner) -> None:
        if not self.eval_after_train:
            return
        self._evaluate(runner, 'trained')
        if 'random_init' in self.results:
            reference = self.results.get('random_init_default_bn')
            reference = (f" (BN statistics of the data; {reference['top1']:.2f}% with the initial BN buffers)"
                         if reference else '')
            runner.logger.info(f"kNN top-1 (k={self.k}, T={self.temperature}): random init "
                               f"{self.results['random_init']['top1']:.2f}%{reference} -> trained "
                               f"{self.results['trained']['top1']:.2f}%")

    def _model(self, runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    def _batches(self, runner, loader):
        """``(inputs, data_samples)`` of every batch of ``loader``, preprocessed (lazily)."""
        model = self._model(runner)
        for data in loader:
            data = model.data_preprocessor(data, False)
            inputs = data['inputs'][0] if isinstance(data['inputs'], list) else data['inputs']
            yield inputs, data['data_samples']

    @torch.no_grad()
    def extract(self, runner, loader, backbone=None) -> tuple:
        """Features (L2-normalised, pooled last stage) and labels of a whole dataloader, in dataset order.

        ``backbone`` defaults to the model's (in eval mode during extraction)."""
        model = self._model(runner)
        backbone = getattr(model, self.backbone) if backbone is None else backbone
        was_training = model.training
        model.eval()
        chunks = []
        for inputs, data_samples in self._batches(runner, loader):
            feat = F.normalize(pooled(backbone(inputs)[-1]), dim=1)
            chunks.extend(zip(feat.cpu(), [int(s.gt_label) for s in data_samples]))
        model.train(was_training)
        chunks = collect_results(chunks, len(loader.dataset), device='cpu')
        if not is_main_process():
            return None, None
        return torch.stack([f for f, _ in chunks]), torch.tensor([y for _, y in chunks])

    def _evaluate(self, runner, tag: str, epoch: Optional[int] = None) -> None:
        """Score the backbone under ``tag`` after ``epoch`` finished epochs (default ``runner.epoch``)."""
        epoch = runner.epoch if epoch is None else epoch
        backbone = getattr(self._model(runner), self.backbone)
        if tag == 'random_init' and self.random_init_bn == 'data' and has_untracked_batchnorm(backbone):
            self._measure(runner, 'random_init_default_bn', backbone, epoch)
            train_inputs = (inputs for inputs, _ in self._batches(runner, self._loader(runner, 'train')))
            backbone = calibrate_batchnorm(backbone, train_inputs)
        self._measure(runner, tag, backbone, epoch)

    def _measure(self, runner, tag: str, backbone, epoch: int) -> None:
        train_feats, train_labels = self.extract(runner, self._loader(runner, 'train'), backbone)
        val_feats, val_labels = self.extract(runner, self._loader(runner, 'val'), backbone)
        top1 = [None]
        if is_main_process():
            num_classes = int(max(train_labels.max(), val_labels.max())) + 1
            top1[0] = knn_top1(train_feats, train_labels, val_feats, val_labels, num_classes, self.k,
                               self.temperature)
        broadcast_object_list(top1)
        self.results[tag] = dict(top1=top1[0], epoch=epoch, iter=runner.iter)
        if tag != 'random_init_default_bn':
            runner.message_hub.update_scalar('knn/top1', top1[0])
        runner.logger.info(f'kNN top-1 [{tag}] after epoch {epoch}, iter {runner.iter}: {top1[0]:.2f}%')
        if get_rank() == 0:
            with open(osp.join(runner.work_dir, self.out_file), 'w') as f:
                json.dump(dict(k=self.k, temperature=self.temperature, random_init_bn=self.random_init_bn,
                               results=self.results), f, indent=2)

    def _loader(self, runner, which: str):
        if not hasattr(self, f'_{which}_loader'):
            cfg = self.train_dataloader_cfg if which == 'train' else self.val_dataloader_cfg
            setattr(self, f'_{which}_loader', runner.build_dataloader(cfg, seed=runner.seed))
        return getattr(self, f'_{which}_loader')
