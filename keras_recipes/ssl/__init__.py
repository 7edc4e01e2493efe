"""Self-supervised pretraining: SimCLR, VICReg and masked autoencoders that
train an encoder with `fit` on unlabeled images, the default view pipeline,
and the linear and k-NN probes of a frozen encoder."""

from keras_recipes.ssl.mae import MAE as MAE
from keras_recipes.ssl.mae import masked_patch_loss as masked_patch_loss
from keras_recipes.ssl.mae import patchify as patchify
from keras_recipes.ssl.mae import unpatchify as unpatchify
from keras_recipes.ssl.probes import embed as embed
from keras_recipes.ssl.probes import knn_accuracy as knn_accuracy
from keras_recipes.ssl.probes import linear_probe as linear_probe
from keras_recipes.ssl.simclr import SimCLR as SimCLR
from keras_recipes.ssl.vicreg import VICReg as VICReg
from keras_recipes.ssl.views import default_views as default_views

__all__ = [
    "MAE",
    "SimCLR",
    "VICReg",
    "default_views",
    "embed",
    "knn_accuracy",
    "linear_probe",
    "masked_patch_loss",
    "patchify",
    "unpatchify",
]
