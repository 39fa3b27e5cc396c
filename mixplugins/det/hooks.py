"""Switch the visually coherent mixup off for the end of training (Bag of Freebies: Zhang et al., "Bag of Freebies
for Training Object Detection Neural Networks", 2019, arXiv:1902.04103, sec. 3.1;
``docs/methods.md#bag-of-freebies``)."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmdet.registry import HOOKS


@HOOKS.register_module()
class MixUpSwitchOffHook(Hook):
    """Skip the mixup transforms of ``MultiImageMixDataset`` for the last ``num_last_epochs`` epochs
    (epoch-based loops: from the epoch with 0-based index ``max_epochs - num_last_epochs`` on) or the last
    ``num_last_iters`` iterations (iteration-based loops: from iteration ``max_iters - num_last_iters`` on).
    Give exactly one of the two.

    Only the data pipeline changes (unlike ``YOLOXModeSwitchHook`` nothing of the model is touched), so it
    works for one- and two-stage detectors. The ``MultiImageMixDataset`` is found through the wrapper chain
    of the train dataset (``.dataset`` attributes, e.g. a ``RepeatDataset`` around it) and must run every
    type of ``skip_type_keys`` (checked before training). Data-loader workers hold copies of the dataset,
    so the hook drops the loader's (persistent) worker iterator; new workers start with the mixup off. In
    iteration-based loops the switch takes effect from the next fetched batch. Resuming after the switch
    point switches again at the first epoch / iteration.

    Args:
        num_last_epochs (int, optional): number of final epochs without mixup (>= 0).
        num_last_iters (int, optional): number of final iterations without mixup (>= 0).
        skip_type_keys (Sequence[str]): transform types to skip.
    """

    def __init__(self, num_last_epochs: Optional[int] = None, num_last_iters: Optional[int] = None,
                 skip_type_keys: Sequence[str] = ('VisuallyCoherentMixUp', )) -> None:
        if (num_last_epochs is None) == (num_last_iters is None):
            raise ValueError('give exactly one of num_last_epochs (epoch-based training) and num_last_iters '
                             f'(iteration-based), got num_last_epochs={num_last_epochs}, '
                             f'num_last_iters={num_last_iters}')
        for name, value in (('num_last_epochs', num_last_epochs), ('num_last_iters', num_last_iters)):
            if value is not None and not (isinstance(value, int) and value >= 0):
                raise ValueError(f'{name} must be an int >= 0, got {value!r}')
        if not skip_type_keys or not all(isinstance(key, str) for key in skip_type_keys):
            raise ValueError(f'skip_type_keys must be a non-empty sequence of transform type names, '
                             f'got {skip_type_keys!r}')
        self.num_last_epochs = num_last_epochs
        self.num_last_iters = num_last_iters
        self.skip_type_keys = list(skip_type_keys)
        self.switched = False

    @staticmethod
    def mix_dataset(runner):
        """The ``MultiImageMixDataset`` in the train dataset's wrapper chain."""
        dataset = runner.train_dataloader.dataset
        while not hasattr(dataset, 'update_skip_type_keys'):
            if not hasattr(dataset, 'dataset'):
                raise ValueError('MixUpSwitchOffHook needs the train dataset wrapped in MultiImageMixDataset '
                                 f'(got {type(runner.train_dataloader.dataset).__name__} without one)')
            dataset = dataset.dataset
        return dataset

    def before_train(self, runner) -> None:
        missing = [key for key in self.skip_type_keys if key not in self.mix_dataset(runner).pipeline_types]
        if missing:
            raise ValueError(f'skip_type_keys {missing} are not in the MultiImageMixDataset pipeline '
                             f'{self.mix_dataset(runner).pipeline_types}')

    def before_train_epoch(self, runner) -> None:
        if self.num_last_epochs is not None and runner.epoch >= runner.max_epochs - self.num_last_epochs:
            self.switch_off(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if (self.num_last_iters is not None and runner.iter >= runner.max_iters - self.num_last_iters
                and self.switch_off(runner)):
            # an iteration loop keeps one infinite iterator over the loader: restart it with new workers
            loop_iterator = getattr(runner.train_loop, 'dataloader_iterator', None)
            if loop_iterator is not None:
                loop_iterator._iterator = iter(runner.train_dataloader)

    def switch_off(self, runner) -> bool:
        """Add ``skip_type_keys`` to the dataset's skipped types and drop the persistent worker iterator;
        returns whether it switched now (False if already switched)."""
        if self.switched:
            return False
        dataset = self.mix_dataset(runner)
        already = list(dataset._skip_type_keys or [])
        dataset.update_skip_type_keys(already + [key for key in self.skip_type_keys if key not in already])
        runner.train_dataloader._iterator = None
        self.switched = True
        runner.logger.info(f'MixUpSwitchOffHook: {self.skip_type_keys} switched off at epoch {runner.epoch}, '
                           f'iteration {runner.iter}')
        return True
