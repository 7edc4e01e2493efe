import keras
import numpy as np
import pytest

from keras_recipes import callbacks
from keras_recipes import transfer
from keras_recipes.testing import TestCase

BACKEND = keras.backend.backend()
JIT = False if BACKEND == "torch" else True


def _numpy(variables):
    return [keras.ops.convert_to_numpy(v.value).copy() for v in variables]


def _tiny_mobilenet():
    return keras.applications.MobileNetV3Small(
        input_shape=(32, 32, 3), include_top=False, weights=None,
        minimalistic=True, alpha=0.75, include_preprocessing=False,
        pooling="avg")


def _cnn_backbone():
    inputs = keras.Input((12, 12, 3))
    h = keras.layers.Conv2D(4, 3, name="conv_a")(inputs)
    h = keras.layers.BatchNormalization(name="bn_a")(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2D(6, 3, name="conv_b")(h)
    h = keras.layers.BatchNormalization(name="bn_b")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    return keras.Model(inputs, h, name="backbone")


def _classifier(backbone, num_classes=3):
    inputs = keras.Input(backbone.input_shape[1:])
    features = backbone(inputs)
    outputs = keras.layers.Dense(num_classes, name="head")(features)
    return keras.Model(inputs, outputs)


def _images(n, size, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, size, size, 3)).astype("float32")
    y = rng.integers(0, classes, size=(n,))
    return x, y


LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _moving_stats(model):
    return [w for w in model.weights if "moving" in w.path]


class FreezeTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_frozen_mobilenet_keeps_batch_norm_statistics_through_fit(self):
        backbone = _tiny_mobilenet()
        model = _classifier(backbone)
        frozen = transfer.freeze(backbone)
        self.assertLen(frozen, len(backbone.layers))
        stats = _numpy(_moving_stats(backbone))
        self.assertGreater(len(stats), 10)
        weights = _numpy(backbone.weights)
        head = _numpy(model.get_layer("head").weights)
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss=LOSS,
                      jit_compile=JIT)
        x, y = _images(16, 32)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        for v, before in zip(backbone.weights, weights):
            self.assertAllEqual(v.value, before)  # stats and kernels
        moved = [np.abs(keras.ops.convert_to_numpy(v.value) - h).max()
                 for v, h in zip(model.get_layer("head").weights, head)]
        self.assertGreater(max(moved), 1e-4)

    @pytest.mark.filterwarnings("ignore")
    def test_unfrozen_batch_norm_would_move(self):
        # The control: without freezing, the same fit changes the stats.
        backbone = _cnn_backbone()
        model = _classifier(backbone)
        stats = _numpy(_moving_stats(backbone))
        model.compile(optimizer="adam", loss=LOSS, jit_compile=JIT)
        model.fit(*_images(16, 12), batch_size=8, epochs=1, verbose=0)
        changed = [np.abs(keras.ops.convert_to_numpy(v.value) - s).max()
                   for v, s in zip(_moving_stats(backbone), stats)]
        self.assertGreater(max(changed), 1e-4)
        # Frozen, the same layers run in inference mode even when called
        # with training=True: identical outputs.
        x = _images(4, 12)[0]
        transfer.freeze(backbone)
        self.assertAllClose(backbone(x, training=True),
                            backbone(x, training=False), atol=1e-5)

    def test_name_index_fraction(self):
        backbone = _cnn_backbone()  # 7 layers, input layer included
        names = [layer.name for layer in backbone.layers]

        def trainable():
            return [layer.trainable for layer in backbone.layers]

        transfer.freeze(backbone, up_to="bn_a")
        self.assertEqual(trainable(), [False] * 3 + [True] * 4)
        transfer.unfreeze(backbone, include_batchnorm=True)
        transfer.freeze(backbone, up_to=2)
        self.assertEqual(trainable(), [False] * 2 + [True] * 5)
        transfer.unfreeze(backbone, include_batchnorm=True)
        transfer.freeze(backbone, up_to=0.5)
        self.assertEqual(trainable(), [False] * 4 + [True] * 3)  # 3.5
        transfer.unfreeze(backbone, include_batchnorm=True)
        transfer.freeze(backbone, up_to=-1)
        self.assertEqual(trainable(), [False] * 6 + [True])
        transfer.freeze(backbone)
        self.assertEqual(trainable(), [False] * 7)
        transfer.unfreeze(backbone, from_="conv_b")
        expected = [i >= names.index("conv_b") and name != "bn_b"
                    for i, name in enumerate(names)]
        self.assertEqual(trainable(), expected)
        transfer.unfreeze(backbone, from_=0.75, include_batchnorm=True)
        self.assertTrue(backbone.get_layer("bn_b").trainable)
        self.assertFalse(backbone.get_layer("bn_a").trainable)

    def test_validation(self):
        backbone = _cnn_backbone()
        with self.assertRaisesRegex(ValueError, "up_to='nope'"):
            transfer.freeze(backbone, up_to="nope")
        with self.assertRaisesRegex(ValueError, "up_to=99"):
            transfer.freeze(backbone, up_to=99)
        with self.assertRaisesRegex(ValueError, "from_=1.5"):
            transfer.unfreeze(backbone, from_=1.5)
        with self.assertRaisesRegex(TypeError, "from_"):
            transfer.unfreeze(backbone, from_=[1])
        with self.assertRaisesRegex(TypeError, "model"):
            transfer.freeze(keras.layers.Dense(2))
        with self.assertRaisesRegex(TypeError, "include_batchnorm"):
            transfer.unfreeze(backbone, include_batchnorm="no")


