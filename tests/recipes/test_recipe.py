"""Recipe: presets, JSON, the pieces it builds, and fit in both placements."""

import json
import math
import os

import keras
import numpy as np

import keras_recipes
from keras_recipes.recipes import Recipe
from keras_recipes.testing import TestCase


def tiny_images(n=48, size=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.uniform(0, 60, size=(n, size, size, 1)).astype("float32")
    x[np.arange(n), :, y * 2, 0] += 180.0  # a class-dependent column
    return x, y


def tiny_model(classes=3):
    # Kept tiny: compilation, not compute, dominates these tests.
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Rescaling(1 / 255.0)(inputs)
    h = keras.layers.Conv2D(4, 3, activation="relu")(h)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, keras.layers.Dense(classes, "softmax")(h))


def warmup_cosine_reference(step, peak, total, warmup):
    if step < warmup:
        return peak * step / warmup
    p = min(max((step - warmup) / (total - warmup), 0.0), 1.0)
    return peak * (1 + math.cos(math.pi * p)) / 2


class RecipeConfigTest(TestCase):
    def test_presets_hold_what_their_cards_say(self):
        base = Recipe.from_preset("baseline")
        self.assertEqual(
            (base.optimizer, base.schedule, base.loss, base.label_smoothing,
             base.augment, base.ema_decay, base.swa_start_epoch),
            ("adam", "constant", "crossentropy", 0.0, None, None, None),
        )
        std = Recipe.from_preset("standard")
        self.assertEqual((std.optimizer, std.schedule), ("adamw", "cosine"))
        self.assertEqual(std.label_smoothing, 0.1)
        self.assertEqual(
            [type(a).__name__ for a in std.augment],
            ["RandomFlip", "RandomErasing"],
        )
        strong = Recipe.from_preset("strong")
        self.assertIsInstance(strong.augment[-1],
                              keras_recipes.augment.MixUpOrCutMix)
        self.assertEqual(strong.ema_decay, 0.999)
        self.assertEqual(Recipe.from_preset("strong", epochs=3).epochs, 3)

    def test_json_round_trip(self):
        folder = self.get_temp_dir()
        for name in ("baseline", "standard", "strong"):
            recipe = Recipe.from_preset(name)
            path = os.path.join(folder, f"{name}.json")
            recipe.to_json(path)
            self.assertEqual(Recipe.from_json(path).get_config(),
                             recipe.get_config())
            self.assertEqual(
                Recipe.from_json(recipe.to_json()).get_config(),
                recipe.get_config(),
            )
            self.run_serialization_test(recipe)
        # A hand-written file holds just the arguments.
        bare = Recipe.from_json(json.dumps({"optimizer": "sgd",
                                            "epochs": 2}))
        self.assertEqual((bare.optimizer, bare.epochs), ("sgd", 2))
        loss = keras_recipes.losses.FocalLoss(gamma=1.0)
        custom = Recipe(loss=loss, callbacks=[
            keras_recipes.callbacks.LearningRateLogger()])
        revived = Recipe.from_json(custom.to_json())
        self.assertEqual(revived.loss.get_config(), loss.get_config())

    def test_bad_arguments(self):
        cases = [
            (dict(optimizer="rmsprop"), ValueError, "optimizer"),
            (dict(learning_rate=0.0), ValueError, "learning_rate"),
            (dict(schedule="step"), ValueError, "schedule"),
            (dict(loss="hinge"), ValueError, "loss"),
            (dict(loss=3), TypeError, "loss"),
            (dict(label_smoothing=1.0), ValueError, "label_smoothing"),
            (dict(epochs=0), ValueError, "epochs"),
            (dict(batch_size=2.5), TypeError, "batch_size"),
            (dict(augment=["flip"]), TypeError, "augment"),
            (dict(ema_decay=0.99, swa_start_epoch=2), ValueError,
             "at most one"),
            (dict(augment_placement="gpu"), ValueError, "augment_placement"),
            (dict(lookahead=1), TypeError, "lookahead"),
        ]
        for kwargs, error, pattern in cases:
            with self.assertRaisesRegex(error, pattern, msg=str(kwargs)):
                Recipe(**kwargs)
        with self.assertRaisesRegex(ValueError, "name"):
            Recipe.from_preset("extreme")
        with self.assertRaisesRegex(ValueError, "malformed JSON"):
            Recipe.from_json("{oops")
        with self.assertRaisesRegex(ValueError, "unknown fields"):
            Recipe.from_json('{"epoch": 3}')
        with self.assertRaisesRegex(ValueError, "existing recipe file"):
            Recipe.from_json("/no/such/recipe.json")
        with self.assertRaisesRegex(ValueError, "steps_per_epoch"):
            Recipe.from_preset("standard").build_optimizer()

    def test_schedule_and_loss_match_references(self):
        recipe = Recipe.from_preset("standard", epochs=4)
        optimizer = recipe.build_optimizer(steps_per_epoch=10)
        self.assertIsInstance(optimizer, keras.optimizers.AdamW)
        self.assertAllClose(optimizer.weight_decay, 0.05)
        schedule = optimizer._learning_rate
        for step in (0, 5, 10, 11, 25, 39, 40):
            self.assertAllClose(
                float(schedule(step)),
                warmup_cosine_reference(step, 2e-3, 40, 10), atol=1e-8,
            )
        one_cycle = Recipe(schedule="onecycle", learning_rate=0.1,
                           epochs=2).build_schedule(5)
        self.assertIsInstance(one_cycle, keras_recipes.schedules.OneCycle)
        self.assertEqual(one_cycle.total_steps, 10)
        lookahead = Recipe(lookahead=True).build_optimizer()
        self.assertIsInstance(lookahead, keras_recipes.optimizers.Lookahead)
        # Cross-entropy against smoothed targets, by hand.
        loss = recipe.build_loss()
        p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], "float32")
        y = np.array([0, 2])
        target = np.eye(3)[y] * 0.9 + 0.1 / 3
        expected = np.mean(-np.sum(target * np.log(p), axis=1))
        self.assertAllClose(float(loss(y, p)), expected, atol=1e-5)
        self.assertAllClose(float(loss(np.eye(3)[y], p)), expected,
                            atol=1e-5)


