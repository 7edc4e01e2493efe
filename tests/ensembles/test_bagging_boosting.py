"""bagging and boosting (SAMME): the rows, seeds and learner weights
recomputed here with NumPy, and SAMME checked against scikit-learn."""

import math

import keras
import numpy as np
import pytest

from keras_recipes import ensembles
from keras_recipes import recipes
from keras_recipes.ensembles.bagging import fit_member
from keras_recipes.testing import TestCase
from keras_recipes.utils.seeding import derive_seed


def build_model():
    inputs = keras.Input((4,))
    h = keras.layers.Dense(8, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, "softmax")(h))


def problem(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = np.digitize(x[:, 0] - x[:, 2], [-0.4, 0.4]).astype("int64")
    return x, y


def np_samme(predictions, y, num_classes):
    """SAMME (Zhu et al., 2009, Algorithm 2) from the members' training
    predictions, written from the paper."""
    n = len(y)
    w = np.full(n, 1.0 / n)
    alphas, errors, weights = [], [], []
    for pred in predictions:
        miss = (pred != y).astype("float64")
        err = float(np.sum(w * miss) / np.sum(w))
        alpha = math.log((1 - err) / err) + math.log(num_classes - 1)
        weights.append(w.copy())
        alphas.append(alpha)
        errors.append(err)
        w = w * np.exp(alpha * miss)
        w = w / w.sum()
    return alphas, errors, weights


class BaggingTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_rows_members_and_prediction(self):
        x, y = problem()
        ensemble = ensembles.bagging(build_model, x, y, n_models=2,
                                     epochs=2, seed=5)
        rng = np.random.default_rng(5)
        rows = [rng.integers(0, len(x), size=len(x)) for _ in range(2)]
        for got, want in zip(ensemble.sample_indices, rows):
            self.assertAllEqual(got, want)
        # Member 0 is reproduced by hand: seed, recipe seed, its rows.
        s = derive_seed(5, 0)
        keras.utils.set_random_seed(s)
        model = build_model()
        recipes.Recipe.from_preset("baseline", epochs=2, seed=s).fit(
            model, x[rows[0]], y[rows[0]], verbose=0)
        for a, b in zip(model.get_weights(), ensemble.models[0].get_weights()):
            self.assertAllClose(a, b, atol=1e-5)
        probs = np.stack([m.predict(x, verbose=0) for m in ensemble.models])
        self.assertAllClose(ensemble.predict(x, verbose=0),
                            probs.mean(axis=0), atol=1e-6)
        self.assertFalse(np.allclose(probs[0], probs[1]))
        self.run_model_saving_test(ensemble, x)

    @pytest.mark.filterwarnings("ignore")
    def test_without_replacement(self):
        x, y = problem(n=40)
        ensemble = ensembles.bagging(build_model, x, y, n_models=2,
                                     bootstrap=False, max_samples=0.5,
                                     epochs=1, seed=1)
        rng = np.random.default_rng(1)
        for got in ensemble.sample_indices:
            want = rng.permutation(40)[:20]
            self.assertAllEqual(got, want)
            self.assertEqual(len(set(got.tolist())), 20)

    def test_bad_arguments(self):
        x, y = problem(n=10)
        with self.assertRaisesRegex(TypeError, "`build_model`"):
            ensembles.bagging(build_model(), x, y)
        with self.assertRaisesRegex(ValueError, "`n_models`"):
            ensembles.bagging(build_model, x, y, n_models=0)
        with self.assertRaisesRegex(ValueError, "`max_samples`"):
            ensembles.bagging(build_model, x, y, max_samples=1.5)
        with self.assertRaisesRegex(TypeError, "`recipe`"):
            ensembles.bagging(build_model, x, y, recipe=3)
        with self.assertRaisesRegex(ValueError, "same length"):
            ensembles.bagging(build_model, x, y[:5])


class BoostingTest(TestCase):
    def test_samme_step_matches_scikit_learn(self):
        from sklearn.ensemble import AdaBoostClassifier
        from sklearn.tree import DecisionTreeClassifier

        rng = np.random.default_rng(0)
        x = rng.normal(size=(200, 4))
        y = np.digitize(x[:, 0] + 0.5 * x[:, 1] * x[:, 2], [-0.5, 0.5])
        for lr in (1.0, 0.5):
            clf = AdaBoostClassifier(DecisionTreeClassifier(max_depth=1),
                                     n_estimators=6, learning_rate=lr,
                                     random_state=0).fit(x, y)
            w = np.full(len(y), 1.0 / len(y))
            for m, estimator in enumerate(clf.estimators_):
                alpha, err, w = ensembles.samme_step(
                    w, estimator.predict(x) != y, 3, learning_rate=lr)
                self.assertAllClose(alpha, clf.estimator_weights_[m],
                                    atol=1e-8)
                self.assertAllClose(err, clf.estimator_errors_[m],
                                    atol=1e-8)

    def test_samme_step_edge_cases(self):
        w = np.full(4, 0.25)
        alpha, err, new = ensembles.samme_step(w, np.zeros(4, bool), 3)
        self.assertEqual((alpha, err), (1.0, 0.0))
        self.assertAllClose(new, w)
        alpha, err, _ = ensembles.samme_step(
            w, np.array([1, 1, 1, 0], bool), 3)
        self.assertEqual(alpha, 0.0)  # 0.75 >= 1 - 1/3: no better than
        self.assertEqual(err, 0.75)   # chance

    @pytest.mark.filterwarnings("ignore")
    def test_learner_weights_follow_samme(self):
        x, y = problem(n=90)
        # Batches of 16 and a higher rate: learners well above chance.
        recipe = recipes.Recipe.from_preset("baseline", batch_size=16,
                                            learning_rate=1e-2)
        ensemble = ensembles.boosting(build_model, x, y, n_models=3,
                                      recipe=recipe, epochs=3, seed=2)
        self.assertGreaterEqual(ensemble.num_models, 1)
        predictions = [m.predict(x, verbose=0).argmax(axis=1)
                       for m in ensemble.models]
        alphas, errors, weights = np_samme(predictions, y, 3)
        self.assertAllClose(ensemble.learner_weights, alphas, atol=1e-8)
        self.assertAllClose(ensemble.learner_errors, errors, atol=1e-8)
        for got, want in zip(ensemble.sample_weights, weights):
            self.assertAllClose(got, want, atol=1e-10)
        # Prediction: argmax_c sum_m alpha_m [pred_m = c].
        scores = sum(a * np.eye(3)[p] for a, p in zip(alphas, predictions))
        out = ensemble.predict(x, verbose=0)
        ordered = np.sort(scores, axis=1)
        clear = ordered[:, -1] - ordered[:, -2] > 1e-6
        self.assertAllEqual(out.argmax(axis=1)[clear],
                            scores.argmax(axis=1)[clear])
        self.assertAllClose(out, (scores / sum(alphas) + 1e-3 * np.eye(3)[
            out.argmax(axis=1)]) / 1.001, atol=1e-5)
        loaded = self.run_model_saving_test(ensemble, x)
        self.assertAllClose(loaded.member_weights, alphas, atol=1e-6)

    @pytest.mark.filterwarnings("ignore")
    def test_sample_weight_reaches_the_train_step(self):
        x, y = problem(n=32)
        recipe = recipes.Recipe.from_preset("baseline", batch_size=8)
        keras.utils.set_random_seed(7)
        initial = build_model().get_weights()
        model = fit_member(build_model, x, y, recipe, 7, epochs=1,
                           sample_weight=np.zeros(len(x)))
        for a, b in zip(initial, model.get_weights()):
            self.assertAllClose(a, b)  # zero weights: no update at all
        model = fit_member(build_model, x, y, recipe, 7, epochs=1,
                           sample_weight=np.ones(len(x)))
        self.assertFalse(np.allclose(initial[0], model.get_weights()[0]))

    @pytest.mark.filterwarnings("ignore")
    def test_first_learner_at_chance_raises(self):
        def constant_model():
            inputs = keras.Input((4,))
            out = keras.layers.Dense(3, "softmax", kernel_initializer="zeros",
                                     trainable=False)(inputs)
            return keras.Model(inputs, out)

        x = np.random.default_rng(0).normal(size=(30, 4)).astype("float32")
        y = np.arange(30) % 3  # balanced: predicting class 0 is chance
        with self.assertRaisesRegex(ValueError, "first learner to beat"):
            ensembles.boosting(constant_model, x, y, n_models=2, epochs=1)

    def test_bad_arguments(self):
        x, y = problem(n=10)
        with self.assertRaisesRegex(ValueError, "`learning_rate`"):
            ensembles.boosting(build_model, x, y, learning_rate=0)
        with self.assertRaisesRegex(ValueError, "`n_models`"):
            ensembles.boosting(build_model, x, y, n_models=0)
        with self.assertRaisesRegex(TypeError, "`seed`"):
            ensembles.boosting(build_model, x, y, seed=1.5)
