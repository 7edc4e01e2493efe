"""The `keras-recipes` command line: bad arguments, kill and resume, runs,
evaluate. Training runs use scikit-learn's 8x8 digits and a tiny model."""

import ast
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_recipes import cli

TINY = ["--dataset", "digits", "--width", "4", "--batch-size", "64",
        "--recipe", "baseline", "--quiet"]


# `keras-recipes` with a hook that sends SIGTERM to the process at the end
# of epoch 2, once the tracker has logged it: the way a scheduler or an
# out-of-memory killer stops a job.
KILL_AFTER_EPOCH_2 = """
import os, signal, sys
from keras_recipes.cli import main
from keras_recipes.tracking import MLflowTracker

logged = MLflowTracker.on_epoch_end

def on_epoch_end(self, epoch, logs=None):
    logged(self, epoch, logs)
    if epoch + 1 == 2:
        os.kill(os.getpid(), signal.SIGTERM)

MLflowTracker.on_epoch_end = on_epoch_end
sys.exit(main(sys.argv[1:]))
"""


def run_main(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_files")
    bad_json = folder / "bad.json"
    bad_json.write_text("{ not json")
    bad_field = folder / "bad_field.json"
    bad_field.write_text(json.dumps({"epochs": 0}))
    unknown_field = folder / "unknown_field.json"
    unknown_field.write_text(json.dumps({"learning_rat": 0.1}))
    npz = folder / "partial.npz"
    np.savez(npz, x_train=np.zeros((4, 8, 8)), y_train=np.zeros(4, "int64"))
    not_model = folder / "model.keras"
    not_model.write_text("not a zip")
    return {"bad_json": str(bad_json), "bad_field": str(bad_field),
            "unknown_field": str(unknown_field), "npz": str(npz),
            "not_model": str(not_model), "folder": str(folder)}


BAD_ARGUMENTS = {
    "unknown_dataset": (["train", "--dataset", "imagenet"],
                        "unknown dataset 'imagenet'"),
    "missing_npz": (["train", "--dataset", "/no/such/data.npz"],
                    "dataset file not found"),
    "npz_without_arrays": (["train", "--dataset", "{npz}"],
                           "lacks the arrays"),
    "unknown_recipe": (["train", "--recipe", "fancy"],
                       "unknown recipe 'fancy'"),
    "missing_recipe_file": (["train", "--recipe", "/no/such.json"],
                            "recipe file not found"),
    "malformed_recipe_json": (["train", "--recipe", "{bad_json}"],
                              "malformed recipe file"),
    "recipe_json_bad_value": (["train", "--recipe", "{bad_field}"],
                              "epochs"),
    "recipe_json_unknown_field": (["train", "--recipe", "{unknown_field}"],
                                  "learning_rat"),
    "zero_epochs": (["train", "--epochs", "0"], "--epochs"),
    "negative_epochs": (["train", "--epochs", "-3"], "--epochs"),
    "text_epochs": (["train", "--epochs", "many"], "--epochs"),
    "unknown_backend": (["train", "--backend", "mxnet"],
                        "unknown backend 'mxnet'"),
    "unknown_tracker": (["train", "--tracker", "neptune"],
                        "unknown tracker 'neptune'"),
    "unknown_model": (["train", "--model", "vit"], "unknown model 'vit'"),
    "bad_depth": (["train", "--depth", "9"], "--depth"),
    "unknown_resume": (["train", "--resume", "nope", "--output",
                        "{folder}"], "no run 'nope'"),
    "unknown_option": (["train", "--epoch", "3"], "unrecognized"),
    "unknown_command": (["fly"], "invalid choice"),
    "missing_model_file": (["evaluate", "/no/model.keras"],
                           "model file not found"),
    "not_a_keras_file": (["evaluate", "/no/model.h5"],
                         "expected a .keras model file"),
    "unreadable_model": (["evaluate", "{not_model}", "--dataset",
                          "digits"], "cannot load model"),
    "compare_unknown_run": (["runs", "--output", "{folder}", "--compare",
                             "a", "b"], "no run 'a'"),
    "missing_runs_folder": (["runs", "--output", "/no/such/folder"],
                            "no runs folder"),
    "tune_unknown_tuner": (["tune", "--tuner", "annealing"],
                           "invalid choice: 'annealing'"),
    "tune_one_fold": (["tune", "--cv", "1"], "--cv must be at least 2"),
    "tune_tracker": (["tune", "--tracker", "tensorboard"],
                     "unknown tracker 'tensorboard' for tune"),
    "tune_unknown_resume": (["tune", "--resume", "/no/search"],
                            "no search in /no/search"),
    "tune_unknown_recipe": (["tune", "--recipe", "fancy"],
                            "unknown recipe 'fancy'"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_argument_is_one_line_and_non_zero(case, files, capsys,
                                               tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv, expected = BAD_ARGUMENTS[case]
    argv = [a.format(**files) for a in argv]
    code, out, err = run_main(argv, capsys)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("keras-recipes: error: "), err
    assert expected in lines[0], err
    assert "Traceback" not in err + out


def test_installed_command_prints_no_traceback(tmp_path):
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    result = subprocess.run(
        [sys.executable, "-m", "keras_recipes.cli", "train", "--epochs",
         "0"], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(
        "keras-recipes: error: argument --epochs")


def test_killed_run_keeps_its_epochs_and_resumes_in_the_same_run(
        tmp_path, capsys):
    """A run killed (SIGTERM) after epoch 2 of 4 keeps epochs 1-2 in the
    SQLite store, is marked FAILED, and `--resume` finishes it in the same
    MLflow run."""
    from keras_recipes.tracking.mlflow import mlflow_client

    output = str(tmp_path / "runs")
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend(),
               TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_EPOCH_2, "train", *TINY,
         "--epochs", "4", "--output", output, "--tracker", "mlflow"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "terminated after epoch 2" in last, result.stderr[-3000:]
    run_id = last.split("--resume ")[1].split()[0]

    client = mlflow_client("sqlite:///" + os.path.join(output, "mlruns.db"))
    experiment = client.get_experiment_by_name(cli.EXPERIMENT)
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FAILED"
    assert run.data.tags["keras_recipes.run_id"] == run_id
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [1, 2]
    assert [m.step for m in client.get_metric_history(
        run.info.run_id, "val_accuracy")] == [1, 2]
    assert [m.step for m in client.get_metric_history(
        run.info.run_id, "learning_rate")] == [1, 2]
    assert run.data.params["dataset"] == "digits"
    assert run.data.params["system/backend"] == keras.backend.backend()
    run_dir = os.path.join(output, run_id)
    assert os.path.isdir(os.path.join(run_dir, "backup"))

    code, out, err = run_main(
        ["train", "--resume", run_id, "--output", output], capsys
    )
    assert code == 0, err
    assert "test accuracy" in out and run_id in out
    (resumed,) = client.search_runs([experiment.experiment_id])
    assert resumed.info.run_id == run.info.run_id
    assert resumed.info.status == "FINISHED"
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [1, 2, 3, 4]
    assert "test/accuracy" in resumed.data.metrics
    for name in ("model.keras", "recipe.json", "metrics.json",
                 "report.html", "confusion_matrix.png",
                 "reliability_diagram.png", "hardest_examples.png"):
        assert os.path.isfile(os.path.join(run_dir, name)), name
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"model.keras", "report.html"} <= artifacts
    metrics = json.load(open(os.path.join(run_dir, "metrics.json")))
    assert metrics["summary"]["epochs"] == 4
    assert abs(metrics["summary"]["test_accuracy"]
               - resumed.data.metrics["test/accuracy"]) < 1e-9

    # `runs` lists it from the store; `evaluate` re-creates its report.
    code, out, err = run_main(["runs", "--output", output], capsys)
    assert code == 0, err
    row = next(line for line in out.splitlines() if run_id in line)
    assert "FINISHED" in row and "digits" in row and "baseline" in row
    assert f"{metrics['summary']['test_accuracy']:.4f}" in row
    report_dir = str(tmp_path / "eval")
    code, out, err = run_main(
        ["evaluate", os.path.join(run_dir, "model.keras"), "--dataset",
         "digits", "--output", report_dir], capsys
    )
    assert code == 0, err
    evaluation = json.load(open(os.path.join(report_dir, "metrics.json")))
    assert evaluation["evaluation"]["accuracy"] == pytest.approx(
        metrics["summary"]["test_accuracy"], abs=1e-6
    )
    assert os.path.isfile(os.path.join(report_dir, "report.html"))

    # A second run, tracked in JSON lines, compared side by side.
    code, out, err = run_main(
        ["train", *TINY, "--epochs", "1", "--subset", "150", "--seed",
         "1", "--output", output, "--tracker", "jsonl"],
        capsys,
    )
    assert code == 0, err
    other = out.split("run ")[1].split(":")[0]
    events = [json.loads(line) for line in open(
        os.path.join(output, other, "tracking.jsonl"))]
    assert [e["step"] for e in events if e["event"] == "metrics"][0] == 1
    assert events[-1]["event"] == "end"
    assert events[-1]["status"] == "FINISHED"
    code, out, err = run_main(
        ["runs", "--output", output, "--compare", run_id, other], capsys
    )
    assert code == 0, err
    lines = out.splitlines()
    assert run_id in lines[1] and other in lines[1]
    seed_row = next(line for line in lines if "param: seed" in line)
    assert "| 0 " in seed_row and "| 1 " in seed_row
    assert seed_row.rstrip(" |").endswith("*")
    name_row = next(line for line in lines if "param: recipe/name" in line)
    assert not name_row.rstrip(" |").endswith("*")
    epochs_row = next(line for line in lines if "param: epochs" in line)
    assert "| 4 " in epochs_row and "| 1 " in epochs_row
    assert any("metric: test_accuracy" in line for line in lines)


def test_parser_names_match_the_package():
    # `cli/parser.py` imports only the standard library (the launcher loads
    # it before a backend is chosen), so it spells these names itself.
    from keras_recipes.cli import parser
    from keras_recipes.recipes.recipe import PRESETS
    from keras_recipes.tracking.factory import TRACKERS

    assert parser.PRESETS == PRESETS
    assert parser.TRACKERS == TRACKERS
    from keras_recipes.tuning import TUNERS

    assert parser.TUNERS == TUNERS
    assert [name for name, _ in parser.SUBCOMMANDS] == [
        "train", "evaluate", "runs", "tune", "audit", "pretrain"]
    for name, _ in parser.SUBCOMMANDS:
        module = __import__(f"keras_recipes.cli.{name}", fromlist=["run"])
        assert callable(module.run)
    imported = set()
    for node in ast.walk(ast.parse(open(parser.__file__).read())):
        if isinstance(node, ast.Import):
            imported.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or ".").split(".")[0])
    assert imported and imported <= set(sys.stdlib_module_names), imported
