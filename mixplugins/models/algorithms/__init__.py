from .bsim_byol import BSIMBYOL
from .bsim_mocov2 import BSIMMoCo
from .bsim_simclr import BSIMSimCLR
from .bsim_simsiam import BSIMSimSiam
from .manifoldmix import ManifoldMixClassifier, ManifoldMixMoCo
from .samix_classifier import SAMixClassifier
from .samix_moco import SAMixMoCo, SAMixPMoCo
from .unmix_byol import UnMixBYOL
from .unmix_mocov2 import UnMixMoCo
from .unmix_simclr import UnMixSimCLR

__all__ = [
    'UnMixMoCo', 'UnMixSimCLR', 'UnMixBYOL', 'BSIMMoCo', 'BSIMSimCLR', 'BSIMBYOL', 'BSIMSimSiam', 'SAMixMoCo',
    'SAMixPMoCo', 'SAMixClassifier', 'ManifoldMixClassifier', 'ManifoldMixMoCo'
]
