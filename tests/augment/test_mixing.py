"""MixUp, CutMix, MixUpOrCutMix: exactness against NumPy, seeds, errors."""

import keras
import numpy as np
import pytest
import scipy.stats

from keras_recipes import augment
from keras_recipes.augment._base import sample_beta
from keras_recipes.backend.ops import KerasRandom
from keras_recipes.backend.ops import make_random
from keras_recipes.testing import TestCase


def np_(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def smooth_one_hot(labels, c, s):
    """timm's `mixup_target` one-hot: 1 - s + s/c on, s/c off."""
    y = np.full((len(labels), c), s / c, dtype="float64")
    y[np.arange(len(labels)), labels] = 1.0 - s + s / c
    return y


def constant_images(b, h=8, w=8):
    # Image i is filled with the value i + 1, so every pixel tells its source.
    return (np.arange(b, dtype="float32")[:, None, None, None] + 1.0) * \
        np.ones((b, h, w, 3), dtype="float32")


class MixUpTest(TestCase):
    def test_fixed_transformation_matches_numpy(self):
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 255, (6, 5, 4, 3)).astype("float32")
        labels = np.array([0, 3, 2, 1, 3, 0])
        lam = np.array([0.9, 0.1, 0.5, 0.3, 0.7, 1.0], dtype="float32")
        perm = np.array([5, 4, 3, 2, 1, 0])
        layer = augment.MixUp(num_classes=4, label_smoothing=0.1, mode="elem")
        xm, ym = layer.apply_transformation(
            (x, labels), {"lam": lam, "permutation": perm}
        )
        y = smooth_one_hot(labels, 4, 0.1)
        ref_x = np.empty_like(x)
        ref_y = np.empty_like(y)
        for i in range(6):  # slow reference, one image at a time
            ref_x[i] = lam[i] * x[i] + (1 - lam[i]) * x[perm[i]]
            ref_y[i] = lam[i] * y[i] + (1 - lam[i]) * y[perm[i]]
        self.assertAllClose(xm, ref_x, atol=1e-4)
        self.assertAllClose(ym, ref_y, atol=1e-6)

    def test_timm_golden_values(self):
        # timm: mixup_target(tensor([1, 2]), 3, lam=0.6, smoothing=0.3)
        # flips the batch: [[0.1, 0.52, 0.38], [0.1, 0.38, 0.52]].
        _, y = augment.mixup_batch(
            np.zeros((2, 2, 2, 1)), np.array([1, 2]), lam=0.6,
            permutation=np.array([1, 0]), num_classes=3,
            label_smoothing=0.3,
        )
        self.assertAllClose(
            y, np.array([[0.1, 0.52, 0.38], [0.1, 0.38, 0.52]]), atol=1e-6
        )

    @pytest.mark.filterwarnings("ignore")
    def test_label_formats_agree(self):
        x = constant_images(4)
        ints = np.array([2, 0, 1, 2])
        one_hot = np.eye(3, dtype="float32")[ints]
        t = {"lam": np.float32(0.25), "permutation": np.array([1, 2, 3, 0])}
        outs = [
            augment.MixUp(num_classes=3).apply_transformation((x, y), t)[1]
            for y in (ints, ints[:, None], ints.astype("int64"))
        ]
        outs.append(augment.MixUp().apply_transformation((x, one_hot), t)[1])
        d = augment.MixUp().apply_transformation(
            {"images": x, "labels": one_hot}, t
        )
        outs.append(d["labels"])
        for out in outs[1:]:
            self.assertAllClose(out, outs[0])
        soft = np.full((4, 3), 1 / 3, dtype="float32")
        _, ys = augment.MixUp().apply_transformation((x, soft), t)
        self.assertAllClose(ys, soft, atol=1e-6)

    def test_same_seed_same_output_and_training_false(self):
        x = np.random.default_rng(1).uniform(size=(8, 6, 6, 3))
        y = np.arange(8) % 4
        a = augment.MixUp(alpha=1.0, num_classes=4, seed=7)((x, y))
        b = augment.MixUp(alpha=1.0, num_classes=4, seed=7)((x, y))
        self.assertAllClose(a[0], b[0])
        self.assertAllClose(a[1], b[1])
        layer = augment.MixUp(alpha=1.0, num_classes=4, seed=7)
        first, second = layer((x, y)), layer((x, y))
        self.assertFalse(np.allclose(np_(first[1]), np_(second[1])))
        out = layer((x, y), training=False)
        self.assertAllClose(out[0], x)
        self.assertAllEqual(out[1], y)

    def test_errors(self):
        x = np.zeros((4, 8, 8, 3), "float32")
        with self.assertRaisesRegex(ValueError, "num_classes"):
            augment.MixUp()((x, np.arange(4)))
        with self.assertRaisesRegex(ValueError, "images only"):
            augment.MixUp(num_classes=4)(x)
        with self.assertRaisesRegex(ValueError, "AugmentedModel"):
            inputs = keras.Input((8, 8, 3))
            augment.MixUp(num_classes=4)(inputs)
        with self.assertRaisesRegex(ValueError, "AugmentedModel"):
            keras.Sequential([keras.Input((8, 8, 3)),
                              augment.CutMix(num_classes=4)])
        with self.assertRaisesRegex(ValueError, "alpha"):
            augment.MixUp(alpha=0)
        with self.assertRaisesRegex(ValueError, "label_smoothing"):
            augment.CutMix(label_smoothing=1.5)
        with self.assertRaisesRegex(ValueError, "mode"):
            augment.MixUp(mode="pairs")
        with self.assertRaisesRegex(ValueError, "num_classes"):
            augment.MixUp(num_classes=4)((x, np.zeros((4, 5), "float32")))
        with self.assertRaisesRegex(ValueError, "fractional|2 columns"):
            augment.MixUp()((x, np.zeros((4, 1), "float32")))
        with self.assertRaisesRegex(ValueError, "batch"):
            augment.MixUp(num_classes=4)((x[0], np.arange(1)))


