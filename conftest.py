import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import importlib.util  # noqa: E402

import keras  # noqa: E402
import pytest  # noqa: E402


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend: {keras.backend.backend()}"


def pytest_collection_modifyitems(config, items):
    has_tf = importlib.util.find_spec("tensorflow") is not None
    skip_tf_data = pytest.mark.skip(reason="tf.data needs TensorFlow")
    for item in items:
        if "requires_tf_data" in item.keywords and not has_tf:
            item.add_marker(skip_tf_data)


@pytest.fixture(autouse=True)
def _fresh_session():
    keras.backend.clear_session()
    keras.utils.set_random_seed(1337)
    yield
