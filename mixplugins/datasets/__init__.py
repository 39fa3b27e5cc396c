from .digits import DigitsDataset
from .synthetic import SyntheticDataset

__all__ = ['DigitsDataset', 'SyntheticDataset']
