"""Executed documentation: every ```python block in README.md, docs/*.md and
docs/recipes/*.md runs, or carries an explicit skip marker.

Blocks run as written, in document order, with one fresh namespace per file
and a temporary working directory (blocks may write files), so a reader can
paste them one after the other. There is no hidden setup: a block that needs
data or a model makes it. A block is skipped only when the line right before
its fence is a marker with a reason, for blocks that need a GPU or minutes of
training:

    <!-- docs-test: skip (needs a GPU) -->
    ```python

Skips are the exception: `test_skips_are_the_exception` asserts that fewer
than half of the blocks are skipped. A failing block is reported as
`file:line` (the line in the Markdown file), and its traceback points at the
Markdown lines too.

The blocks run on JAX only (the quick start's backend). They are reader
examples of backend-agnostic code, whose behaviour on each backend the unit
tests already check, and the whole set trains a few dozen small models
(cross-validation, a tuner search, a recipe), several minutes on a loaded
2-core CPU: too much to repeat three times in CI. Set
`KERAS_RECIPES_DOCS_BACKENDS=all` (or a comma-separated list) to run them on
other backends.
"""

import os
import pathlib
import re
import traceback

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SKIP_MARKER = re.compile(
    r"^\s*<!--\s*docs-test:\s*skip\s*\((?P<reason>.*)\)\s*-->\s*$")
ANY_MARKER = re.compile(r"<!--\s*docs-test")
FENCE_OPEN = re.compile(r"^(?P<indent>\s*)```python\s*$")
FENCE_CLOSE = re.compile(r"^\s*```\s*$")
# Packages from optional extras: a block that imports one that is missing is
# skipped with a reason instead of failing (the `test` extra installs all).
BACKENDS = os.environ.get("KERAS_RECIPES_DOCS_BACKENDS", "jax")
RUN_HERE = BACKENDS == "all" or keras.backend.backend() in BACKENDS.split(",")
OPTIONAL = {"sklearn", "imblearn", "keras_tuner", "mlflow", "matplotlib",
            "tensorboard", "wandb", "tensorflow"}


def doc_files():
    files = [ROOT / "README.md"]
    files += sorted((ROOT / "docs").glob("*.md"))
    files += sorted((ROOT / "docs" / "recipes").glob("*.md"))
    return [f for f in files if f.exists()]


class Block:
    def __init__(self, path, line, code, skip, root):
        self.path = path
        self.line = line  # 1-based line of the first code line
        self.code = code
        self.skip = skip  # the reason, or None
        self.rel = path.relative_to(root)

    @property
    def where(self):
        return f"{self.rel}:{self.line}"


def python_blocks(path, root=ROOT):
    """The ```python blocks of a Markdown file, with their skip markers."""
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks, i = [], 0
    while i < len(lines):
        match = FENCE_OPEN.match(lines[i])
        if not match:
            i += 1
            continue
        indent = len(match.group("indent"))
        j = i + 1
        while j < len(lines) and not FENCE_CLOSE.match(lines[j]):
            j += 1
        if j == len(lines):
            raise ValueError(f"{path.relative_to(root)}:{i + 1}: unclosed "
                             "```python fence")
        code = "\n".join(line[indent:] for line in lines[i + 1:j])
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        skip = None
        if k >= 0 and ANY_MARKER.search(lines[k]):
            marker = SKIP_MARKER.match(lines[k])
            if not marker or not marker.group("reason").strip():
                raise ValueError(
                    f"{path.relative_to(root)}:{k + 1}: expected a marker "
                    "`<!-- docs-test: skip (reason) -->` with a reason. "
                    f"Received: {lines[k].strip()!r}")
            skip = marker.group("reason").strip()
        blocks.append(Block(path, i + 2, code, skip, root))
        i = j + 1
    return blocks


FILES = [f for f in doc_files() if python_blocks(f)]


def _reset_keras():
    keras.backend.clear_session()
    keras.config.set_floatx("float32")
    keras.config.set_image_data_format("channels_last")
    keras.config.set_dtype_policy("float32")


