"""`keras-recipes audit` on a tiny `.npz`: writes `audit.html` and
`audit.json`, prints the summary (progress on stderr), and turns bad
arguments into one line and exit code 2."""

import json

import numpy as np
import pytest

from keras_recipes import cli


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_audit")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, 8, 8), dtype="uint8")
    y = np.arange(60) % 3
    xt = rng.integers(0, 256, (20, 8, 8), dtype="uint8")
    yt = np.arange(20) % 3
    x[40] = x[4]                 # exact duplicate
    x[41], y[41] = x[5], (y[5] + 1) % 3   # conflicting labels
    xt[3] = x[7]                 # leak
    npz = folder / "tiny.npz"
    np.savez(npz, x_train=x, y_train=y, x_test=xt, y_test=yt)
    probs = np.full((60, 3), 0.1)
    probs[np.arange(60), y] = 0.8
    probs[10] = [0.05, 0.05, 0.9] if y[10] != 2 else [0.9, 0.05, 0.05]
    good = folder / "probs.npy"
    np.save(good, probs)
    wrong = folder / "wrong.npy"
    np.save(wrong, probs[:50])
    return {"npz": str(npz), "probs": str(good), "wrong": str(wrong),
            "folder": folder}


def test_audit_writes_html_and_json(files, tmp_path, capsys):
    out = tmp_path / "report"
    code = cli.main(["audit", "--dataset", files["npz"], "--probabilities",
                     files["probs"], "--output", str(out)])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "Dataset audit: 60 training samples" in stdout
    assert "audit: near duplicates in train" in stderr   # progress
    data = json.loads((out / "audit.json").read_text())
    assert data["counts"]["exact_duplicates"] == 2
    assert data["counts"]["label_conflicts"] == 1
    assert data["exact_leaks"] == [[3, 7]]
    assert 10 in data["label_issues"]
    assert data["class_names"] == ["0", "1", "2"]
    page = (out / "audit.html").read_text()
    assert page.count("<img") >= 5


def test_audit_quiet_without_probabilities(files, tmp_path, capsys):
    out = tmp_path / "quiet"
    code = cli.main(["audit", "--dataset", files["npz"], "--output",
                     str(out), "--quiet", "--subset", "50"])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert stderr == ""
    assert "50 training samples" in stdout
    assert "not checked" in stdout
    assert json.loads((out / "audit.json").read_text())["label_issues"] \
        is None


BAD = {
    "missing_probabilities": (["--probabilities", "/no/probs.npy"],
                              "probabilities file not found"),
    "wrong_probabilities": (["--probabilities", "{wrong}"],
                            "probabilities.shape=(50, 3)"),
    "threshold_zero": (["--near-threshold", "0"], "--near-threshold"),
    "threshold_text": (["--near-threshold", "high"], "--near-threshold"),
    "chunk_size": (["--chunk-size", "0"], "--chunk-size"),
    "missing_dataset": (["--dataset", "/no/such.npz"],
                        "dataset file not found"),
}


def test_bad_argument_is_one_line(files, tmp_path, capsys):
    for case, (argv, expected) in sorted(BAD.items()):
        argv = [a.format(wrong=files["wrong"]) for a in argv]
        if "--dataset" not in argv:
            argv = ["--dataset", files["npz"], *argv]
        code = cli.main(["audit", *argv, "--output", str(tmp_path / "o")])
        _, err = capsys.readouterr()
        assert code == 2, case
        assert expected in err, (case, err)
        assert len(err.strip().splitlines()) == 1, (case, err)
        assert "Traceback" not in err, case
