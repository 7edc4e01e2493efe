"""Search spaces: each range declares the KerasTuner hyperparameter it
names, `apply` sets the recipe fields and augmentation strengths, and bad
spaces raise naming the field."""

import keras_tuner
import pytest

from keras_recipes import augment
from keras_recipes import tuning
from keras_recipes.recipes import Recipe
from keras_recipes.tuning import search_space


def test_ranges_declare_keras_tuner_hyperparameters():
    hp = keras_tuner.HyperParameters()
    space = {
        "learning_rate": tuning.LogUniform(1e-4, 1e-2),
        "label_smoothing": tuning.Choice([0.0, 0.1, 0.2]),
        "loss": tuning.Choice(["crossentropy", "focal"]),
        "mixup_prob": tuning.Uniform(0.0, 1.0, step=0.5),
        "batch_size": tuning.IntRange(32, 96, step=32),
    }
    values = search_space.sample(space, hp)
    assert values == {"learning_rate": 1e-4, "label_smoothing": 0.0,
                      "loss": "crossentropy", "mixup_prob": 0.0,
                      "batch_size": 32}
    lr = hp.space[0]
    assert (lr.name, lr.min_value, lr.max_value, lr.sampling) == (
        "learning_rate", 1e-4, 1e-2, "log")
    assert list(hp.space[3].values) == [0.0, 0.5, 1.0]
    assert list(hp.space[4].values) == [32, 64, 96]
    # Declared again (in `fit` after `build`), a range returns hp's value.
    hp.values["learning_rate"] = 3e-3
    assert search_space.sample(space, hp)["learning_rate"] == 3e-3


def test_apply_sets_fields_and_augmentation_strengths():
    base = Recipe.from_preset("standard")
    tuned = search_space.apply(base, {
        "learning_rate": 0.004, "loss": "focal", "erasing_prob": 0.5,
        "mixup_prob": 0.3, "randaugment_magnitude": 7,
    })
    assert (tuned.learning_rate, tuned.loss) == (0.004, "focal")
    kinds = [type(layer) for layer in tuned.augment]
    assert kinds == [augment.RandAugment, type(base.augment[0]),
                     augment.RandomErasing, augment.MixUpOrCutMix]
    assert tuned.augment[0].magnitude == 7
    assert tuned.augment[2].probability == 0.5
    assert tuned.augment[3].prob == 0.3
    # The base recipe is untouched, and a strength of 0 adds no layer.
    assert base.augment[1].probability == 0.25 and len(base.augment) == 2
    plain = search_space.apply(Recipe.from_preset("baseline"),
                               {"mixup_prob": 0.0, "erasing_prob": 0.0})
    assert plain.augment is None
    strong = search_space.apply(Recipe.from_preset("strong"),
                                {"mixup_prob": 0.75})
    assert [getattr(layer, "prob", None) for layer in strong.augment][-1] \
        == 0.75 and len(strong.augment) == 3


@pytest.mark.parametrize("preset", ["baseline", "standard", "strong"])
def test_default_space_of_every_preset_applies(preset):
    space = tuning.default_space(preset)
    assert "learning_rate" in space
    hp = keras_tuner.HyperParameters()
    recipe = search_space.apply(Recipe.from_preset(preset),
                                search_space.sample(space, hp))
    assert recipe.learning_rate == space["learning_rate"].low
    assert set(hp.values) == set(space)


def test_space_config_round_trip():
    space = tuning.default_space("strong")
    again = search_space.check_space(search_space.space_config(space))
    assert again == space


def test_bad_spaces_and_ranges_raise():
    with pytest.raises(ValueError, match="Expected `space` keys.*'lr'"):
        search_space.check_space({"lr": tuning.Uniform(0, 1)})
    with pytest.raises(TypeError, match=r"space\['learning_rate'\]=0.1"):
        search_space.check_space({"learning_rate": 0.1})
    with pytest.raises(TypeError, match="Expected `space` to be a dict"):
        search_space.check_space([("learning_rate", tuning.Uniform(0, 1))])
    with pytest.raises(ValueError, match="`high` > `low`.*low=1.0, high=0.5"):
        tuning.Uniform(1.0, 0.5)
    with pytest.raises(ValueError, match="low"):
        tuning.LogUniform(0.0, 1.0)
    with pytest.raises(ValueError, match="non-empty list"):
        tuning.Choice([])
    with pytest.raises(TypeError, match="one type"):
        tuning.Choice(["a", 1])
    with pytest.raises(TypeError, match="integer|int"):
        tuning.IntRange(1.5, 4)
    with pytest.raises(ValueError, match="preset"):
        tuning.default_space("weak")