class CutMixTest(TestCase):
    def test_fixed_boxes_match_numpy(self):
        x = np.random.default_rng(0).uniform(0, 9, (3, 6, 5, 2))
        x = x.astype("float32")
        labels = np.array([0, 1, 2])
        boxes = np.array([[1, 4, 0, 2], [0, 6, 0, 5], [2, 2, 1, 3]])
        perm = np.array([2, 0, 1])
        xm, ym = augment.CutMix(num_classes=3).apply_transformation(
            (x, labels), {"boxes": boxes, "permutation": perm}
        )
        ref_x = x.copy()
        ref_y = np.eye(3)[labels].astype("float64")
        for i in range(3):
            y0, y1, x0, x1 = boxes[i]
            for r in range(6):
                for c in range(5):
                    if y0 <= r < y1 and x0 <= c < x1:
                        ref_x[i, r, c] = x[perm[i], r, c]
            a = (y1 - y0) * (x1 - x0) / 30.0
            ref_y[i] = (1 - a) * np.eye(3)[labels[i]] + a * np.eye(3)[
                labels[perm[i]]]
        self.assertAllClose(xm, ref_x)
        self.assertAllClose(ym, ref_y, atol=1e-6)

    def test_label_weight_is_kept_area_after_clipping(self):
        # Random boxes (often clipped at the borders, alpha small so boxes
        # are large): the partner's label weight must equal the fraction of
        # pixels that actually come from the partner.
        b, h, w = 16, 9, 7
        x = constant_images(b, h, w)
        labels = np.arange(b)
        layer = augment.CutMix(alpha=0.5, num_classes=b, mode="elem",
                               seed=3)
        clipped = 0
        for _ in range(3):
            t = layer.get_random_transformation((x, labels))
            xm, ym = layer.apply_transformation((x, labels), t)
            xm, ym, perm = np_(xm), np_(ym), np_(t["permutation"])
            boxes = np_(t["boxes"])
            for i in range(b):
                if perm[i] == i:
                    continue
                pasted = np.mean(xm[i, :, :, 0] == perm[i] + 1.0)
                self.assertAllClose(ym[i, perm[i]], pasted, atol=1e-6)
                self.assertAllClose(ym[i, i], 1.0 - pasted, atol=1e-6)
                clipped += int(boxes[i, 0] == 0 or boxes[i, 1] == h
                               or boxes[i, 2] == 0 or boxes[i, 3] == w)
        self.assertGreater(clipped, 0)

    def test_timm_box_rule(self):
        # timm's rand_bbox on 16x16: side = floor(16 * sqrt(1 - lam)), half
        # = floor(side / 2) on each side of a centre drawn uniformly from
        # the 16 pixel rows (columns), then clipped to the image.
        from keras_recipes.augment._mixing import cutmix_boxes

        n, h = 512, 16
        lam = np.where(np.arange(n) % 2 == 0, 0.75, 0.9375).astype("f")
        half = np.floor(np.floor(h * np.sqrt(1 - lam)) / 2).astype(int)
        self.assertEqual(sorted(set(half)), [2, 4])
        boxes = np_(cutmix_boxes(keras.ops, make_random(keras.ops, seed=1),
                                 keras.ops.convert_to_tensor(lam), h, h))
        for lo, hi in ((0, 1), (2, 3)):
            start, end = boxes[:, lo], boxes[:, hi]
            # The centre: `start + half` unless clipped at 0.
            centre = np.where(start > 0, start + half, end - half)
            self.assertTrue(((centre >= 0) & (centre < h)).all())
            self.assertAllEqual(start, np.maximum(centre - half, 0))
            self.assertAllEqual(end, np.minimum(centre + half, h))
            self.assertTrue((end - start >= half).all())  # never empty
            self.assertEqual(len(np.unique(centre)), h)  # all rows drawn
        shared = np_(cutmix_boxes(keras.ops, make_random(keras.ops, seed=1),
                                  keras.ops.full((4,), 0.75), h, h,
                                  shared=True))
        self.assertTrue((shared == shared[0]).all())  # batch mode: one box
        self.assertAllEqual(shared[:, 1] - shared[:, 0] <= 8, [True] * 4)

    def test_functional_matches_layer_and_seed(self):
        x = constant_images(4)
        y = np.arange(4)
        a = augment.cutmix_batch(x, y, num_classes=4, seed=5)
        b = augment.cutmix_batch(x, y, num_classes=4, seed=5)
        self.assertAllClose(a[0], b[0])
        self.assertAllClose(a[1], b[1])
        self.assertAllClose(np_(a[1]).sum(axis=1), np.ones(4), atol=1e-6)


