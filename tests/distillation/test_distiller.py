"""`Distiller` against NumPy references, eager and inside the compiled fit
step, the frozen teacher, augmentation, the teacher cache, feature
distillation, saving and errors."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_recipes import augment
from keras_recipes import data
from keras_recipes import distillation
from keras_recipes.testing import TestCase
from tests.distillation.test_loss import np_hinton
from tests.distillation.test_loss import np_log_softmax

JIT = False if keras.backend.backend() == "torch" else True
MODES = (dict(run_eagerly=True), dict(jit_compile=JIT))
C = 4


def mlp(name, width=6, seed=0, softmax=False, batch_norm=False):
    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input((5,))
    h = keras.layers.Dense(width, activation="relu", name="hidden",
                           kernel_initializer=init)(inputs)
    if batch_norm:
        h = keras.layers.BatchNormalization(name="bn")(h)
    outputs = keras.layers.Dense(C, name="logits",
                                 activation="softmax" if softmax else None,
                                 kernel_initializer=init)(h)
    return keras.Model(inputs, outputs, name=name)


def cnn(name, filters, seed=0):
    init = keras.initializers.GlorotUniform(seed=seed)
    inputs = keras.Input((6, 6, 1))
    h = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                            name="conv", kernel_initializer=init)(inputs)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(C, name="logits",
                                 kernel_initializer=init)(h)
    return keras.Model(inputs, outputs, name=name)


def sparse_ce():
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def np_ce(labels, logits):
    return -np_log_softmax(logits.astype("float64"))[
        np.arange(len(labels)), labels]


def predict(model, x):
    return model.predict(x, verbose=0, batch_size=len(x))


class DistillerTest(TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.x = rng.normal(size=(24, 5)).astype("float32")
        self.y = rng.integers(0, C, size=(24,)).astype("int32")
        self.w = rng.uniform(0, 2, size=(24,)).astype("float32")

    def reference(self, teacher, student, temperature, alpha, weights=None,
                  teacher_probs=False, student_probs=False):
        t, s = predict(teacher, self.x), predict(student, self.x)
        if teacher_probs:
            t = np.log(t)
        if student_probs:
            s = np.log(s)
        per_sample = (alpha * np_hinton(t, s, temperature)
                      + (1 - alpha) * np_ce(self.y, s))
        w = np.ones(len(self.x)) if weights is None else weights
        return (per_sample * w).sum() / len(self.x)

    def fit_loss(self, distiller, y, mode, sample_weight=None):
        """One full-batch epoch at learning rate 0: the logged loss is the
        loss of the compiled (or eager) train step on the whole set."""
        distiller.compile(optimizer=keras.optimizers.SGD(0.0), **mode)
        history = distiller.fit(self.x, y, sample_weight=sample_weight,
                                batch_size=len(self.x), epochs=1, verbose=0)
        return history.history

    def test_loss_matches_reference_eager_and_compiled(self):
        teacher, student = mlp("teacher", seed=1), mlp("student", seed=2)
        for mode in MODES:
            for weights in (None, self.w):
                distiller = distillation.Distiller(
                    teacher, student, temperature=3.0, alpha=0.7,
                    student_loss=sparse_ce())
                logs = self.fit_loss(distiller, self.y, mode, weights)
                ref = self.reference(teacher, student, 3.0, 0.7, weights)
                self.assertAllClose(logs["loss"][0], ref, rtol=1e-4)
                w = np.ones(24) if weights is None else weights
                t, s = predict(teacher, self.x), predict(student, self.x)
                self.assertAllClose(
                    logs["distillation_loss"][0],
                    (np_hinton(t, s, 3.0) * w).sum() / 24, rtol=1e-4)
                self.assertAllClose(logs["student_loss"][0],
                                    (np_ce(self.y, s) * w).sum() / 24,
                                    rtol=1e-4)

    def test_probabilities_and_compiled_hard_loss(self):
        teacher = mlp("teacher", seed=1, softmax=True)
        student = mlp("student", seed=2, softmax=True)
        for mode in MODES:
            distiller = distillation.Distiller(
                teacher, student, temperature=2.0, alpha=0.4,
                teacher_from_logits=False, student_from_logits=False)
            # The hard-label loss comes from `compile(loss=...)`.
            distiller.compile(
                optimizer=keras.optimizers.SGD(0.0),
                loss="sparse_categorical_crossentropy",
                metrics=["accuracy"], **mode)
            history = distiller.fit(self.x, self.y, batch_size=24,
                                    epochs=1, verbose=0)
            ref = self.reference(teacher, student, 2.0, 0.4,
                                 teacher_probs=True, student_probs=True)
            self.assertAllClose(history.history["loss"][0], ref, rtol=1e-4)
            acc = np.mean(predict(student, self.x).argmax(1) == self.y)
            self.assertAllClose(history.history["accuracy"][0], acc)

    def test_teacher_is_frozen_and_runs_in_inference_mode(self):
        teacher = mlp("teacher", seed=1, batch_norm=True)
        before = [np.array(v) for v in teacher.get_weights()]
        student = mlp("student", seed=2)
        for mode in MODES:
            distiller = distillation.Distiller(teacher, student,
                                               student_loss=sparse_ce())
            self.assertFalse(teacher.trainable)
            distiller.compile(optimizer="adam", **mode)
            s_before = [np.array(v) for v in student.get_weights()]
            distiller.fit(self.x, self.y, batch_size=8, epochs=2, verbose=0)
            # Weights and batch-norm moving statistics are unchanged.
            for a, b in zip(before, teacher.get_weights()):
                self.assertAllClose(a, b, atol=0, rtol=0)
            changed = [not np.allclose(a, b) for a, b in
                       zip(s_before, student.get_weights())]
            self.assertTrue(any(changed))
        trainable = {id(v) for v in distiller.trainable_variables}
        self.assertFalse(
            any(id(v) in trainable for v in teacher.variables))

    def _twin(self):
        """A teacher that is an exact copy of the student: the
        distillation term is 0 exactly when both see the same images."""
        student = cnn("student", 3, seed=3)
        teacher = keras.models.clone_model(student)
        teacher.set_weights(student.get_weights())
        return teacher, student

    def test_teacher_sees_the_mixed_images(self):
        onehot = np.eye(C, dtype="float32")[self.y]
        images = np.random.default_rng(2).uniform(0, 255, (24, 6, 6, 1))
        images = images.astype("float32")
        cce = keras.losses.CategoricalCrossentropy(from_logits=True)
        for mode in MODES:
            # Mixing in the data pipeline.
            teacher, student = self._twin()
            distiller = distillation.Distiller(teacher, student, alpha=0.5,
                                               student_loss=cce)
            distiller.compile(optimizer=keras.optimizers.SGD(0.0), **mode)
            batches = data.batches(
                images, onehot, 24, shuffle=False, seed=0,
                augment=[augment.MixUp(alpha=1.0, num_classes=C, seed=0)])
            logs = distiller.fit(batches, epochs=1, verbose=0,
                                 shuffle=False).history
            self.assertAllClose(logs["distillation_loss"][0], 0.0, atol=1e-6)
            # ... and the mixing did happen: the hard loss differs from the
            # unmixed one.
            clean = np_ce(self.y, predict(student, images)).mean()
            self.assertGreater(abs(logs["student_loss"][0] - clean), 1e-3)
            # Mixing inside the compiled train step (`augment=`).
            teacher, student = self._twin()
            distiller = distillation.Distiller(
                teacher, student, alpha=0.5, student_loss=cce,
                augment=[augment.MixUp(alpha=1.0, num_classes=C, seed=0)])
            distiller.compile(optimizer=keras.optimizers.SGD(0.0), **mode)
            logs = distiller.fit(images, onehot, batch_size=24, epochs=2,
                                 verbose=0).history
            self.assertAllClose(logs["distillation_loss"], [0.0, 0.0],
                                atol=1e-6)
            self.assertGreater(abs(logs["student_loss"][0] - clean), 1e-3)
            # New draws each step (not one mix baked into the jitted step).
            self.assertGreater(
                abs(logs["student_loss"][0] - logs["student_loss"][1]), 1e-6)
        # Control: a teacher seeing other images than the student does not
        # give 0 (the check above can fail).
        teacher, student = self._twin()
        distiller = distillation.Distiller(teacher, student,
                                           student_loss=sparse_ce())
        other = distiller.compute_loss(
            x=images, y=self.y, y_pred=student(images[::-1]))
        self.assertGreater(
            float(keras.ops.convert_to_numpy(
                distiller.distillation_loss_tracker.result())), 1e-3)
        self.assertTrue(np.isfinite(keras.ops.convert_to_numpy(other)))

    def test_cached_teacher_gives_the_live_loss(self):
        teacher, student = mlp("teacher", seed=1), mlp("student", seed=2)
        cached = distillation.cache_teacher(teacher, self.x, batch_size=7)
        self.assertAllClose(cached, predict(teacher, self.x), atol=1e-6)
        ref = self.reference(teacher, student, 4.0, 0.9, self.w)
        for mode in MODES:
            distiller = distillation.Distiller(None, student,
                                               student_loss=sparse_ce())
            logs = self.fit_loss(distiller,
                                 {"labels": self.y, "teacher": cached},
                                 mode, self.w)
            self.assertAllClose(logs["loss"][0], ref, rtol=1e-4)
        distiller.compile(optimizer="adam", jit_compile=JIT)
        history = distiller.fit(
            self.x, {"labels": self.y, "teacher": cached}, batch_size=8,
            epochs=1, verbose=0,
            validation_data=(self.x, {"labels": self.y, "teacher": cached}))
        self.assertIn("val_loss", history.history)
        with pytest.raises(ValueError, match="teacher"):
            distiller.fit(self.x, self.y, epochs=1, verbose=0)

    def test_feature_distillation_matches_reference(self):
        teacher, student = cnn("teacher", 6, seed=1), cnn("student", 3, 2)
        x = np.random.default_rng(1).normal(size=(12, 6, 6, 1))
        x = x.astype("float32")
        y = self.y[:12]
        for mode in MODES:
            distiller = distillation.Distiller(
                teacher, student, temperature=2.0, alpha=0.5,
                student_loss=sparse_ce(), features=[("conv", "conv")],
                feature_weight=0.3)
            proj = distiller.projections[0]
            self.assertEqual(tuple(proj.kernel.shape), (3, 6))
            distiller.compile(optimizer=keras.optimizers.SGD(0.0), **mode)
            logs = distiller.fit(x, y, batch_size=12, epochs=1,
                                 verbose=0).history
            feat = keras.Model(student.input,
                               student.get_layer("conv").output)
            t_feat = keras.Model(teacher.input,
                                 teacher.get_layer("conv").output)
            kernel, bias = (np.array(v) for v in proj.get_weights())
            f_s = predict(feat, x).astype("float64") @ kernel + bias
            mse = ((f_s - predict(t_feat, x)) ** 2).mean(axis=(1, 2, 3))
            t, s = predict(teacher, x), predict(student, x)
            ref = (0.5 * np_hinton(t, s, 2.0) + 0.5 * np_ce(y, s)
                   + 0.3 * mse).mean()
            self.assertAllClose(logs["loss"][0], ref, rtol=1e-4)
            self.assertAllClose(logs["feature_loss"][0], 0.3 * mse.mean(),
                                rtol=1e-4)
        # The projection is trained, the teacher is not.
        distiller = distillation.Distiller(
            teacher, student, student_loss=sparse_ce(),
            features=[("conv", "conv"), ("logits", "logits")],
            feature_weight=[1.0, 0.5])
        distiller.compile(optimizer="adam", jit_compile=JIT)
        before = np.array(distiller.projections[0].kernel)
        distiller.fit(x, y, batch_size=6, epochs=1, verbose=0)
        self.assertFalse(np.allclose(
            before, np.array(distiller.projections[0].kernel)))
        self.assertEqual(distiller.feature_weight, [1.0, 0.5])

    def test_saving_distiller_and_plain_student(self):
        teacher, student = cnn("teacher", 6, seed=1), cnn("student", 3, 2)
        x = np.random.default_rng(1).normal(size=(12, 6, 6, 1))
        x = x.astype("float32")
        y = self.y[:12]
        distiller = distillation.Distiller(
            teacher, student, temperature=2.0, alpha=0.5,
            student_loss=sparse_ce(), features=[("conv", "conv")],
            feature_weight=0.3)
        revived = self.run_serialization_test(distiller)
        self.assertEqual(revived.features, [("conv", "conv")])
        distiller.compile(optimizer="adam", jit_compile=JIT)
        distiller.fit(x, y, batch_size=6, epochs=1, verbose=0)
        loaded = self.run_model_saving_test(distiller, x, y, atol=1e-5)
        self.assertAllClose(np.array(loaded.projections[0].kernel),
                            np.array(distiller.projections[0].kernel))
        self.assertFalse(loaded.teacher.trainable)
        # The student is a plain Keras model: it loads in a process that
        # never imports keras_recipes.
        path = os.path.join(self.get_temp_dir(), "student.keras")
        distiller.student.save(path)
        np.save(path + ".x.npy", x)
        np.save(path + ".p.npy", predict(student, x))
        code = (
            "import sys, numpy as np, keras; "
            f"m = keras.saving.load_model({path!r}); "
            f"p = m.predict(np.load({path + '.x.npy'!r}), verbose=0); "
            f"np.testing.assert_allclose(p, np.load({path + '.p.npy'!r}), "
            "atol=1e-5); "
            "assert 'keras_recipes' not in sys.modules; print('ok')"
        )
        env = dict(os.environ, KERAS_BACKEND=keras.backend.backend(),
                   TF_CPP_MIN_LOG_LEVEL="3")
        out = subprocess.run([sys.executable, "-c", code], env=env,
                             capture_output=True, text=True, cwd="/")
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        # A cached Distiller with a compiled hard loss round-trips too.
        cached = distillation.Distiller(None, mlp("student", seed=2),
                                        alpha=0.3)
        cached.compile(optimizer="adam",
                       loss=keras.losses.SparseCategoricalCrossentropy(
                           from_logits=True))
        targets = {"labels": self.y,
                   "teacher": self.x[:, :C].astype("float32")}
        cached.fit(self.x, targets, epochs=1, verbose=0)
        path = os.path.join(self.get_temp_dir(), "cached.keras")
        cached.save(path)
        loaded = keras.saving.load_model(path)
        self.assertIsNone(loaded.teacher)
        self.assertAllClose(predict(loaded, self.x), predict(cached, self.x))
        self.assertAllClose(loaded.evaluate(self.x, targets, verbose=0),
                            cached.evaluate(self.x, targets, verbose=0),
                            rtol=1e-5)

    def test_bad_arguments_name_the_argument(self):
        teacher, student = mlp("teacher"), mlp("student")
        Distiller = distillation.Distiller
        with pytest.raises(ValueError, match="temperature"):
            Distiller(teacher, student, temperature=-1)
        with pytest.raises(ValueError, match="alpha"):
            Distiller(teacher, student, alpha=1.5)
        with pytest.raises(TypeError, match="student"):
            Distiller(teacher, "student")
        with pytest.raises(TypeError, match="teacher"):
            Distiller(lambda x: x, student)
        with pytest.raises(TypeError, match="teacher_from_logits"):
            Distiller(teacher, student, teacher_from_logits=1)
        with pytest.raises(ValueError, match="features"):
            Distiller(teacher, student, features=["hidden"])
        with pytest.raises(ValueError, match="features"):
            Distiller(teacher, student, features=[("nope", "hidden")])
        with pytest.raises(ValueError, match="feature_weight"):
            Distiller(teacher, student, features=[("hidden", "hidden")],
                      feature_weight=[1.0, 2.0])
        with pytest.raises(ValueError, match="feature_weight"):
            Distiller(teacher, student, feature_weight=-1.0)
        with pytest.raises(ValueError, match="teacher"):
            Distiller(None, student, features=[("hidden", "hidden")])
        with pytest.raises(ValueError, match="spatial"):
            Distiller(cnn("teacher", 4), mlp("student"),
                      features=[("conv", "hidden")])
        with pytest.raises(ValueError, match="number of classes"):
            wide = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7)])
            Distiller(wide, student)
        with pytest.raises(TypeError, match="augment"):
            Distiller(teacher, student, augment=["mixup"])
        with pytest.raises(ValueError, match="student_loss"):
            Distiller(teacher, student, student_loss=3)
        distiller = Distiller(teacher, student, student_loss=sparse_ce())
        with pytest.raises(ValueError, match="once"):
            distiller.compile(optimizer="adam", loss="mse")
        no_loss = Distiller(teacher, student)
        no_loss.compile(optimizer="adam")
        with pytest.raises(ValueError, match="hard-label loss"):
            no_loss.fit(self.x, self.y, epochs=1, verbose=0)
