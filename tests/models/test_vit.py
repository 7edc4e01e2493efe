"""vit_encoder: shapes, parameter count by hand, the patch embedding against
a NumPy reference, training, and loading without keras_recipes."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_recipes.models import vit_encoder
from keras_recipes.testing import TestCase

JIT = False if keras.backend.backend() == "torch" else True


def count_params_by_hand(channels, patch, dim, depth, mlp_ratio,
                         num_patches, token=False):
    mlp = int(round(dim * mlp_ratio))
    total = patch * patch * channels * dim + dim  # patch embedding
    total += num_patches * dim + (dim if token else 0)  # positions, class
    block = 2 * 2 * dim  # two LayerNorms
    block += 4 * (dim * dim + dim)  # query, key, value, output
    block += dim * mlp + mlp + mlp * dim + dim  # MLP
    return total + depth * block + 2 * dim  # final LayerNorm


class ViTEncoderTest(TestCase):
    def test_shapes_and_parameter_count(self):
        for pooling, shape in (("avg", (None, 16)), ("token", (None, 16)),
                               (None, (None, 8, 16))):
            model = vit_encoder((8, 16, 3), patch_size=4, embed_dim=16,
                                depth=2, num_heads=4, mlp_ratio=1.5,
                                pooling=pooling)
            self.assertEqual(model.output_shape, shape)
            self.assertEqual(
                model.count_params(),
                count_params_by_hand(3, 4, 16, 2, 1.5, 8,
                                     token=pooling == "token"),
            )
        model = vit_encoder((1, 8, 8), patch_size=2, embed_dim=8, depth=1,
                            num_heads=2, data_format="channels_first")
        self.assertEqual(model.output_shape, (None, 8))

    def test_patch_tokens_match_numpy(self):
        """Tokens before the Transformer: each patch times the embedding
        kernel plus bias plus its position embedding (row-major order)."""
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 255, size=(2, 8, 12, 2)).astype("float32")
        model = vit_encoder((8, 12, 2), patch_size=4, embed_dim=6, depth=1,
                            num_heads=2, pooling=None)
        probe = keras.Model(model.input,
                            model.get_layer("add_pos_embed").output)
        kernel, bias = model.get_layer("patch_embed").get_weights()
        (positions,) = model.get_layer("pos_embed").get_weights()
        expected = np.zeros((2, 6, 6))
        for b in range(2):
            for i in range(2):
                for j in range(3):
                    patch = x[b, 4 * i:4 * i + 4, 4 * j:4 * j + 4] / 255.0
                    value = np.einsum("hwc,hwcd->d", patch, kernel) + bias
                    expected[b, 3 * i + j] = value + positions[3 * i + j]
        self.assertAllClose(probe.predict(x, verbose=0), expected,
                            atol=1e-4, rtol=1e-4)

    def test_avg_pooling_is_the_token_mean(self):
        x = np.random.default_rng(1).uniform(0, 255, (3, 8, 8, 1))
        tokens = vit_encoder((8, 8, 1), patch_size=2, embed_dim=8, depth=1,
                             num_heads=2, pooling=None)
        pooled = vit_encoder((8, 8, 1), patch_size=2, embed_dim=8, depth=1,
                             num_heads=2)
        pooled.set_weights(tokens.get_weights())
        self.assertAllClose(pooled.predict(x, verbose=0),
                            tokens.predict(x, verbose=0).mean(axis=1),
                            atol=1e-5, rtol=1e-5)

    def test_trains_and_loads_without_keras_recipes(self):
        rng = np.random.default_rng(0)
        y = np.arange(64) % 2
        x = rng.uniform(0, 80, size=(64, 8, 8, 1)).astype("float32")
        x[y == 1, :4] += 150.0
        encoder = vit_encoder((8, 8, 1), patch_size=4, embed_dim=8, depth=1,
                              num_heads=2, pooling="token")
        outputs = keras.layers.Dense(2, activation="softmax")(encoder.output)
        model = keras.Model(encoder.input, outputs)
        model.compile(keras.optimizers.Adam(1e-2),
                      "sparse_categorical_crossentropy", jit_compile=JIT)
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        self.assertLess(history.history["loss"][-1],
                        history.history["loss"][0])
        folder = self.get_temp_dir()
        path = os.path.join(folder, "encoder.keras")
        encoder.save(path)
        np.save(os.path.join(folder, "x.npy"), x)
        np.save(os.path.join(folder, "f.npy"), encoder.predict(x, verbose=0))
        code = (
            "import sys, numpy as np, keras; d = sys.argv[1]; "
            "m = keras.saving.load_model(d + '/encoder.keras'); "
            "f = m.predict(np.load(d + '/x.npy'), verbose=0); "
            "assert 'keras_recipes' not in sys.modules; "
            "print(float(np.abs(f - np.load(d + '/f.npy')).max()))"
        )
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        out = subprocess.run([sys.executable, "-c", code, folder], env=env,
                             capture_output=True, text=True, cwd=folder)
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        self.assertLess(float(out.stdout.strip().splitlines()[-1]), 1e-5)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="divisible by `patch_size`"):
            vit_encoder((10, 8, 1), patch_size=4)
        with pytest.raises(ValueError, match="`embed_dim` to be divisible"):
            vit_encoder((8, 8, 1), embed_dim=10, num_heads=4)
        with pytest.raises(ValueError, match="pooling"):
            vit_encoder((8, 8, 1), pooling="max")
        with pytest.raises(ValueError, match="image_shape"):
            vit_encoder((8, 8), patch_size=4)
        with pytest.raises(TypeError, match="patch_size"):
            vit_encoder((8, 8, 1), patch_size=2.5)
        with pytest.raises(ValueError, match="mlp_ratio"):
            vit_encoder((8, 8, 1), mlp_ratio=0)