class MixUpOrCutMixTest(TestCase):
    def test_switch_and_prob(self):
        x = constant_images(8)
        y = np.arange(8) % 4
        cut_only = augment.MixUpOrCutMix(switch_prob=1.0, num_classes=4,
                                         label_smoothing=0.0, seed=0)
        xm = np_(cut_only((x, y))[0])
        # CutMix pastes pixels: every value is one of the source constants.
        self.assertTrue(np.isin(xm, np.arange(1, 9)).all())
        mix_only = augment.MixUpOrCutMix(switch_prob=0.0, num_classes=4,
                                         label_smoothing=0.0, seed=0)
        xm = np_(mix_only((x, y))[0])
        per_image = xm.reshape(8, -1)
        self.assertAllClose(per_image.min(1), per_image.max(1))  # uniform
        never = augment.MixUpOrCutMix(prob=0.0, num_classes=4,
                                      label_smoothing=0.1, seed=0)
        xn, yn = never((x, y))
        self.assertAllClose(xn, x)
        self.assertAllClose(yn, smooth_one_hot(y, 4, 0.1), atol=1e-6)

    def test_elem_mode_mixes_per_image(self):
        x = constant_images(16)
        y = np.arange(16) % 4
        layer = augment.MixUpOrCutMix(mode="elem", num_classes=4, seed=2)
        t = layer.get_random_transformation((x, y))
        self.assertGreater(len(np.unique(np_(t["lam"]))), 4)
        self.assertEqual(np_(t["use_cutmix"]).shape, (16,))
        self.assertTrue(0 < np_(t["use_cutmix"]).sum() < 16)
        _, ym = layer.apply_transformation((x, y), t)
        self.assertAllClose(np_(ym).sum(1), np.ones(16), atol=1e-5)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "mixup_alpha"):
            augment.MixUpOrCutMix(mixup_alpha=0, cutmix_alpha=0)
        with self.assertRaisesRegex(ValueError, "switch_prob"):
            augment.MixUpOrCutMix(switch_prob=2.0)
        with self.assertRaisesRegex(TypeError, "num_classes"):
            augment.MixUpOrCutMix(num_classes="10")


class BetaSamplerTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_matches_scipy_beta(self):
        # Our own Marsaglia-Tsang sampler (used on TensorFlow and tf.data),
        # on every backend: force it by hiding `keras.random.beta`.
        class OwnSampler(KerasRandom):
            def beta(self, shape, alpha, beta):
                return None

        for alpha in (0.2, 1.0, 2.5):
            rng = OwnSampler(keras.random.SeedGenerator(11))
            draws = np_(sample_beta(keras.ops, rng, (20000,), alpha))
            self.assertTrue(np.isfinite(draws).all())
            # Kolmogorov-Smirnov distance on [0.001, 0.999]: float32 rounds
            # draws within 6e-8 of 1 to 1.0 (2% of Beta(0.2, 0.2)'s mass, for
            # keras.random.beta too), so the extreme tail is left out.
            grid = np.linspace(0.001, 0.999, 999)
            ecdf = np.searchsorted(np.sort(draws), grid, side="right") / len(
                draws)
            stat = np.abs(ecdf - scipy.stats.beta(alpha, alpha).cdf(grid))
            self.assertLess(stat.max(), 0.015, msg=f"alpha={alpha}")


class MixBatchCoreTest(TestCase):
    """`mix_batch` is the one core: NumPy reference, modes, label checks."""

    def test_switch_matches_numpy(self):
        rng = np.random.default_rng(1)
        x = rng.uniform(0, 1, (4, 6, 6, 2)).astype("float32")
        labels = np.array([0, 1, 2, 1])
        perm = np.array([2, 3, 0, 1])
        lam = np.array([0.2, 0.4, 0.6, 0.8], "float32")
        boxes = np.array([[0, 3, 0, 3], [1, 6, 2, 4], [0, 0, 0, 0],
                          [2, 4, 0, 6]])
        use_cut = np.array([True, False, True, False])
        xm, ym = augment.mix_batch(
            x, labels, perm, lam=lam, boxes=boxes, use_cutmix=use_cut,
            num_classes=3, label_smoothing=0.3,
        )
        y = smooth_one_hot(labels, 3, 0.3)
        for i in range(4):  # slow reference, one image at a time
            j = perm[i]
            if use_cut[i]:
                y0, y1, x0, x1 = boxes[i]
                ref = x[i].copy()
                ref[y0:y1, x0:x1] = x[j, y0:y1, x0:x1]
                w = 1 - (y1 - y0) * (x1 - x0) / 36
            else:
                ref = lam[i] * x[i] + (1 - lam[i]) * x[j]
                w = lam[i]
            self.assertAllClose(np_(xm)[i], ref, atol=1e-6)
            self.assertAllClose(np_(ym)[i], w * y[i] + (1 - w) * y[j],
                                atol=1e-6)
        # channels_first gives the transposed result.
        xf, yf = augment.mix_batch(
            x.transpose(0, 3, 1, 2), labels, perm, lam=lam, boxes=boxes,
            use_cutmix=use_cut, num_classes=3, label_smoothing=0.3,
            data_format="channels_first",
        )
        self.assertAllClose(np_(xf).transpose(0, 2, 3, 1), xm, atol=1e-6)
        self.assertAllClose(yf, ym)

    def test_functional_forms_equal_layers_in_every_mode(self):
        x = np.random.default_rng(0).uniform(size=(6, 8, 8, 3)).astype("f")
        y = np.arange(6) % 3
        for mode in ("batch", "pair", "elem"):
            for layer_cls, fn in ((augment.MixUp, augment.mixup_batch),
                                  (augment.CutMix, augment.cutmix_batch)):
                name = f"{layer_cls.__name__} {mode}"
                a = layer_cls(num_classes=3, seed=3, mode=mode)((x, y))
                b = fn(x, y, num_classes=3, seed=3, mode=mode)
                self.assertAllClose(a[0], b[0], atol=1e-5, msg=name)
                self.assertAllClose(a[1], b[1], atol=1e-5, msg=name)
                self.assertAllClose(np_(b[1]).sum(1), np.ones(6), atol=1e-5)

    def test_pair_mode_swaps_within_pairs(self):
        x = constant_images(8)
        y = np.arange(8) % 4
        for layer in (augment.MixUp(num_classes=4, mode="pair", seed=0),
                      augment.CutMix(num_classes=4, mode="pair", seed=0),
                      augment.MixUpOrCutMix(num_classes=4, mode="pair",
                                            seed=0)):
            t = {k: np_(v) for k, v in
                 layer.get_random_transformation((x, y)).items()}
            perm = t["permutation"]
            self.assertAllEqual(perm[perm], np.arange(8))  # a matching
            self.assertTrue((perm != np.arange(8)).all())  # even: no self
            for key, value in t.items():
                if key != "permutation":  # shared by both of a pair
                    self.assertAllClose(value, value[perm], msg=key)
            self.assertGreater(len(np.unique(perm)), 1)
        # An odd batch leaves one image paired with itself, unmixed.
        t = augment.MixUp(num_classes=4, mode="pair", seed=0) \
            .get_random_transformation((x[:7], y[:7]))
        perm = np_(t["permutation"])
        self.assertAllEqual(perm[perm], np.arange(7))
        self.assertEqual(int((perm == np.arange(7)).sum()), 1)
        with self.assertRaisesRegex(ValueError, "mode"):
            augment.MixUp(mode="pairs")
        with self.assertRaisesRegex(ValueError, "mode"):
            augment.mixup_batch(x, y, num_classes=4, mode="pairs")

    def test_out_of_range_labels_raise_on_the_host(self):
        x = constant_images(4)
        bad = np.array([0, 1, 2, 12])
        for call in (
            lambda: augment.MixUp(num_classes=10, seed=0)((x, bad)),
            lambda: augment.CutMix(num_classes=10, seed=0)((x, bad)),
            lambda: augment.MixUpOrCutMix(num_classes=10, seed=0)((x, bad)),
            lambda: augment.mixup_batch(x, bad, num_classes=10),
            lambda: augment.cutmix_batch(x, bad, num_classes=10),
            lambda: augment.mix_batch(x, bad, np.arange(4), lam=0.5,
                                      num_classes=10),
        ):
            with self.assertRaisesRegex(ValueError, r"labels.*\[0, 10\)"):
                call()
        with self.assertRaisesRegex(ValueError, r"\[-1, 2\]"):
            augment.mixup_batch(x, np.array([0, 1, 2, -1]), num_classes=10)

    def test_out_of_range_labels_give_nan_inside_a_compiled_step(self):
        layer = augment.MixUp(num_classes=4, seed=0)
        x = constant_images(4)
        # tf.function may not create the seed variable: pass one in.
        seed = (keras.random.SeedGenerator(0)
                if keras.backend.backend() == "tensorflow" else 0)
        fn = keras_jit(lambda a, b: layer((a, b), seed=seed)[1])
        if fn is None:
            # torch steps run eagerly (jit_compile=False), where the values
            # are visible: fit raises on the host instead.
            model = augment.AugmentedModel(
                keras.Sequential([keras.layers.Flatten(),
                                  keras.layers.Dense(4)]), augment=layer)
            model.compile("sgd", "categorical_crossentropy")
            with self.assertRaisesRegex(ValueError, r"\[0, 4\)"):
                model.fit(x, np.array([0, 1, 2, 9]), verbose=0)
            return
        targets = np_(fn(keras.ops.convert_to_tensor(x),
                         keras.ops.convert_to_tensor(np.array([0, 1, 2, 9]))))
        self.assertTrue(np.isnan(targets).any())
        perm = np_(layer.get_random_transformation(
            (x, np.array([0, 1, 2, 3])), seed=0)["permutation"])
        clean = np.array([perm[i] != 3 and i != 3 for i in range(4)])
        self.assertFalse(np.isnan(targets[clean]).any())

    def test_length_and_permutation_errors(self):
        x = constant_images(6)
        for call in (
            lambda: augment.MixUp(num_classes=3)((x, np.arange(4) % 3)),
            lambda: augment.cutmix_batch(x, np.arange(4) % 3, num_classes=3),
        ):
            with self.assertRaisesRegex(ValueError, "4 labels.*6 images"):
                call()
        with self.assertRaisesRegex(ValueError, "permutation"):
            augment.mix_batch(x, np.arange(6) % 3, np.arange(1, 7), lam=0.5,
                              num_classes=3)
        with self.assertRaisesRegex(ValueError, "lam.*boxes"):
            augment.mix_batch(x, np.arange(6) % 3, np.arange(6),
                              num_classes=3)


def keras_jit(fn):
    """`fn` traced by the backend's compiler, or None on torch."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)
    return None
