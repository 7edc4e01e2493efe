"""`keras-recipes tune`: a search on digits shows a line per trial and a
table, writes a `best_recipe.json` that `train` accepts, resumes after a
kill without rerunning finished trials, and runs with a chief and two
workers on loopback without running a trial twice."""

import glob
import json
import os
import re
import subprocess
import sys

import keras
import pytest

TINY = ["--dataset", "digits", "--width", "4", "--batch-size", "64",
        "--recipe", "baseline", "--tuner", "random", "--epochs", "1",
        "--subset", "200"]

# `keras-recipes` killed (os._exit, no clean-up) once its second trial has
# ended and been saved by the oracle.
KILL_AFTER_TRIAL_2 = """
import os, sys
from keras_recipes.cli import main
from keras_recipes.tuning import hypermodel

ended = hypermodel._RecipeTuner.on_trial_end

def on_trial_end(self, trial):
    ended(self, trial)
    if len([t for t in self.oracle.trials.values()
            if t.status == "COMPLETED"]) == 2:
        sys.stdout.flush()
        os._exit(9)

hypermodel._RecipeTuner.on_trial_end = on_trial_end
sys.exit(main(sys.argv[1:]))
"""


def run_cli(args, cwd, script=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    command = ([sys.executable, "-c", script] if script
               else [sys.executable, "-m", "keras_recipes.cli"])
    return subprocess.run(command + args, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def trial_lines(text):
    return re.findall(r"^trial (\d+)/(\d+): val_accuracy", text, re.M)


def test_killed_search_resumes_and_best_recipe_trains(tmp_path):
    killed = run_cli(["tune", *TINY, "--max-trials", "4"], tmp_path,
                     KILL_AFTER_TRIAL_2)
    assert killed.returncode == 9, killed.stderr[-2000:]
    assert [n for n, _ in trial_lines(killed.stdout)] == ["1", "2"]
    (search,) = glob.glob(str(tmp_path / "runs" / "search-*"))
    before = json.load(open(os.path.join(search, "trials", "trial_0",
                                         "trial.json")))

    resumed = run_cli(["tune", "--resume", search], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "(resumed)" in resumed.stdout
    # Only the two unfinished trials ran; the finished ones were kept.
    assert [n for n, _ in trial_lines(resumed.stdout)] == ["3", "4"]
    after = json.load(open(os.path.join(search, "trials", "trial_0",
                                        "trial.json")))
    assert after["score"] == before["score"]
    table = [line for line in resumed.stdout.splitlines()
             if re.match(r"^\| \d+ ", line)]
    assert len(table) == 4
    scores = [float(line.split("|")[2]) for line in table]
    assert scores == sorted(scores, reverse=True)
    state = json.load(open(os.path.join(search, "search.json")))
    assert state["status"] == "FINISHED" and state["trials"] == 4

    best = os.path.join(search, "best_recipe.json")
    trained = run_cli(["train", "--dataset", "digits", "--width", "4",
                       "--recipe", best, "--epochs", "1", "--quiet",
                       "--tracker", "none"], tmp_path)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "baseline-tuned" in trained.stdout


# The chief/worker protocol is KerasTuner's gRPC oracle, the same whatever
# the backend (each worker's training is the same code the other tune tests
# run on every backend); three interpreters on JAX cost 75 s of CI.
@pytest.mark.skipif(keras.backend.backend() != "torch",
                    reason="backend-independent; runs in the torch pass")
def test_chief_and_two_workers_share_the_trials(tmp_path):
    result = run_cli(["tune", *TINY, "--max-trials", "4", "--workers", "2",
                      "--tracker", "none"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    (search,) = glob.glob(str(tmp_path / "runs" / "search-*"))
    logs = {name: open(os.path.join(search, "logs", f"{name}.log")).read()
            for name in ("chief", "tuner0", "tuner1")}
    ran = [(name, n) for name in ("tuner0", "tuner1")
           for n, _ in trial_lines(logs[name])]
    numbers = [n for _, n in ran]
    # N trials between them, none run twice, none by the chief.
    assert sorted(numbers) == ["1", "2", "3", "4"], ran
    assert not trial_lines(logs["chief"])
    assert len(trial_lines(result.stdout)) == 4  # relayed progress
    trials = glob.glob(os.path.join(search, "trials", "trial_*",
                                    "trial.json"))
    assert len(trials) == 4
    assert all(json.load(open(t))["status"] == "COMPLETED" for t in trials)
