"""RandAugment / TrivialAugment / erasing / crops against NumPy references."""

import keras
import numpy as np

from keras_recipes import augment
from keras_recipes.augment.rand_augment import OPS
from keras_recipes.testing import TestCase


def np_(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def images(b=4, h=8, w=8, c=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (b, h, w, c)).astype("float32")


def run_op(layer, x, name, magnitude, sign=1.0):
    b = x.shape[0]
    t = {
        "ops": np.full((b, 1), OPS.index(name), "int32"),
        "magnitudes": np.full((b, 1), magnitude, "float32"),
        "signs": np.full((b, 1), sign, "float32"),
    }
    return np_(layer.apply_transformation(x, t))


# Slow NumPy references, one image at a time, after PIL's definitions.
def ref_gray(img):
    return img[..., 0] * 0.299 + img[..., 1] * 0.587 + img[..., 2] * 0.114


def ref_blend(degenerate, img, f):
    return np.clip(degenerate + f * (img - degenerate), 0, 255)


def ref_equalize(img):
    out = img.copy()
    for ch in range(img.shape[-1]):
        v = img[..., ch].astype(int)
        hist = np.bincount(v.ravel(), minlength=256)
        nonzero = hist[hist > 0]
        step = (nonzero.sum() - nonzero[-1]) // 255
        if len(nonzero) <= 1 or step == 0:
            continue
        lut, n = [], step // 2
        for i in range(256):
            lut.append(min(255, n // step))
            n += hist[i]
        out[..., ch] = np.array(lut)[v]
    return out


def ref_sharpness(img, f):
    h, w, _ = img.shape
    smooth = img.copy()
    k = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13.0
    for i in range(1, h - 1):
        for j in range(1, w - 1):
            smooth[i, j] = np.einsum("ij,ijc->c", k,
                                     img[i - 1:i + 2, j - 1:j + 2])
    return ref_blend(smooth, img, f)


class RandAugmentOpsTest(TestCase):
    def test_colour_ops_match_numpy(self):
        x = images()
        layer = augment.RandAugment()
        m = 0.7
        f = 1.0 + m * 0.9
        cases = {
            "identity": lambda img: img,
            "brightness": lambda img: ref_blend(0.0, img, f),
            "color": lambda img: ref_blend(ref_gray(img)[..., None], img, f),
            "contrast": lambda img: ref_blend(ref_gray(img).mean(), img, f),
            "solarize": lambda img: np.where(img >= 256 * (1 - m),
                                             255 - img, img),
            "posterize": lambda img: (img.astype(int) & ~(2**2 - 1)).astype(
                "float32"),  # 8 - floor(0.7 * 4) = 6 bits kept
            "auto_contrast": lambda img: (
                (img - img.min((0, 1))) * 255.0
                / (img.max((0, 1)) - img.min((0, 1)))
            ),
            "equalize": ref_equalize,
            "sharpness": lambda img: ref_sharpness(img, f),
        }
        for name, ref in cases.items():
            out = run_op(layer, x, name, m)
            expected = np.stack([ref(img) for img in x])
            self.assertAllClose(out, expected, atol=1e-3, msg=name)

    def test_geometric_ops_match_numpy(self):
        x = images(2, 9, 9)
        trivial = augment.TrivialAugment()  # rotate up to 135 degrees
        plus = run_op(trivial, x, "rotate", 90 / 135, 1.0)
        minus = run_op(trivial, x, "rotate", 90 / 135, -1.0)
        # PIL's `Image.rotate`: positive degrees turn counter-clockwise,
        # which is `np.rot90(k=1)` on (rows, cols).
        self.assertAllClose(plus, np.rot90(x, 1, axes=(1, 2)))
        self.assertAllClose(minus, np.rot90(x, -1, axes=(1, 2)))
        # Translate by 3 pixels (TrivialAugment: up to 32 px), grey fill.
        out = run_op(trivial, x, "translate_x", 3 / 32, 1.0)
        ref = np.full_like(x, 128.0)
        ref[:, :, 3:] = x[:, :, :-3]
        self.assertAllClose(out, ref)
        out = run_op(trivial, x, "translate_y", 3 / 32, -1.0)
        ref = np.full_like(x, 128.0)
        ref[:, :-3] = x[:, 3:]
        self.assertAllClose(out, ref)
        # Shear x by 0.3 (RandAugment magnitude 10), nearest, about centre.
        out = run_op(augment.RandAugment(), x, "shear_x", 1.0, 1.0)
        ref = np.full_like(x, 128.0)
        for i in range(9):
            for j in range(9):
                src = np.round(j + 0.3 * (i - 4.0))
                if 0 <= src <= 8:
                    ref[:, i, j] = x[:, i, int(src)]
        self.assertAllClose(out, ref)

    def test_per_image_diversity_and_value_range(self):
        x = np.repeat(images(1, 16, 16), 32, axis=0)
        for layer in (augment.RandAugment(seed=1),
                      augment.TrivialAugment(seed=1)):
            out = np_(layer(x))
            distinct = {o.round(3).tobytes() for o in out}
            self.assertGreater(len(distinct), 8, type(layer).__name__)
        t = augment.RandAugment(seed=2).get_random_transformation(x)
        self.assertGreater(len(np.unique(np_(t["ops"])[:, 0])), 5)
        a = augment.RandAugment(value_range=(0, 1))
        b = augment.RandAugment()
        self.assertAllClose(a.apply_transformation(x / 255.0, t),
                            np_(b.apply_transformation(x, t)) / 255.0,
                            atol=1e-4)

    def test_seed_training_false_and_errors(self):
        x = images()
        a = augment.RandAugment(magnitude_std=0.5, seed=4)(x)
        b = augment.RandAugment(magnitude_std=0.5, seed=4)(x)
        # The second call of a configuration runs compiled (JAX/TF): same
        # draws, float rounding aside.
        self.assertAllClose(a, b, atol=1e-3)
        self.assertAllClose(augment.TrivialAugment()(x, training=False), x)
        with self.assertRaisesRegex(ValueError, "magnitude"):
            augment.RandAugment(magnitude=11)
        with self.assertRaisesRegex(ValueError, "value_range"):
            augment.RandAugment(value_range=(1, 0))
        with self.assertRaisesRegex(TypeError, "num_ops"):
            augment.RandAugment(num_ops=1.5)


class ErasingTest(TestCase):
    def test_fixed_boxes_match_numpy(self):
        x = images(2, 6, 6)
        boxes = np.array([[[0, 2, 1, 4], [3, 6, 3, 6]],
                          [[1, 5, 0, 1], [0, 0, 0, 0]]])
        active = np.array([[True, True], [True, False]])
        out = augment.CutOut(2, count=2, value=7).apply_transformation(
            x, {"boxes": boxes, "active": active}
        )
        ref = x.copy()
        for i in range(2):
            for k in range(2):
                if active[i, k]:
                    y0, y1, x0, x1 = boxes[i, k]
                    ref[i, y0:y1, x0:x1] = 7.0
        self.assertAllClose(out, ref)

    def test_random_erasing_sampling_rules(self):
        x = np.ones((256, 16, 16, 1), "float32")
        layer = augment.RandomErasing(probability=1.0, value=0, seed=0)
        erased = 1.0 - np_(layer(x)).reshape(256, -1).mean(1)
        # One rectangle, area in scale * 256 = [5.12, 85.3] px before the
        # sides are rounded (which can take 5.12 px down to 4 and 85.3 up
        # to about 90), when it fits.
        self.assertGreater((erased > 0).mean(), 0.9)
        pixels = erased[erased > 0] * 256
        self.assertGreaterEqual(pixels.min(), 4)
        self.assertLessEqual(pixels.max(), 96)
        # Area ~ U(0.02, 1/3) has mean 0.177; large boxes fit less often.
        self.assertTrue(0.12 < pixels.mean() / 256 < 0.2, pixels.mean())
        t = augment.RandomErasing(probability=0.5, max_count=3, seed=1)
        t = t.get_random_transformation(x)
        counts = np_(t["active"]).sum(1)
        self.assertEqual(set(np.unique(counts)) - {0, 1, 2, 3}, set())
        self.assertTrue(0.2 < (counts == 0).mean() < 0.8)
        noise = np_(augment.RandomErasing(probability=1.0, seed=2)(x))
        self.assertGreater(len(np.unique(noise)), 100)  # per-pixel noise
        self.assertAllClose(
            augment.RandomErasing(probability=0.0, seed=0)(x), x
        )
        with self.assertRaisesRegex(ValueError, "value"):
            augment.RandomErasing(value="gray")
        with self.assertRaisesRegex(ValueError, "scale"):
            augment.RandomErasing(scale=(0.5, 0.1))

    def test_cutout_size_and_count(self):
        x = np.ones((32, 20, 20, 1), "float32")
        out = np_(augment.CutOut((4, 6), count=2, seed=0)(x))
        zeros = (out == 0).reshape(32, -1).sum(1)
        self.assertTrue((zeros <= 48).all() and (zeros > 0).all())
        self.assertTrue((zeros == 24).any() or (zeros == 48).any())
        with self.assertRaisesRegex(TypeError, "size"):
            augment.CutOut(2.5)


class RandomResizedCropTest(TestCase):
    def test_fixed_box_matches_numpy_bilinear(self):
        x = images(1, 10, 12, 1)
        layer = augment.RandomResizedCrop(4, 5)
        box = np.array([[2.0, 3.0, 6.0, 8.0]], "float32")
        out = np_(layer.apply_transformation(x, {"boxes": box}))
        ref = np.zeros((1, 4, 5, 1))
        top, left, ch, cw = box[0]
        for i in range(4):
            for j in range(5):
                yy = np.clip(top + (i + 0.5) * ch / 4 - 0.5, 0, 9)
                xx = np.clip(left + (j + 0.5) * cw / 5 - 0.5, 0, 11)
                y0, x0 = int(np.floor(yy)), int(np.floor(xx))
                y1, x1 = min(y0 + 1, 9), min(x0 + 1, 11)
                dy, dx = yy - y0, xx - x0
                ref[0, i, j] = (
                    x[0, y0, x0] * (1 - dy) * (1 - dx)
                    + x[0, y0, x1] * (1 - dy) * dx
                    + x[0, y1, x0] * dy * (1 - dx) + x[0, y1, x1] * dy * dx
                )
        self.assertAllClose(out, ref, atol=1e-3)

    def test_sampled_boxes_follow_scale_and_ratio(self):
        x = images(256, 32, 32, 1)
        layer = augment.RandomResizedCrop(16, 16, scale=(0.2, 0.6),
                                          ratio=(0.5, 2.0), seed=0)
        boxes = np_(layer.get_random_transformation(x)["boxes"])
        top, left, ch, cw = boxes.T
        self.assertTrue((top >= 0).all() and (top + ch <= 32).all())
        self.assertTrue((left >= 0).all() and (left + cw <= 32).all())
        area = ch * cw / 1024
        self.assertTrue(((area > 0.15) & (area < 0.68)).all())
        ratio = cw / ch
        self.assertTrue(((ratio > 0.4) & (ratio < 2.3)).all())
        self.assertEqual(np_(layer(x)).shape, (256, 16, 16, 1))
        same = augment.RandomResizedCrop(32, 32)
        self.assertAllClose(same(x[:2], training=False), x[:2])
        self.assertEqual(
            tuple(layer(x[:2], training=False).shape), (2, 16, 16, 1)
        )
