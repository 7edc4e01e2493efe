"""Trackers: what reaches each store equals what `fit` saw."""

import os

import keras
import numpy as np
import pytest

from keras_recipes import tracking
from keras_recipes.testing import TestCase
from keras_recipes.utils.optional import MissingOptionalDependency


def tiny_problem():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.1),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


class TrackerTest(TestCase):
    def test_base_tracker_logs_epochs_params_and_status(self):
        model, x, y = tiny_problem()
        tracker = tracking.Tracker(hyperparameters={"recipe": {"lr": 0.1}})
        history = model.fit(x, y, epochs=3, verbose=0, callbacks=[tracker])
        steps = [step for step, _ in tracker.records["metrics"]]
        self.assertEqual(steps, [1, 2, 3])
        losses = [m["loss"] for _, m in tracker.records["metrics"]]
        self.assertAllClose(np.array(losses),
                            np.array(history.history["loss"]), rtol=1e-6)
        params = tracker.records["params"]
        self.assertEqual(params["recipe/lr"], 0.1)
        self.assertEqual(params["system/backend"], keras.backend.backend())
        self.assertEqual(params["optimizer/class_name"], "SGD")
        self.assertEqual(tracker.records["status"], "FINISHED")

    def test_context_manager_marks_failures(self):
        tracker = tracking.Tracker()
        with self.assertRaises(RuntimeError):
            with tracker:
                raise RuntimeError("boom")
        self.assertEqual(tracker.records["status"], "FAILED")
        tracker = tracking.Tracker()
        with self.assertRaises(KeyboardInterrupt):
            with tracker:
                raise KeyboardInterrupt
        self.assertEqual(tracker.records["status"], "KILLED")

    def test_end_status_is_the_one_mapping(self):
        self.assertEqual(tracking.end_status(None), "FINISHED")
        self.assertEqual(tracking.end_status(KeyboardInterrupt()), "KILLED")
        self.assertEqual(tracking.end_status(KeyboardInterrupt), "KILLED")
        self.assertEqual(tracking.end_status(RuntimeError("x")), "FAILED")
        self.assertEqual(tracking.end_status(SystemExit), "FAILED")

    def test_make_tracker_lays_out_the_run_folder(self):
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            run_dir = os.path.join(folder, "run1")
            jsonl = tracking.make_tracker("jsonl", folder, run_dir, "run1")
            self.assertIsInstance(jsonl, tracking.JSONLTracker)
            self.assertEqual(jsonl.path,
                             os.path.join(run_dir, "tracking.jsonl"))
            self.assertIsNone(
                tracking.make_tracker("none", folder, run_dir, "run1"))
            with self.assertRaisesRegex(ValueError, "kind.*mlfow"):
                tracking.make_tracker("mlfow", folder, run_dir, "run1")

    def test_bad_arguments(self):
        with self.assertRaisesRegex(TypeError, "hyperparameters"):
            tracking.Tracker(hyperparameters=[1])
        with self.assertRaisesRegex(TypeError, "path"):
            tracking.JSONLTracker(3)
        with self.assertRaisesRegex(TypeError, "tracking_uri"):
            tracking.MLflowTracker("")
        with self.assertRaisesRegex(ValueError, "mode"):
            tracking.WandbTracker(mode="cloud")
        tracker = tracking.Tracker()
        with self.assertRaisesRegex(ValueError, "status"):
            tracker.end("DONE")
        with self.assertRaisesRegex(TypeError, "params"):
            tracker.log_params([1])
        with self.assertRaisesRegex(ValueError, "existing file"):
            tracker.log_artifact("/no/such/file")

    def test_jsonl_survives_a_crash_mid_training(self):
        path = os.path.join(self.get_temp_dir(), "run.jsonl")
        model, x, y = tiny_problem()

        class Crash(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if epoch == 1:
                    raise RuntimeError("killed")

        tracker = tracking.JSONLTracker(path)
        with self.assertRaises(RuntimeError):
            with tracker:
                model.fit(x, y, epochs=4, verbose=0,
                          callbacks=[tracker, Crash()])
        with open(path, "a") as f:
            f.write('{"event": "metr')  # a torn last line is ignored
        events = tracking.read_jsonl(path)
        steps = [e["step"] for e in events if e["event"] == "metrics"]
        self.assertEqual(steps, [1, 2])
        self.assertEqual(events[-1], {**events[-1], "event": "end",
                                      "status": "FAILED"})

    def test_mlflow_store_holds_every_epoch_and_resumes(self):
        folder = self.get_temp_dir()
        uri = "sqlite:///" + os.path.join(folder, "mlruns.db")
        model, x, y = tiny_problem()
        tracker = tracking.MLflowTracker(uri, run_name="t",
                                         hyperparameters={"a": 1})
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[tracker])
        client = tracker.client
        run = client.get_run(tracker.run_id)
        self.assertEqual(run.info.status, "FINISHED")
        self.assertEqual(run.data.params["a"], "1")
        self.assertEqual(run.data.params["optimizer/class_name"], "SGD")
        loss = client.get_metric_history(tracker.run_id, "loss")
        self.assertEqual([m.step for m in loss], [1, 2])
        self.assertAllClose(np.array([m.value for m in loss]),
                            np.array(history.history["loss"]), rtol=1e-6)
        # Resume the same run: two more epochs append to the histories.
        resumed = tracking.MLflowTracker(uri, run_id=tracker.run_id,
                                         hyperparameters={"a": 1})
        artifact = os.path.join(folder, "note.txt")
        with open(artifact, "w") as f:
            f.write("report")
        with resumed:
            model.fit(x, y, epochs=4, initial_epoch=2, verbose=0,
                      callbacks=[resumed])
            resumed.log_artifact(artifact)
        loss = client.get_metric_history(tracker.run_id, "loss")
        self.assertEqual([m.step for m in loss], [1, 2, 3, 4])
        run = client.get_run(tracker.run_id)
        self.assertEqual(run.info.status, "FINISHED")
        self.assertNotIn("a:resume1", run.data.params)  # unchanged value
        names = [a.path for a in client.list_artifacts(tracker.run_id)]
        self.assertIn("note.txt", names)
        self.assertTrue(os.path.isfile(
            os.path.join(folder, "mlartifacts", run.info.experiment_id,
                         tracker.run_id, "artifacts", "note.txt")
        ) or os.path.isdir(os.path.join(folder, "mlartifacts")))

    def test_tensorboard_events_hold_the_history(self):
        from tensorboard.backend.event_processing import event_accumulator

        log_dir = os.path.join(self.get_temp_dir(), "tb")
        model, x, y = tiny_problem()
        tracker = tracking.TensorBoardTracker(log_dir,
                                              hyperparameters={"a": 1})
        history = model.fit(x, y, epochs=3, verbose=0, callbacks=[tracker])
        acc = event_accumulator.EventAccumulator(log_dir)
        acc.Reload()
        self.assertIn("loss", acc.Tags()["scalars"])
        events = acc.Scalars("loss")
        self.assertEqual([e.step for e in events], [1, 2, 3])
        self.assertAllClose(np.array([e.value for e in events]),
                            np.array(history.history["loss"]), rtol=1e-6)
        self.assertIn("params", acc.Tags()["tensors"])

    def test_wandb_is_optional_and_offline(self):
        tracker = tracking.WandbTracker(dir=self.get_temp_dir())
        try:
            import wandb  # noqa: F401
        except ImportError:
            with self.assertRaisesRegex(MissingOptionalDependency,
                                        r"keras-recipes\[wandb\]"):
                tracker.start()
            return
        model, x, y = tiny_problem()
        model.fit(x, y, epochs=2, verbose=0, callbacks=[tracker])
        self.assertEqual(tracker.records["status"], "FINISHED")
        self.assertTrue(os.path.isdir(os.path.join(tracker.dir, "wandb")))


@pytest.mark.parametrize("module,extra", [("mlflow", "tracking"),
                                          ("wandb", "wandb")])
def test_missing_extra_names_it(module, extra, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    import importlib

    monkeypatch.setattr(
        importlib, "import_module",
        lambda name, package=None: fake_import(name),
    )
    tracker = (tracking.MLflowTracker("sqlite:///unused.db")
               if module == "mlflow" else tracking.WandbTracker())
    with pytest.raises(MissingOptionalDependency,
                       match=rf"keras-recipes\[{extra}\]"):
        tracker.start()