def _mlp():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5,))
    h = keras.layers.Dense(6, activation="tanh", name="d0")(inputs)
    h = keras.layers.Dense(6, activation="tanh", name="d1")(h)
    h = keras.layers.Dense(6, activation="tanh", name="d2")(h)
    return keras.Model(inputs, keras.layers.Dense(3, name="d3")(h))


class GradualUnfreezingTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_unfreezes_top_down_in_compiled_fit(self):
        model = _mlp()
        transfer.freeze(model, up_to=-1)  # only d3 trains
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss=LOSS,
                      jit_compile=JIT)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(32, 5)).astype("float32")
        y = rng.integers(0, 3, size=(32,))

        class Snapshots(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.kernels = []

            def on_epoch_end(self, epoch, logs=None):
                self.kernels.append({
                    name: keras.ops.convert_to_numpy(
                        self.model.get_layer(name).kernel.value).copy()
                    for name in ("d0", "d1", "d2", "d3")})

        initial = {name: keras.ops.convert_to_numpy(
            model.get_layer(name).kernel.value).copy()
            for name in ("d0", "d1", "d2", "d3")}
        snaps = Snapshots()
        history = model.fit(
            x, y, batch_size=8, epochs=4, verbose=0,
            callbacks=[transfer.GradualUnfreezing({1: "d2", 2: 0.25}),
                       snaps, callbacks.LearningRateLogger()])
        self.assertEqual(
            history.history["gradual_unfreezing/trainable_variables"],
            [2, 4, 8, 8])
        k = [initial] + snaps.kernels

        def moved(epoch, name):
            return np.abs(k[epoch + 1][name] - k[epoch][name]).max() > 1e-6

        self.assertEqual([moved(0, n) for n in ("d0", "d1", "d2", "d3")],
                         [False, False, False, True])
        self.assertEqual([moved(1, n) for n in ("d0", "d1", "d2", "d3")],
                         [False, False, True, True])
        self.assertEqual([moved(2, n) for n in ("d0", "d1", "d2", "d3")],
                         [True, True, True, True])
        self.assertEqual(int(model.optimizer.iterations), 16)

    def test_validation_and_config(self):
        with self.assertRaisesRegex(ValueError, "schedule"):
            transfer.GradualUnfreezing({})
        with self.assertRaisesRegex(ValueError, "epochs"):
            transfer.GradualUnfreezing({-1: 0})
        unfreezer = transfer.GradualUnfreezing(["d3", None, 0.5])
        self.assertEqual(unfreezer.schedule, {0: "d3", 2: 0.5})
        self.run_serialization_test(unfreezer)


class LayerwiseLearningRatesTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_rates_per_block_and_save_load(self):
        model = _mlp()
        opt = transfer.layerwise_learning_rates(
            model, 0.1, decay=0.5, optimizer="sgd", num_blocks=2)
        self.assertIsInstance(opt, keras.optimizers.MultiOptimizer)
        expected = {"d0": 0.05, "d1": 0.05, "d2": 0.1, "d3": 0.1}
        rng = np.random.default_rng(0)
        x = rng.normal(size=(16, 5)).astype("float32")
        y = rng.integers(0, 3, size=(16,))
        before = {n: _numpy(model.get_layer(n).weights)
                  for n in expected}
        # One full-batch SGD step: delta = -rate * gradient, per block.
        model.compile(optimizer=opt, loss=LOSS, jit_compile=JIT)
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        reference = _mlp()
        reference.compile(optimizer=keras.optimizers.SGD(1.0), loss=LOSS,
                          jit_compile=JIT)
        reference.fit(x, y, batch_size=16, epochs=1, shuffle=False,
                      verbose=0)  # delta = -gradient
        for name, rate in expected.items():
            for w, w0, r in zip(model.get_layer(name).weights, before[name],
                                reference.get_layer(name).weights):
                grad = w0 - keras.ops.convert_to_numpy(r.value)
                self.assertAllClose(w.value, w0 - rate * grad, atol=1e-6,
                                    rtol=1e-5)
        loaded = self.run_model_saving_test(model, x, y)
        self.assertEqual(
            [round(float(o.learning_rate), 6)
             for o in loaded.optimizer.optimizers], [0.05, 0.1])
        for a, b in zip(loaded.optimizer.variables, opt.variables):
            self.assertAllClose(a.value, b.value)

    def test_one_block_per_layer_with_nested_backbone(self):
        backbone = _cnn_backbone()
        model = _classifier(backbone)
        opt = transfer.layerwise_learning_rates(model, 1e-3, decay=0.8)
        rates = [float(o.learning_rate) for o in opt.optimizers]
        # conv_a, bn_a, conv_b, bn_b, head: five blocks.
        self.assertAllClose(np.array(rates),
                            1e-3 * 0.8 ** np.arange(4, -1, -1))
        self.assertIsInstance(opt.optimizers[0], keras.optimizers.AdamW)

    def test_validation(self):
        model = _mlp()
        with self.assertRaisesRegex(ValueError, "decay"):
            transfer.layerwise_learning_rates(model, 1e-3, decay=1.5)
        with self.assertRaisesRegex(ValueError, "num_blocks"):
            transfer.layerwise_learning_rates(model, 1e-3, num_blocks=9)
        with self.assertRaisesRegex(TypeError, "optimizer"):
            transfer.layerwise_learning_rates(model, 1e-3, optimizer=3)


class FineTuneTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_two_phases(self):
        backbone = _cnn_backbone()
        model = _classifier(backbone)
        x, y = _images(32, 12)
        stats = _numpy(_moving_stats(backbone))
        kernels = _numpy([backbone.get_layer("conv_a").kernel])

        class Check(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.trainable_counts = []

            def on_train_begin(self, logs=None):
                self.trainable_counts.append(
                    len(self.model.trainable_variables))

        check = Check()
        histories = transfer.fine_tune(
            model, backbone, (x, y), head_epochs=1, full_epochs=2, loss=LOSS,
            metrics=["accuracy"], batch_size=8, callbacks=[check],
            jit_compile=JIT, verbose=0)
        self.assertLen(histories["head"].history["loss"], 1)
        self.assertLen(histories["full"].history["loss"], 2)
        # Phase 1: head only (2 variables); phase 2: + the two convs.
        self.assertEqual(check.trainable_counts, [2, 6])
        for v, s in zip(_moving_stats(backbone), stats):
            self.assertAllEqual(v.value, s)  # BN frozen in both phases
        self.assertGreater(np.abs(keras.ops.convert_to_numpy(
            backbone.get_layer("conv_a").kernel.value) - kernels[0]).max(),
            1e-6)
        rates = [float(o.learning_rate) for o in model.optimizer.optimizers]
        # At the end of the second one-cycle both rates are at their floor,
        # the backbone's lr_mult times lower.
        self.assertAllClose(rates[1] / rates[0], 100.0, rtol=1e-3)

    def test_validation(self):
        backbone = _cnn_backbone()
        model = _classifier(backbone)
        other = _cnn_backbone()
        with self.assertRaisesRegex(ValueError, "backbone"):
            transfer.fine_tune(model, other, _images(8, 12), loss=LOSS)
        with self.assertRaisesRegex(ValueError, "steps_per_epoch"):
            transfer.fine_tune(model, backbone, iter([]), loss=LOSS)
        with self.assertRaisesRegex(ValueError, "lr_mult"):
            transfer.fine_tune(model, backbone, _images(8, 12), loss=LOSS,
                               lr_mult=0.5)
