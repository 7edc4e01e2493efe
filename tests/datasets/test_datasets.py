import gzip
import os

import numpy as np
import pytest

from keras_recipes.datasets import digits
from keras_recipes.datasets import fashion_mnist


def _write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype("uint8").tobytes())


def test_fashion_mnist_reads_folder_from_env(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (5, 28, 28)),
        "y_train": rng.integers(0, 10, (5,)),
        "x_test": rng.integers(0, 256, (3, 28, 28)),
        "y_test": rng.integers(0, 10, (3,)),
    }
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    for key, name in fashion_mnist.FILES.items():
        _write_idx(folder / name, arrays[key])
    monkeypatch.setenv("KERAS_RECIPES_DATA", str(tmp_path))
    (x, y), (xt, yt) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x, arrays["x_train"])
    np.testing.assert_array_equal(yt, arrays["y_test"])
    assert x.dtype == np.uint8 and x.shape == (5, 28, 28)


def test_fashion_mnist_offline_error_says_how_to_install(tmp_path,
                                                          monkeypatch):
    import keras

    monkeypatch.setenv("KERAS_RECIPES_DATA", str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", str(tmp_path / "none"))

    def offline():
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(OSError, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist.load_data()


@pytest.mark.skipif(fashion_mnist.find_local_copy() is None,
                    reason="dataset-fashion-mnist is not installed")
def test_real_fashion_mnist_shapes():
    (x, y), (xt, yt) = fashion_mnist.load_data()
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert sorted(np.unique(y)) == list(range(10))
    assert np.bincount(yt).tolist() == [1000] * 10


def test_digits_split_is_stratified_and_deterministic():
    (x, y), (xt, yt) = digits.load_data()
    (x2, y2), _ = digits.load_data()
    np.testing.assert_array_equal(y, y2)
    assert x.dtype == np.uint8 and x.max() == 255 and x.shape[1:] == (8, 8)
    assert len(y) + len(yt) == 1797
    frac = np.bincount(yt) / (np.bincount(yt) + np.bincount(y))
    assert np.all(np.abs(frac - 0.2) < 0.02)
    with pytest.raises(ValueError, match="test_split"):
        digits.load_data(test_split=1.0)


if os.environ.get("CI") and fashion_mnist.find_local_copy() is None:
    # CI installs the Debian package in scripts/test.sh; fail loudly if not.
    raise RuntimeError(fashion_mnist.INSTALL_HINT)


def test_load_dataset_normalises_and_checks(tmp_path):
    from keras_recipes.datasets import load_dataset

    (x, y), (xt, yt), names = load_dataset("digits")
    (rx, ry), (rxt, ryt) = digits.load_data()
    assert x.dtype == np.float32 and x.shape == (*np.shape(rx)[:3], 1)
    np.testing.assert_array_equal(x[..., 0], rx)
    np.testing.assert_array_equal(y, ry)
    assert y.dtype == np.int64 and names == [str(i) for i in range(10)]

    good = tmp_path / "good.npz"
    np.savez(good, x_train=np.zeros((4, 5, 6, 3), "uint8"),
             y_train=np.array([0, 1, 2, 1]), x_test=np.ones((2, 5, 6, 3)),
             y_test=np.array([2, 0]), class_names=np.array(["a", "b", "c"]))
    (x, y), (xt, yt), names = load_dataset(str(good))
    assert x.shape == (4, 5, 6, 3) and x.dtype == np.float32
    assert names == ["a", "b", "c"]

    bad = {
        "partial": (dict(x_train=np.zeros((4, 8, 8)),
                     y_train=np.zeros(4, "int64")), "lacks the arrays"),
        "float_labels": (dict(x_train=np.zeros((4, 8, 8)),
                              y_train=np.zeros(4), x_test=np.zeros((2, 8, 8)),
                              y_test=np.zeros(2)), "y_train must hold 4"),
        "negative": (dict(x_train=np.zeros((2, 8, 8)),
                          y_train=np.array([0, -1]),
                          x_test=np.zeros((1, 8, 8)),
                          y_test=np.array([0])), "class ids >= 0"),
        "not_images": (dict(x_train=np.zeros((4, 8)),
                            y_train=np.zeros(4, "int64"),
                            x_test=np.zeros((2, 8)),
                            y_test=np.zeros(2, "int64")), "x_train must hold"),
    }
    for name, (arrays, message) in bad.items():
        path = tmp_path / f"{name}.npz"
        np.savez(path, **arrays)
        with pytest.raises(ValueError, match=message):
            load_dataset(str(path))
    with pytest.raises(ValueError, match="dataset file not found"):
        load_dataset(str(tmp_path / "missing.npz"))
    with pytest.raises(ValueError, match="unknown dataset 'mnist'"):
        load_dataset("mnist")
    with pytest.raises(TypeError, match="name"):
        load_dataset(3)
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_text("not a zip")
    with pytest.raises(ValueError, match="cannot read dataset file"):
        load_dataset(str(corrupt))