class RecipeFitTest(TestCase):
    def test_fit_in_both_placements_eager_and_compiled(self):
        x, y = tiny_images()
        augment = [
            keras.layers.RandomFlip("horizontal", seed=1),
            keras_recipes.augment.RandomErasing(probability=0.5, seed=2),
            keras_recipes.augment.MixUpOrCutMix(
                mixup_alpha=0.2, label_smoothing=0.0, seed=3),
        ]
        for placement, jit, ema in (("model", "auto", 0.9),
                                    ("data", False, None)):
            keras.backend.clear_session()
            recipe = Recipe(
                optimizer="adamw", learning_rate=3e-3, weight_decay=0.01,
                schedule="cosine", warmup_epochs=1, label_smoothing=0.1,
                augment=augment, ema_decay=ema, epochs=2, batch_size=16,
                seed=0, augment_placement=placement,
            )
            model = tiny_model()
            history = recipe.fit(model, x, y, validation_data=(x, y),
                                 verbose=0, jit_compile=jit)
            h = history.history
            self.assertEqual(len(h["loss"]), 2)
            self.assertTrue(np.all(np.isfinite(h["loss"])))
            self.assertIn("val_accuracy", h)
            # The logged rates are the schedule's values after 3 and 6
            # steps (48 images in batches of 16; 1 warmup epoch).
            self.assertAllClose(
                np.array(h["learning_rate"]),
                np.array([warmup_cosine_reference(k, 3e-3, 6, 3)
                          for k in (3, 6)]), atol=1e-7,
            )
            self.assertTrue(model.compiled, placement)
            # The recipe trains on one-hot targets (mixing makes soft ones).
            self.run_model_saving_test(model, x, np.eye(3)[y], atol=1e-5)

    def test_recipe_learns_and_trackers_follow(self):
        x, y = tiny_images(n=96)
        recipe = Recipe.from_preset("baseline", epochs=3, batch_size=16,
                                    seed=0, learning_rate=3e-2)
        tracker = keras_recipes.tracking.Tracker()
        model = tiny_model()
        history = recipe.fit(model, x, y, callbacks=[tracker], verbose=0)
        self.assertLess(history.history["loss"][-1],
                        history.history["loss"][0])
        self.assertEqual(tracker.records["status"], "FINISHED")
        self.assertEqual(tracker.records["params"]["recipe/name"],
                         "baseline")
        self.assertIn("learning_rate", tracker.records["metrics"][-1][1])

        class Boom(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                raise RuntimeError("boom")

        failed = keras_recipes.tracking.Tracker()
        with self.assertRaisesRegex(RuntimeError, "boom"):
            recipe.fit(tiny_model(), x, y, callbacks=[failed, Boom()],
                       epochs=1, verbose=0)
        self.assertEqual(failed.records["status"], "FAILED")
        with self.assertRaisesRegex(ValueError, r"class ids in \[0, 3\)"):
            recipe.fit(tiny_model(), x, y + 5, epochs=1, verbose=0)