def _markdown_line(exc, path):
    """The Markdown line where `exc` was raised inside a block, if any."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == str(path):
            line = frame.lineno
    return line


@pytest.mark.skipif(
    not RUN_HERE, reason="documentation blocks run on the backends in "
    f"KERAS_RECIPES_DOCS_BACKENDS={BACKENDS!r} (see the module docstring)")
@pytest.mark.parametrize(
    "path", FILES, ids=[str(f.relative_to(ROOT)) for f in FILES])
def test_blocks_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    _reset_keras()
    keras.utils.set_random_seed(0)
    namespace = {"__name__": "__main__"}
    ran = 0
    try:
        for block in python_blocks(path):
            if block.skip:
                continue
            # Pad with newlines so tracebacks give the Markdown line numbers.
            source = "\n" * (block.line - 1) + block.code
            try:
                exec(compile(source, str(path), "exec"), namespace)
            except ModuleNotFoundError as exc:
                if (exc.name or "").split(".")[0] in OPTIONAL:
                    pytest.skip(f"{block.where}: needs the optional package "
                                f"{exc.name!r}")
                raise _failure(block, exc) from exc
            except Exception as exc:  # noqa: BLE001 (report any failure)
                raise _failure(block, exc) from exc
            ran += 1
    finally:
        _reset_keras()
    if not ran:
        reasons = "; ".join(b.skip for b in python_blocks(path))
        pytest.skip(f"{path.relative_to(ROOT)}: every block is skipped "
                    f"({reasons})")


class DocsBlockError(AssertionError):
    pass


def _failure(block, exc):
    line = _markdown_line(exc, block.path) or block.line
    rel = block.rel
    trace = "".join(traceback.format_exception(type(exc), exc,
                                               exc.__traceback__)[-6:])
    return DocsBlockError(
        f"{rel}:{line}: the ```python block starting at {block.where} "
        f"failed with {type(exc).__name__}: {exc}\n{trace}")


def test_skips_are_the_exception():
    blocks = [b for f in doc_files() for b in python_blocks(f)]
    skipped = [b.where for b in blocks if b.skip]
    assert len(blocks) >= 10, f"only {len(blocks)} python blocks found"
    assert len(skipped) < 0.5 * len(blocks), (
        f"{len(skipped)} of {len(blocks)} python blocks are skipped (at most "
        f"half may be): {skipped}")


def test_block_parser(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Title\n\n```python\nx = 1\n```\n\n"
        "<!-- docs-test: skip (needs a GPU) -->\n```python\ny = 2\n```\n"
        "```bash\nls\n```\n- item\n\n  ```python\n  z = 3\n  ```\n",
        encoding="utf-8")
    blocks = python_blocks(doc, root=tmp_path)
    assert [(b.line, b.code, b.skip) for b in blocks] == [
        (4, "x = 1", None), (9, "y = 2", "needs a GPU"), (17, "z = 3", None)]


def test_marker_without_reason_is_refused(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- docs-test: skip -->\n```python\nx = 1\n```\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="with a reason"):
        python_blocks(doc, root=tmp_path)


def test_failure_names_the_markdown_line(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("text\n```python\na = 1\nb = a / 0\n```\n",
                   encoding="utf-8")
    (block,) = python_blocks(doc, root=tmp_path)
    source = "\n" * (block.line - 1) + block.code
    with pytest.raises(ZeroDivisionError) as info:
        exec(compile(source, str(doc), "exec"), {})
    message = str(_failure(block, info.value))
    assert message.startswith("doc.md:4: the ```python block starting at "
                              "doc.md:3 failed with ZeroDivisionError")


def test_runner_resets_keras_configuration():
    # Blocks may change Keras's global configuration; the runner resets it.
    keras.config.set_floatx("float16")
    keras.config.set_image_data_format("channels_first")
    _reset_keras()
    assert keras.config.floatx() == "float32"
    assert keras.config.image_data_format() == "channels_last"
