"""Look at embeddings: a 2-D scatter plot and TensorBoard projector files."""

import os

import numpy as np
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.optional import import_optional
from keras_recipes.utils.validation import check_choice


def _inputs(embeddings, labels):
    x = np.asarray(ops.convert_to_numpy(embeddings), dtype="float64")
    if x.ndim != 2:
        raise ValueError(
            "Expected `embeddings` of shape (N, D). "
            f"Received: embeddings.shape={x.shape}"
        )
    if labels is None:
        return x, None
    y = np.asarray(ops.convert_to_numpy(labels)).reshape(-1)
    if len(y) != len(x):
        raise ValueError(
            "Expected one label per embedding. Received: "
            f"{len(y)} labels for {len(x)} embeddings"
        )
    return x, y


def pca_2d(x):
    """Project the rows of `x` on their first two principal components."""
    x = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    out = x @ vt[:2].T
    if out.shape[1] < 2:
        out = np.pad(out, ((0, 0), (0, 2 - out.shape[1])))
    return out


@keras_recipes_export("keras_recipes.evaluation.plot_embeddings")
def plot_embeddings(embeddings, labels, path, method="pca", class_names=None,
                    title=None, seed=0, max_points=5000):
    """Scatter plot of embeddings in 2-D, coloured by label, saved to `path`.

    `method="pca"` projects with a NumPy SVD; `method="tsne"` uses
    scikit-learn's `TSNE` (imported lazily). matplotlib is imported lazily
    and draws off-screen (no pyplot state is touched).

    Args:
        embeddings: `(N, D)` array or tensor.
        labels: `(N,)` integer labels (colours), or `None`.
        path: Output image file (`.png`, `.svg`, ...).
        method: `"pca"` or `"tsne"`. Defaults to `"pca"`.
        class_names: Optional sequence mapping label -> legend name.
            Defaults to `None` (the labels themselves).
        title: Optional title. Defaults to `None`.
        seed: Seed of the subsampling and of t-SNE. Defaults to `0`.
        max_points: Plot at most this many points (a seeded random
            subset). Defaults to `5000`.

    Returns:
        `path`.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(40, 8))
    >>> y = np.arange(40) % 4
    >>> keras_recipes.evaluation.plot_embeddings(x, y, "emb.png")
    'emb.png'
    """
    check_choice("method", method, ("pca", "tsne"))
    x, y = _inputs(embeddings, labels)
    if len(x) > max_points:
        keep = np.random.default_rng(seed).choice(len(x), max_points, False)
        x = x[keep]
        y = None if y is None else y[keep]
    if method == "pca":
        xy = pca_2d(x)
    else:
        manifold = import_optional("sklearn.manifold", "plots")
        xy = manifold.TSNE(
            n_components=2, random_state=seed, init="pca",
            perplexity=min(30.0, max(1.0, (len(x) - 1) / 3.0)),
        ).fit_transform(x)
    matplotlib = import_optional("matplotlib", "plots")
    # The object-oriented API draws off-screen without touching pyplot's
    # global backend.
    figure = import_optional("matplotlib.figure", "plots")

    fig = figure.Figure(figsize=(6, 5), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    if y is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=6)
    else:
        cmap = matplotlib.colormaps["tab10" if len(np.unique(y)) <= 10
                                    else "tab20"]
        for i, value in enumerate(np.unique(y)):
            sel = y == value
            name = (class_names[int(value)] if class_names is not None
                    else str(value))
            ax.scatter(xy[sel, 0], xy[sel, 1], s=6, color=cmap(i % cmap.N),
                       label=name)
        ax.legend(markerscale=2, fontsize=8, loc="best")
    ax.set_xlabel("PC 1" if method == "pca" else "t-SNE 1")
    ax.set_ylabel("PC 2" if method == "pca" else "t-SNE 2")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    return path


def _tsv_cell(value):
    return str(value).replace("\t", " ").replace("\n", " ")


@keras_recipes_export("keras_recipes.evaluation.export_projector")
def export_projector(embeddings, labels, log_dir, class_names=None,
                     tensor_name="embeddings"):
    """Write embeddings for TensorBoard's projector (no TensorBoard needed).

    Writes `vectors.tsv` (one row per embedding), `metadata.tsv` (one
    label per row, no header, as the projector expects for a single
    column) and `projector_config.pbtxt` pointing at both. Open with
    `tensorboard --logdir <log_dir>` and pick the "Projector" tab, or load
    the two TSV files at https://projector.tensorflow.org.

    Args:
        embeddings: `(N, D)` array or tensor.
        labels: `(N,)` labels, or `None` for no metadata file.
        log_dir: Directory to write to (created if needed).
        class_names: Optional sequence mapping label -> name written in
            the metadata. Defaults to `None`.
        tensor_name: Name shown in the projector. Defaults to
            `"embeddings"`.

    Returns:
        A dict with the paths written: `"vectors"`, `"metadata"` (or
        `None`) and `"config"`.

    Example:

    >>> x = np.eye(3)
    >>> paths = keras_recipes.evaluation.export_projector(x, [0, 1, 1], "p")
    >>> sorted(paths)
    ['config', 'metadata', 'vectors']
    """
    x, y = _inputs(embeddings, labels)
    os.makedirs(log_dir, exist_ok=True)
    vectors = os.path.join(log_dir, "vectors.tsv")
    with open(vectors, "w") as f:
        for row in x:
            f.write("\t".join(f"{v:.7g}" for v in row) + "\n")
    metadata = None
    if y is not None:
        metadata = os.path.join(log_dir, "metadata.tsv")
        with open(metadata, "w") as f:
            for value in y.tolist():
                name = class_names[int(value)] if class_names else value
                f.write(_tsv_cell(name) + "\n")
    config = os.path.join(log_dir, "projector_config.pbtxt")
    lines = [
        "embeddings {",
        f'  tensor_name: "{tensor_name}"',
        '  tensor_path: "vectors.tsv"',
    ]
    if metadata:
        lines.append('  metadata_path: "metadata.tsv"')
    lines.append("}")
    with open(config, "w") as f:
        f.write("\n".join(lines) + "\n")
    return {"vectors": vectors, "metadata": metadata, "config": config}
