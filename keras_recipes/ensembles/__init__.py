"""keras_recipes.ensembles: averaging, voting and stacking ensembles as
`keras.Model`s that save to one `.keras` file, and bagging, boosting
(SAMME), stacking and snapshot ensembles that train them.

Snapshot ensembles are trained with
`keras_recipes.callbacks.SnapshotEnsemble` and loaded with
`load_snapshots`.
"""

from keras_recipes.ensembles.averaging import (
    AveragingEnsemble as AveragingEnsemble,
)
from keras_recipes.ensembles.averaging import (
    average_probabilities as average_probabilities,
)
from keras_recipes.ensembles.bagging import bagging as bagging
from keras_recipes.ensembles.boosting import boosting as boosting
from keras_recipes.ensembles.boosting import samme_step as samme_step
from keras_recipes.ensembles.snapshots import load_snapshots as load_snapshots
from keras_recipes.ensembles.stacking import (
    LogisticRegression as LogisticRegression,
)
from keras_recipes.ensembles.stacking import (
    StackingEnsemble as StackingEnsemble,
)
from keras_recipes.ensembles.stacking import stacking as stacking
from keras_recipes.ensembles.voting import VotingEnsemble as VotingEnsemble
from keras_recipes.ensembles.voting import vote as vote

__all__ = [
    "AveragingEnsemble",
    "LogisticRegression",
    "StackingEnsemble",
    "VotingEnsemble",
    "average_probabilities",
    "bagging",
    "boosting",
    "load_snapshots",
    "samme_step",
    "stacking",
    "vote",
]
