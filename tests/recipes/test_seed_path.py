"""One seed path: a seed reproduces the same weights in both placements and
with any number of workers, and reaches every layer."""

import concurrent.futures

import keras
import numpy as np

import keras_recipes
from keras_recipes import augment
from keras_recipes.recipes import Recipe
from keras_recipes.testing import TestCase
from tests.recipes.test_recipe import tiny_images
from tests.recipes.test_recipe import tiny_model


def fresh_copy(model):
    clone = tiny_model()
    clone.set_weights(model.get_weights())
    return clone


def fit_weights(model, x, y, **kwargs):
    recipe_kwargs = {k: kwargs.pop(k) for k in
                     ("seed", "augment_placement", "augment")}
    recipe = Recipe(optimizer="sgd", learning_rate=0.05, schedule="constant",
                    epochs=2, batch_size=16, **recipe_kwargs)
    recipe.fit(model, x, y, verbose=0, **kwargs)
    return [np.asarray(w) for w in model.get_weights()]


def host_layers():
    # Layers built without a seed: only the recipe's seed can fix them.
    return [augment.RandAugment(num_ops=1), augment.MixUp(num_classes=3)]


class SeedPathTest(TestCase):
    def test_recipe_fit_with_two_workers_and_host_mixup_is_reproducible(self):
        x, y = tiny_images(64)
        base = tiny_model()
        a = fit_weights(fresh_copy(base), x, y, seed=3, workers=2,
                        augment_placement="data", augment=host_layers())
        b = fit_weights(fresh_copy(base), x, y, seed=3, workers=2,
                        augment_placement="data", augment=host_layers())
        d = fit_weights(fresh_copy(base), x, y, seed=4, workers=2,
                        augment_placement="data", augment=host_layers())
        # (On JAX and torch, workers=1 trains on another stream: Keras
        # 3.15's PyDataset adapter prefetches while it peeks, before its
        # first `on_epoch_end`; see `data.batches`.
        # `data.batches` gives the same batch for an index whichever thread
        # builds it, see below.)
        for wa, wb in zip(a, b):
            self.assertAllClose(wa, wb, atol=1e-6, rtol=1e-6)
        self.assertFalse(all(np.allclose(wa, wd) for wa, wd in zip(a, d)))

    def test_recipe_seed_reaches_the_layers_in_model_placement(self):
        x, y = tiny_images(64)
        base = tiny_model()
        runs = [
            fit_weights(fresh_copy(base), x, y, seed=seed,
                        augment_placement="model", augment=host_layers(),
                        jit_compile=False)
            for seed in (5, 5, 6)
        ]
        for wa, wb in zip(runs[0], runs[1]):
            self.assertAllClose(wa, wb, atol=1e-6, rtol=1e-6)
        self.assertFalse(
            all(np.allclose(wa, wc) for wa, wc in zip(runs[0], runs[2]))
        )

    def test_batches_do_not_depend_on_threads_or_order(self):
        x, y = tiny_images(64)
        layers = [augment.RandAugment(num_ops=2),
                  augment.MixUpOrCutMix(num_classes=3)]
        data = keras_recipes.data.batches(x, y, 8, augment=layers, seed=1,
                                          workers=2)
        sequential = [data[i] for i in range(len(data))]
        # The same dataset read by two threads, in reverse order, twice.
        other = keras_recipes.data.batches(x, y, 8, augment=layers, seed=1,
                                           workers=2)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            threaded = list(pool.map(other.__getitem__,
                                     list(range(len(data)))[::-1] * 2))
        threaded = threaded[:len(data)][::-1]
        for (xa, ya), (xb, yb) in zip(sequential, threaded):
            self.assertAllClose(xa, xb, atol=1e-5)
            self.assertAllClose(ya, yb, atol=1e-6)

    def test_a_seed_generator_passed_to_a_call_is_used(self):
        x = np.random.default_rng(0).uniform(size=(4, 8, 8, 3)).astype("f")
        y = np.arange(4) % 2
        layer = augment.MixUp(num_classes=2, mode="elem")
        a = layer((x, y), seed=keras.random.SeedGenerator(7))
        b = layer((x, y), seed=keras.random.SeedGenerator(7))
        self.assertAllClose(a[1], b[1])
        generator = keras.random.SeedGenerator(7)
        first = layer((x, y), seed=generator)
        second = layer((x, y), seed=generator)  # advanced: new draws
        self.assertAllClose(first[1], a[1])
        self.assertFalse(np.allclose(first[1], second[1]))
        with self.assertRaisesRegex(TypeError, "seed"):
            layer((x, y), seed="seven")

    def test_tf_data_honours_the_seed_on_every_backend(self):
        import tensorflow as tf

        x = np.random.default_rng(0).uniform(size=(8, 8, 8, 3)).astype("f")
        y = np.arange(8) % 2

        def run(seed):
            layer = augment.MixUp(num_classes=2, mode="elem", seed=seed)
            ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
            return np.concatenate(
                [np.asarray(t) for _, t in ds.map(layer)]
            )

        self.assertAllClose(run(11), run(11))
        self.assertFalse(np.allclose(run(11), run(12)))
