"""The `Recipe` presets: `baseline`, `standard` and `strong`, as the keyword
arguments of `Recipe` (documented as recipe cards in
`docs/recipes/recipes.md`)."""

import keras


def _presets():
    """The preset configurations, built on demand (fresh layers each
    time)."""
    from keras_recipes import augment

    return {
        "baseline": dict(
            name="baseline", optimizer="adam", learning_rate=1e-3,
            weight_decay=0.0, schedule="constant", warmup_epochs=0.0,
            loss="crossentropy", label_smoothing=0.0, augment=None,
            ema_decay=None, swa_start_epoch=None, epochs=15, batch_size=128,
        ),
        "standard": dict(
            name="standard", optimizer="adamw", learning_rate=2e-3,
            weight_decay=0.05, schedule="cosine", warmup_epochs=1.0,
            loss="crossentropy", label_smoothing=0.1,
            augment=[
                keras.layers.RandomFlip("horizontal"),
                augment.RandomErasing(probability=0.25),
            ],
            ema_decay=None, swa_start_epoch=None, epochs=15, batch_size=128,
        ),
        "strong": dict(
            name="strong", optimizer="adamw", learning_rate=2e-3,
            weight_decay=0.05, schedule="cosine", warmup_epochs=1.0,
            loss="crossentropy", label_smoothing=0.1,
            augment=[
                keras.layers.RandomFlip("horizontal"),
                augment.RandomErasing(probability=0.25),
                augment.MixUpOrCutMix(
                    mixup_alpha=0.2, cutmix_alpha=1.0, switch_prob=0.5,
                    prob=0.5, label_smoothing=0.0,
                ),
            ],
            ema_decay=0.999, swa_start_epoch=None, epochs=15,
            batch_size=128,
        ),
    }


PRESETS = ("baseline", "standard", "strong")


def preset_config(name):
    """The keyword arguments of preset `name`, with fresh augmentation
    layers (callers may change them)."""
    return _presets()[name]
