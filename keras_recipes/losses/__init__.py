"""Losses: classification (focal, label smoothing, poly, class-weighted),
long-tail (LDAM, logit adjustment), distillation and metric learning."""

from keras_recipes.losses import distances as distances
from keras_recipes.losses import miners as miners
from keras_recipes.losses.arcface import ArcFace as ArcFace
from keras_recipes.losses.class_weighted import (
    ClassWeightedLoss as ClassWeightedLoss,
)
from keras_recipes.losses.contrastive import ContrastiveLoss as ContrastiveLoss
from keras_recipes.losses.contrastive import (
    contrastive_loss as contrastive_loss,
)
from keras_recipes.losses.distillation import (
    DistillationLoss as DistillationLoss,
)
from keras_recipes.losses.distillation import (
    distillation_loss as distillation_loss,
)
from keras_recipes.losses.focal import FocalLoss as FocalLoss
from keras_recipes.losses.focal import focal_loss as focal_loss
from keras_recipes.losses.label_smoothing import (
    LabelSmoothingCrossentropy as LabelSmoothingCrossentropy,
)
from keras_recipes.losses.label_smoothing import (
    label_smoothing_crossentropy as label_smoothing_crossentropy,
)
from keras_recipes.losses.ldam import LDAMLoss as LDAMLoss
from keras_recipes.losses.ldam import ldam_loss as ldam_loss
from keras_recipes.losses.logit_adjusted import (
    LogitAdjustedLoss as LogitAdjustedLoss,
)
from keras_recipes.losses.logit_adjusted import (
    logit_adjusted_loss as logit_adjusted_loss,
)
from keras_recipes.losses.multi_similarity import (
    MultiSimilarityLoss as MultiSimilarityLoss,
)
from keras_recipes.losses.multi_similarity import (
    multi_similarity_loss as multi_similarity_loss,
)
from keras_recipes.losses.ntxent import NTXentLoss as NTXentLoss
from keras_recipes.losses.ntxent import ntxent_loss as ntxent_loss
from keras_recipes.losses.poly import PolyLoss as PolyLoss
from keras_recipes.losses.poly import poly_loss as poly_loss
from keras_recipes.losses.supervised_contrastive import (
    SupervisedContrastiveLoss as SupervisedContrastiveLoss,
)
from keras_recipes.losses.supervised_contrastive import (
    supervised_contrastive_loss as supervised_contrastive_loss,
)
from keras_recipes.losses.triplet import TripletLoss as TripletLoss
from keras_recipes.losses.triplet import triplet_loss as triplet_loss
from keras_recipes.losses.vicreg import VICRegLoss as VICRegLoss
from keras_recipes.losses.vicreg import vicreg_loss as vicreg_loss

__all__ = [
    "ArcFace",
    "ClassWeightedLoss",
    "ContrastiveLoss",
    "DistillationLoss",
    "FocalLoss",
    "LDAMLoss",
    "LabelSmoothingCrossentropy",
    "LogitAdjustedLoss",
    "MultiSimilarityLoss",
    "NTXentLoss",
    "PolyLoss",
    "SupervisedContrastiveLoss",
    "TripletLoss",
    "VICRegLoss",
    "contrastive_loss",
    "distillation_loss",
    "focal_loss",
    "label_smoothing_crossentropy",
    "ldam_loss",
    "logit_adjusted_loss",
    "multi_similarity_loss",
    "ntxent_loss",
    "poly_loss",
    "supervised_contrastive_loss",
    "triplet_loss",
    "vicreg_loss",
]
