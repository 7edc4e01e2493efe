"""AveragingEnsemble, VotingEnsemble and their functional cores against
NumPy references written here, eager and in the compiled `fit` step."""

import os

import keras
import numpy as np
import pytest

from keras_recipes import ensembles
from keras_recipes.testing import TestCase

JIT = False if keras.backend.backend() == "torch" else True


def np_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def np_average(outputs, weights, method, from_logits):
    """The anchor definitions: linear pool / renormalised log pool."""
    outputs = np.asarray(outputs, "float64")
    m = len(outputs)
    w = np.ones(m) / m if weights is None else np.asarray(weights, "f8")
    w = w / w.sum()
    probs = np_softmax(outputs) if from_logits else outputs
    if method == "mean":
        return sum(w[i] * probs[i] for i in range(m))
    logs = np.log(np.clip(probs, 1e-7, 1.0))
    return np_softmax(sum(w[i] * logs[i] for i in range(m)))


def np_vote(outputs, weights, from_logits, margin):
    """Hard voting, one sample at a time: weighted top-1 votes, ties (within
    1e-5) to the highest weighted mean probability, then the lowest id."""
    outputs = np.asarray(outputs, "float64")
    m, b, c = outputs.shape
    w = np.ones(m) / m if weights is None else np.asarray(weights, "f8")
    w = w / w.sum()
    probs = np_softmax(outputs) if from_logits else outputs
    result = np.zeros((b, c))
    for n in range(b):
        votes = np.zeros(c)
        for i in range(m):
            votes[int(np.argmax(outputs[i, n]))] += w[i]
        mean_p = sum(w[i] * probs[i, n] for i in range(m))
        top = votes.max()
        best, winner = -1.0, None
        for k in range(c):  # lowest id first: strict '>' keeps it
            if votes[k] >= top - 1e-5 and mean_p[k] > best:
                best, winner = mean_p[k], k
        row = votes.copy()
        row[winner] += margin
        result[n] = row / (1 + margin)
    return result


def member(seed, classes=3, activation="softmax", dim=4):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((dim,))
    h = keras.layers.Dense(8, activation="tanh")(inputs)
    return keras.Model(inputs, keras.layers.Dense(classes, activation)(h))


