"""keras-recipes: model-training techniques for Keras 3 on every backend.

Importing `keras_recipes` imports Keras and NumPy only; it never imports
TensorFlow, JAX or torch beyond what Keras's configured backend does, and the
optional extras (MLflow, KerasTuner, matplotlib, ...) are imported lazily by the
features that need them.
"""

from keras_recipes import api_export as api_export
from keras_recipes import augment as augment
from keras_recipes import callbacks as callbacks
from keras_recipes import data as data
from keras_recipes import datasets as datasets
from keras_recipes import distillation as distillation
from keras_recipes import ensembles as ensembles
from keras_recipes import evaluation as evaluation
from keras_recipes import losses as losses
from keras_recipes import metrics as metrics
from keras_recipes import models as models
from keras_recipes import multitask as multitask
from keras_recipes import optimizers as optimizers
from keras_recipes import recipes as recipes
from keras_recipes import schedules as schedules
from keras_recipes import ssl as ssl
from keras_recipes import tracking as tracking
from keras_recipes import transfer as transfer
from keras_recipes import tuning as tuning
from keras_recipes.callbacks import find_learning_rate as find_learning_rate
from keras_recipes.version import __version__ as __version__
