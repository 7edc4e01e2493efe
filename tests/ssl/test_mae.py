"""MAE: patchify and the masked-patch loss against NumPy references written
here, per-image masks (exact counts, new masks every step inside the
compiled `fit`), weight sharing with `mae.encoder`, saving, bad arguments."""

import json
import os
import zipfile

import keras
import numpy as np
import pytest

from keras_recipes import ssl
from keras_recipes.testing import TestCase

JIT = False if keras.backend.backend() == "torch" else True
MODES = (dict(run_eagerly=True), dict(jit_compile=JIT))


def np_patchify(images, p):
    """Patch (i, j) of a channels-last image, flattened row, column,
    channel, numbered row by row."""
    b, h, w, c = images.shape
    out = np.zeros((b, (h // p) * (w // p), p * p * c))
    for n in range(b):
        for i in range(h // p):
            for j in range(w // p):
                patch = images[n, i * p:(i + 1) * p, j * p:(j + 1) * p]
                out[n, i * (w // p) + j] = patch.reshape(-1)
    return out


def np_masked_patch_loss(patches, predictions, mask, norm_pix_loss):
    """He et al. (2022), from the authors' definition: per-patch target
    normalisation with the unbiased variance (torch's `var`), mean squared
    error per patch, averaged over the masked patches of each image."""
    out = np.zeros(len(patches))
    for n in range(len(patches)):
        total, count = 0.0, 0
        for j in range(patches.shape[1]):
            if not mask[n, j]:
                continue
            target = patches[n, j].astype("float64")
            if norm_pix_loss:
                target = (target - target.mean()) / np.sqrt(
                    target.var(ddof=1) + 1e-6)
            total += np.mean((predictions[n, j] - target) ** 2)
            count += 1
        out[n] = total / count
    return out


def tiny_mae(**kwargs):
    args = dict(image_shape=(16, 16, 1), patch_size=4, encoder_dim=16,
                encoder_depth=1, encoder_heads=2, decoder_dim=8,
                decoder_heads=2, seed=3)
    args.update(kwargs)
    return ssl.MAE(**args)


def images(n=32, shape=(16, 16, 1), seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, size=(n, *shape)).astype("float32")


class PatchifyTest(TestCase):
    def test_patchify_matches_numpy_and_inverts(self):
        x = np.random.default_rng(0).normal(size=(3, 8, 12, 2))
        patches = ssl.patchify(x, 4)
        self.assertAllClose(patches, np_patchify(x, 4), atol=1e-6)
        self.assertAllClose(ssl.unpatchify(patches, 4, (8, 12, 2)), x,
                            atol=1e-6)
        first = np.transpose(x, (0, 3, 1, 2))
        self.assertAllClose(
            ssl.patchify(first, 4, data_format="channels_first"),
            np_patchify(x, 4), atol=1e-6)
        self.assertAllClose(
            ssl.unpatchify(patches, 4, (2, 8, 12),
                           data_format="channels_first"), first, atol=1e-6)

    def test_patchify_bad_input(self):
        with pytest.raises(ValueError, match="divisible by `patch_size`"):
            ssl.patchify(np.zeros((2, 10, 8, 1)), 4)
        with pytest.raises(ValueError, match="4-D"):
            ssl.patchify(np.zeros((10, 8, 1)), 2)
        with pytest.raises(ValueError, match="Expected `patches` of shape"):
            ssl.unpatchify(np.zeros((2, 5, 16)), 4, (8, 8, 1))


class MaskedPatchLossTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.patches = rng.uniform(0, 1, size=(4, 6, 12))
        self.predictions = rng.normal(size=(4, 6, 12))
        self.mask = np.zeros((4, 6), "float32")
        for n in range(4):
            self.mask[n, rng.permutation(6)[:4]] = 1.0

    def test_matches_numpy(self):
        for norm_pix_loss in (True, False):
            got = ssl.masked_patch_loss(self.patches, self.predictions,
                                        self.mask, norm_pix_loss)
            want = np_masked_patch_loss(self.patches, self.predictions,
                                        self.mask, norm_pix_loss)
            self.assertAllClose(got, want, atol=1e-5, rtol=1e-5)

    def test_visible_patches_do_not_contribute(self):
        before = ssl.masked_patch_loss(self.patches, self.predictions,
                                       self.mask)
        predictions = self.predictions.copy()
        patches = self.patches.copy()
        visible = self.mask == 0
        predictions[visible] += 100.0
        patches[visible] = 0.0
        after = ssl.masked_patch_loss(patches, predictions, self.mask)
        self.assertAllClose(after, before, atol=1e-6)
        # And a masked patch does.
        predictions[self.mask == 1] += 1.0
        changed = ssl.masked_patch_loss(patches, predictions, self.mask)
        self.assertTrue(np.all(keras.ops.convert_to_numpy(changed)
                               > keras.ops.convert_to_numpy(before)))

    def test_bad_input(self):
        with pytest.raises(ValueError, match="same shape"):
            ssl.masked_patch_loss(self.patches, self.predictions[:, :, :3],
                                  self.mask)
        with pytest.raises(ValueError, match="`mask` of shape"):
            ssl.masked_patch_loss(self.patches, self.predictions,
                                  self.mask[:, :3])
        with pytest.raises(TypeError, match="norm_pix_loss"):
            ssl.masked_patch_loss(self.patches, self.predictions, self.mask,
                                  norm_pix_loss="yes")


class MAETest(TestCase):
    def test_random_masking_counts_and_differs(self):
        mae = tiny_mae(mask_ratio=0.6)  # 16 patches -> round(9.6) = 10
        ids_keep, ids_restore, mask = [
            keras.ops.convert_to_numpy(t) for t in mae.random_masking(8)]
        self.assertEqual(mae.num_masked, 10)
        self.assertEqual(mask.shape, (8, 16))
        np.testing.assert_array_equal(mask.sum(axis=1), np.full(8, 10))
        self.assertEqual(ids_keep.shape, (8, 6))
        for n in range(8):
            np.testing.assert_array_equal(mask[n, ids_keep[n]], 0)
            self.assertEqual(sorted(ids_restore[n]), list(range(16)))
        self.assertGreater(len({tuple(row) for row in mask}), 4)
        second = keras.ops.convert_to_numpy(mae.random_masking(8)[2])
        self.assertFalse(np.array_equal(mask, second))

    def test_encoder_shares_weights_with_masked_path(self):
        """All patches visible, in any order: the masked path's encoder
        tokens average to `mae.encoder`'s features."""
        mae = tiny_mae()
        x = images(4)
        ids = np.stack([np.random.default_rng(n).permutation(16)
                        for n in range(4)]).astype("int32")
        tokens = mae.encode_visible(x, ids, training=False)
        self.assertAllClose(
            keras.ops.mean(tokens, axis=1), mae.encoder(x, training=False),
            atol=1e-5, rtol=1e-4)
        self.assertAllClose(mae(x), mae.encoder(x), atol=1e-6)

    def test_compute_loss_matches_reference_path(self):
        """The training loss is the masked-patch loss of the decoder's
        predictions against the rescaled, patchified input."""
        mae = tiny_mae()
        x = images(4)
        state = keras.ops.convert_to_numpy(mae.seed_generator.state)
        loss = mae.compute_loss(x=x, training=False)
        mae.seed_generator.state.assign(state)
        predictions, mask = mae.forward_masked(x, training=False)
        want = np_masked_patch_loss(
            np_patchify(x / 255.0, 4),
            keras.ops.convert_to_numpy(predictions),
            keras.ops.convert_to_numpy(mask), True).mean()
        self.assertAllClose(loss, want, atol=1e-5, rtol=1e-5)

    @pytest.mark.filterwarnings("ignore")
    def test_fit_draws_new_masks_every_step(self):
        """With a zero learning rate the weights never change, so the loss
        of the same single batch changes only if the masks do: inside the
        compiled step too (JAX threads the seed state)."""
        x = images(4)  # the shapes of the eager tests: JAX caches the ops
        for mode in MODES:
            keras.backend.clear_session()
            mae = tiny_mae()
            mae.compile(optimizer=keras.optimizers.SGD(0.0), **mode)
            before = [keras.ops.convert_to_numpy(v) for v in mae.weights]
            history = mae.fit(x, epochs=3, batch_size=4, verbose=0)
            losses = history.history["loss"]
            self.assertEqual(sorted(history.history), ["loss"])
            self.assertTrue(np.all(np.isfinite(losses)), losses)
            self.assertEqual(len(set(np.round(losses, 7))), 3, (mode,
                                                               losses))
            for a, b in zip(before, mae.weights):
                if "seed" not in b.path:
                    self.assertAllClose(a, b)

    @pytest.mark.filterwarnings("ignore")
    def test_fit_learns_ignores_labels_and_saves(self):
        x = images(64)
        mae = tiny_mae(norm_pix_loss=False)
        mae.compile(optimizer=keras.optimizers.Adam(3e-3), jit_compile=JIT)
        history = mae.fit(x, np.zeros(64), epochs=3, batch_size=32,
                          verbose=0)
        losses = history.history["loss"]
        self.assertLess(losses[-1], losses[0])
        self.assertEqual(mae.predict(x, verbose=0).shape, (64, 16))

        loaded = self.run_model_saving_test(mae, x, atol=1e-5)
        self.assertIsInstance(loaded, ssl.MAE)
        for a, b in zip(mae.weights, loaded.weights):
            self.assertAllClose(a, b)
        self.assertAllClose(mae.decoder(np.ones((2, 16, 8))),
                            loaded.decoder(np.ones((2, 16, 8))), atol=1e-6)

        path = os.path.join(self.get_temp_dir(), "encoder.keras")
        mae.encoder.save(path)
        with zipfile.ZipFile(path) as archive:
            config = archive.read("config.json").decode()
        self.assertNotIn("keras_recipes", config)  # core Keras only
        json.loads(config)
        encoder = keras.saving.load_model(path)
        self.assertAllClose(encoder.predict(x, verbose=0),
                            mae.predict(x, verbose=0), atol=1e-5)

        recon, mask = mae.reconstruct(x[:4])
        recon = keras.ops.convert_to_numpy(recon)
        mask = keras.ops.convert_to_numpy(mask)
        self.assertEqual(recon.shape, (4, 16, 16, 1))
        visible = np_patchify(recon, 4)[mask == 0]
        self.assertAllClose(visible, np_patchify(x[:4] / 255.0, 4)[mask == 0],
                            atol=1e-5)

    def test_config_round_trip(self):
        mae = tiny_mae(mask_ratio=0.5, norm_pix_loss=False, rescaling=None)
        revived = self.run_serialization_test(mae)
        self.assertEqual(revived.num_masked, 8)
        self.assertEqual(revived.image_shape, (16, 16, 1))

    def test_channels_first(self):
        mae = tiny_mae(image_shape=(1, 16, 16), data_format="channels_first")
        x = np.transpose(images(4), (0, 3, 1, 2))
        loss = mae.compute_loss(x=x)
        self.assertTrue(np.isfinite(float(keras.ops.convert_to_numpy(loss))))
        self.assertEqual(tuple(mae(x).shape), (4, 16))

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="divisible by `patch_size`"):
            tiny_mae(image_shape=(18, 16, 1))
        with pytest.raises(ValueError, match="mask_ratio"):
            tiny_mae(mask_ratio=1.0)
        with pytest.raises(ValueError, match="mask_ratio"):
            tiny_mae(mask_ratio=0.0)
        with pytest.raises(ValueError, match="mask at least one patch"):
            tiny_mae(mask_ratio=0.01)
        with pytest.raises(ValueError, match="`decoder_dim` to be divisible"):
            tiny_mae(decoder_dim=9)
        with pytest.raises(TypeError, match="norm_pix_loss"):
            tiny_mae(norm_pix_loss=1)
        with pytest.raises(ValueError, match="data_format"):
            tiny_mae(data_format="NHWC")