def data(n=24, dim=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype("float32")
    return x, rng.integers(0, classes, size=(n,)).astype("int32")


class AverageProbabilitiesTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_against_numpy(self):
        rng = np.random.default_rng(3)
        logits = rng.normal(size=(3, 7, 5)).astype("float32") * 3
        probs = np_softmax(logits).astype("float32")
        for method in ("mean", "geometric"):
            for weights in (None, [3.0, 1.0, 0.5], [0.0, 2.0, 1.0]):
                got = ensembles.average_probabilities(
                    list(probs), weights, method)
                self.assertAllClose(
                    got, np_average(probs, weights, method, False),
                    atol=1e-6)
                got = ensembles.average_probabilities(
                    logits, weights, method, from_logits=True)
                self.assertAllClose(
                    got, np_average(logits, weights, method, True),
                    atol=1e-6)
                self.assertAllClose(keras.ops.sum(got, axis=-1),
                                    np.ones(7), atol=1e-6)

    def test_geometric_of_logits_is_softmax_of_mean_logits(self):
        rng = np.random.default_rng(4)
        logits = rng.normal(size=(2, 5, 4)).astype("float32")
        got = ensembles.average_probabilities(logits, method="geometric",
                                              from_logits=True)
        self.assertAllClose(got, np_softmax(logits.mean(axis=0)),
                            atol=1e-6)

    def test_bad_arguments(self):
        p = [np.full((2, 3), 1 / 3, "float32")] * 2
        with self.assertRaisesRegex(ValueError, "`method`.*Received: "
                                                "method='median'"):
            ensembles.average_probabilities(p, method="median")
        with self.assertRaisesRegex(ValueError, "one number per model"):
            ensembles.average_probabilities(p, weights=[1.0])
        with self.assertRaisesRegex(ValueError, "non-negative"):
            ensembles.average_probabilities(p, weights=[1.0, -1.0])
        with self.assertRaisesRegex(ValueError, "positive sum"):
            ensembles.average_probabilities(p, weights=[0.0, 0.0])
        with self.assertRaisesRegex(TypeError, "`from_logits`"):
            ensembles.average_probabilities(p, from_logits="yes")


class VoteTest(TestCase):
    def test_hard_vote_ties_against_numpy(self):
        # Few classes and an even number of members: many ties.
        rng = np.random.default_rng(0)
        probs = rng.dirichlet(np.ones(3), size=(4, 200)).astype("float32")
        for weights in (None, [1.0, 1.0, 2.0, 0.0]):
            got = keras.ops.convert_to_numpy(ensembles.vote(
                probs, weights, "hard", tie_margin=1e-3))
            want = np_vote(probs, weights, False, 1e-3)
            self.assertAllClose(got, want, atol=1e-6)
            self.assertAllEqual(got.argmax(axis=1), want.argmax(axis=1))
        votes = np.stack([np.eye(3)[p.argmax(axis=1)] for p in probs])
        counts = votes.sum(axis=0)
        tied = np.sum(counts == counts.max(axis=1, keepdims=True), axis=1)
        self.assertGreater(int(np.sum(tied > 1)), 20)  # ties were tested

    def test_explicit_tie_goes_to_higher_mean_probability(self):
        # One vote each for classes 0 and 1; class 1 has the higher mean
        # probability (0.45 vs 0.40), so it wins although argmax of the
        # plain vote fractions would say 0.
        probs = np.array([[[0.50, 0.30, 0.20]], [[0.30, 0.60, 0.10]]],
                         "float32")
        out = keras.ops.convert_to_numpy(ensembles.vote(probs))
        self.assertEqual(int(out.argmax()), 1)
        self.assertAllClose(out, [[0.5 / 1.001, 0.501 / 1.001, 0.0]],
                            atol=1e-6)

    def test_soft_vote_is_the_mean(self):
        rng = np.random.default_rng(1)
        logits = rng.normal(size=(3, 6, 4)).astype("float32")
        self.assertAllClose(
            ensembles.vote(logits, [1, 2, 3], "soft", from_logits=True),
            np_average(logits, [1, 2, 3], "mean", True), atol=1e-6)

    def test_bad_arguments(self):
        p = np.full((2, 2, 3), 1 / 3, "float32")
        with self.assertRaisesRegex(ValueError, "`voting`"):
            ensembles.vote(p, voting="majority")
        with self.assertRaisesRegex(ValueError, "`tie_margin`"):
            ensembles.vote(p, tie_margin=-0.1)
        with self.assertRaisesRegex(ValueError, "num_models, batch"):
            ensembles.vote(p[0])


class EnsembleModelTest(TestCase):
    def member_outputs(self, models, x):
        return np.stack([m.predict(x, verbose=0) for m in models])

    @pytest.mark.filterwarnings("ignore")
    def test_averaging_predictions_and_saving(self):
        x, _ = data()
        for method in ("mean", "geometric"):
            for from_logits in (False, True):
                act = None if from_logits else "softmax"
                models = [member(i, activation=act) for i in range(3)]
                ensemble = ensembles.AveragingEnsemble(
                    models, weights=[1.0, 2.0, 3.0], method=method,
                    from_logits=from_logits)
                want = np_average(self.member_outputs(models, x),
                                  [1, 2, 3], method, from_logits)
                self.assertAllClose(ensemble.predict(x, verbose=0), want,
                                    atol=1e-5)
                self.assertAllClose(ensemble(x), want, atol=1e-5)
        loaded = self.run_model_saving_test(ensemble, x)
        self.assertIsInstance(loaded, ensembles.AveragingEnsemble)
        self.assertEqual(loaded.member_weights, [1.0, 2.0, 3.0])
        self.assertEqual(loaded.method, "geometric")
        self.assertTrue(loaded.from_logits)

    @pytest.mark.filterwarnings("ignore")
    def test_voting_predictions_and_saving(self):
        x, _ = data(n=64)
        models = [member(i) for i in range(4)]
        for voting in ("hard", "soft"):
            ensemble = ensembles.VotingEnsemble(models, voting=voting)
            outputs = self.member_outputs(models, x)
            if voting == "hard":
                want = np_vote(outputs, None, False, 1e-3)
            else:
                want = np_average(outputs, None, "mean", False)
            self.assertAllClose(ensemble.predict(x, verbose=0), want,
                                atol=1e-5)
        ensemble = ensembles.VotingEnsemble(models, voting="hard",
                                            weights=[1, 1, 1, 2])
        loaded = self.run_model_saving_test(ensemble, x)
        self.assertEqual(loaded.voting, "hard")
        self.assertEqual(loaded.member_weights, [1.0, 1.0, 1.0, 2.0])

    @pytest.mark.filterwarnings("ignore")
    def test_fit_trains_members_jointly(self):
        x, y = data(n=48)
        for mode in (dict(run_eagerly=True), dict(jit_compile=JIT)):
            keras.backend.clear_session()
            models = [member(i) for i in range(2)]
            before = [m.get_weights()[0].copy() for m in models]
            ensemble = ensembles.AveragingEnsemble(models)
            ensemble.compile(keras.optimizers.SGD(0.5),
                             "sparse_categorical_crossentropy", **mode)
            history = ensemble.fit(x, y, batch_size=16, epochs=2, verbose=0)
            self.assertLess(history.history["loss"][-1],
                            history.history["loss"][0])
            for m, w in zip(models, before):
                self.assertGreater(
                    float(np.abs(m.get_weights()[0] - w).max()), 0.0)
            # The compiled loss is the cross-entropy of the averaged
            # probabilities (recomputed in NumPy).
            p = np_average(self.member_outputs(models, x), None, "mean",
                           False)
            loss = -np.mean(np.log(p[np.arange(len(y)), y]))
            self.assertAllClose(ensemble.evaluate(x, y, verbose=0), loss,
                                atol=1e-4, rtol=1e-4)

    def test_config_round_trip(self):
        ensemble = ensembles.VotingEnsemble(
            [member(0), member(1)], voting="hard", weights=[1, 3],
            tie_margin=0.01, name="vote")
        revived = self.run_serialization_test(ensemble)
        self.assertEqual(revived.tie_margin, 0.01)
        self.assertEqual(revived.name, "vote")

    def test_saved_file_is_one_keras_file(self):
        ensemble = ensembles.AveragingEnsemble([member(0), member(1)])
        path = os.path.join(self.get_temp_dir(), "e.keras")
        ensemble.save(path)
        self.assertEqual(os.listdir(os.path.dirname(path)), ["e.keras"])

    def test_bad_models(self):
        m = member(0)
        with self.assertRaisesRegex(TypeError, "list of keras.Model"):
            ensembles.AveragingEnsemble(m)
        with self.assertRaisesRegex(ValueError, "at least one"):
            ensembles.AveragingEnsemble([])
        with self.assertRaisesRegex(TypeError, r"models\[1\]"):
            ensembles.AveragingEnsemble([m, "model"])
        with self.assertRaisesRegex(ValueError, "distinct"):
            ensembles.AveragingEnsemble([m, m])
        with self.assertRaisesRegex(ValueError, r"same number of classes"):
            ensembles.VotingEnsemble([m, member(1, classes=4)])
        with self.assertRaisesRegex(ValueError, "one number per model"):
            ensembles.AveragingEnsemble([m, member(1)], weights=[1, 2, 3])
        with self.assertRaisesRegex(ValueError, "`method`"):
            ensembles.AveragingEnsemble([m], method="max")
        with self.assertRaisesRegex(ValueError, "`voting`"):
            ensembles.VotingEnsemble([m], voting="majority")
