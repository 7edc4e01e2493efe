"""StackingEnsemble and its LogisticRegression meta-learner: scikit-learn
as the reference for the meta-learner, NumPy for the stacked prediction,
out-of-fold features from `cross_validate`."""

import keras
import numpy as np
import pytest

from keras_recipes import ensembles
from keras_recipes import tuning
from keras_recipes.testing import TestCase


def np_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def member(seed, classes=3, dim=4):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((dim,))
    h = keras.layers.Dense(8, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Dense(classes, "softmax")(h))


def problem(n=90, dim=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype("float32")
    y = (np.digitize(x[:, 0] + 0.5 * x[:, 1], [-0.5, 0.5])).astype("int64")
    return x, y


class LogisticRegressionTest(TestCase):
    def test_matches_scikit_learn(self):
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(0)
        x = rng.normal(size=(150, 6))
        logits = x @ rng.normal(size=(6, 3)) + rng.normal(size=3)
        y = np.array([rng.choice(3, p=p) for p in np_softmax(logits)])
        for c in (0.1, 2.0):
            reference = LogisticRegression(C=c, tol=1e-12, max_iter=10000)
            reference.fit(x, y)
            layer = ensembles.LogisticRegression(3, C=c)
            layer.solve(x, y)
            kernel = keras.ops.convert_to_numpy(layer.kernel)
            bias = keras.ops.convert_to_numpy(layer.bias)
            self.assertAllClose(kernel.T, reference.coef_, atol=1e-4)
            self.assertAllClose(bias, reference.intercept_
                                - reference.intercept_.mean(), atol=1e-4)
            self.assertAllClose(layer(x.astype("float32")),
                                reference.predict_proba(x), atol=1e-5)

    def test_bad_arguments(self):
        with self.assertRaisesRegex(ValueError, "`units`"):
            ensembles.LogisticRegression(1)
        with self.assertRaisesRegex(ValueError, "`C`.*Received: C=0"):
            ensembles.LogisticRegression(3, C=0)
        layer = ensembles.LogisticRegression(2)
        with self.assertRaisesRegex(ValueError, "same length"):
            layer.solve(np.ones((4, 2)), [0, 1])
        with self.assertRaisesRegex(ValueError, r"class ids in \[0, 2\)"):
            layer.solve(np.ones((2, 2)), [0, 2])
        with self.assertRaisesRegex(ValueError, "finite"):
            layer.solve(np.full((2, 2), np.nan), [0, 1])


class StackingEnsembleTest(TestCase):
    def np_stack(self, models, x, layer, features):
        probs = np.stack([m.predict(x, verbose=0) for m in models], axis=1)
        if features == "log_probabilities":
            probs = np.log(np.clip(probs, 1e-7, 1.0))
        z = probs.reshape(len(x), -1) @ keras.ops.convert_to_numpy(
            layer.kernel) + keras.ops.convert_to_numpy(layer.bias)
        return np_softmax(z)

    @pytest.mark.filterwarnings("ignore")
    def test_fit_meta_on_cross_validated_oof(self):
        from sklearn.linear_model import LogisticRegression

        x, y = problem()

        def build(seed):
            return lambda: member(seed)

        results = [tuning.cross_validate(build(s), x, y, cv=3, epochs=2,
                                         seed=s, verbose=0)
                   for s in (0, 1)]
        models = [member(10), member(11)]
        for features in ("probabilities", "log_probabilities"):
            stack = ensembles.StackingEnsemble(models, features=features,
                                               C=0.5)
            self.assertIs(stack.fit_meta(results, y), stack)
            # The meta-learner is scikit-learn's logistic regression on the
            # concatenated out-of-fold probabilities (not on the members'
            # own predictions).
            oof = np.concatenate([r.oof for r in results], axis=1)
            if features == "log_probabilities":
                oof = np.log(np.clip(oof, 1e-7, 1.0))
            reference = LogisticRegression(C=0.5, tol=1e-12,
                                           max_iter=10000).fit(oof, y)
            self.assertAllClose(keras.ops.convert_to_numpy(
                stack.meta.kernel).T, reference.coef_, atol=1e-4)
            want = self.np_stack(models, x, stack.meta, features)
            self.assertAllClose(stack.predict(x, verbose=0), want,
                                atol=1e-5)
        loaded = self.run_model_saving_test(stack, x)
        self.assertEqual(loaded.features, "log_probabilities")
        self.assertEqual(loaded.C, 0.5)

    @pytest.mark.filterwarnings("ignore")
    def test_oof_formats_and_nan_rows(self):
        x, y = problem(n=40)
        models = [member(0), member(1)]
        rng = np.random.default_rng(0)
        oof = rng.dirichlet(np.ones(3), size=(40, 2))
        a = ensembles.StackingEnsemble(models).fit_meta(oof, y)
        b = ensembles.StackingEnsemble(models).fit_meta(
            [oof[:, 0], oof[:, 1]], y)
        self.assertAllClose(a.meta.kernel, b.meta.kernel)
        # Rows no fold held out (NaN) are skipped.
        with_nan = oof.copy()
        with_nan[:5] = np.nan
        c = ensembles.StackingEnsemble(models).fit_meta(with_nan, y)
        d = ensembles.StackingEnsemble(models).fit_meta(oof[5:], y[5:])
        self.assertAllClose(c.meta.kernel, d.meta.kernel)

    @pytest.mark.filterwarnings("ignore")
    def test_custom_meta_layer(self):
        x, y = problem(n=60)
        models = [member(0), member(1)]
        meta = keras.layers.Dense(3, activation="softmax")
        stack = ensembles.StackingEnsemble(models, meta=meta)
        rng = np.random.default_rng(0)
        oof = rng.dirichlet(np.ones(3), size=(60, 2))
        stack.fit_meta(oof, y, epochs=2)
        out = stack.predict(x, verbose=0)
        self.assertAllClose(out.sum(axis=1), np.ones(60), atol=1e-5)
        self.run_model_saving_test(stack, x)

    @pytest.mark.filterwarnings("ignore")
    def test_stacking_function(self):
        x, y = problem(n=60)
        stack = ensembles.stacking([lambda: member(0), lambda: member(1)],
                                   x, y, cv=2, epochs=1, seed=3)
        self.assertEqual(len(stack.cv_results), 2)
        self.assertEqual(stack.num_models, 2)
        # Refitting on the recorded out-of-fold rows gives the same meta.
        again = ensembles.LogisticRegression(3)
        again.solve(np.concatenate([r.oof for r in stack.cv_results],
                                   axis=1), y)
        self.assertAllClose(stack.meta.kernel, again.kernel, atol=1e-6)

    def test_bad_arguments(self):
        models = [member(0), member(1)]
        stack = ensembles.StackingEnsemble(models)
        y = np.zeros(4, "int64")
        with self.assertRaisesRegex(ValueError, r"shape \(N, 2, C\)"):
            stack.fit_meta(np.full((4, 3, 3), 1 / 3), y)
        with self.assertRaisesRegex(ValueError, "probabilities"):
            stack.fit_meta(np.full((4, 2, 3), 2.0), y)
        with self.assertRaisesRegex(ValueError, "3 classes"):
            stack.fit_meta(np.full((4, 2, 4), 0.25), y)
        result = tuning.CVResult([{"accuracy": 1.0}], None, [], [], [])
        with self.assertRaisesRegex(ValueError, "oof=None"):
            stack.fit_meta([result, result], y)
        with self.assertRaisesRegex(TypeError, "`meta`"):
            ensembles.StackingEnsemble(models, meta="logistic")
        with self.assertRaisesRegex(ValueError, "`features`"):
            ensembles.StackingEnsemble(models, features="logits")
        with self.assertRaisesRegex(TypeError, "`build_models`"):
            ensembles.stacking([1], np.ones((4, 4)), y)
