"""Exact, memory-bounded retrieval metrics over a query and a gallery set."""

import numbers

import numpy as np
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.losses import distances as distances_lib
from keras_recipes.utils.validation import check_number


def _as_numpy(x, name, ndim):
    x = np.asarray(ops.convert_to_numpy(x))
    if ndim == 1 and x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != ndim:
        raise ValueError(
            f"Expected `{name}` to have rank {ndim}. "
            f"Received: {name}.shape={x.shape}"
        )
    return x


def _dissimilarity(distance, q, g):
    """(len(q), len(g)) matrix in which smaller means closer, in float64."""
    if type(distance) is distances_lib.EuclideanDistance:
        if distance.normalize:
            q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
            g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
        sq = (
            np.sum(q * q, axis=1)[:, None] + np.sum(g * g, axis=1)[None, :]
            - 2.0 * q @ g.T
        )
        sq = np.maximum(sq, 0.0)
        return sq if distance.squared else np.sqrt(sq)
    if type(distance) in (
        distances_lib.CosineSimilarity, distances_lib.DotProductSimilarity
    ):
        if distance.normalize:
            q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
            g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-12)
        return -(q @ g.T)
    mat = ops.convert_to_numpy(distance(q.astype("float32"),
                                        g.astype("float32")))
    return np.asarray(distance.dissimilarity(mat), dtype="float64")


@keras_recipes_export("keras_recipes.evaluation.retrieval_report")
def retrieval_report(query_embeddings, query_labels, gallery_embeddings=None,
                     gallery_labels=None, k=(1, 5, 10), distance="euclidean",
                     chunk_size=512):
    """Recall@k, precision@1, R-precision and MAP@R of nearest-neighbour
    retrieval, computed exactly in chunks of queries.

    Every query is ranked against the whole gallery (ties broken by gallery
    index). Without a gallery the queries are their own gallery and each
    query is left out of its own ranking (leave-one-out). Definitions
    follow pytorch-metric-learning's `AccuracyCalculator`: with `R` the
    number of gallery items that share the query's label (the query itself
    excluded),

    - `recall@k`: fraction of queries with a same-label item in the top k;
    - `precision@1`: fraction whose nearest neighbour has the same label;
    - `r_precision`: same-label items among the top `R`, divided by `R`;
    - `map@r`: `1/R * sum_{i <= R} precision@i * [item i matches]`.

    Queries with `R = 0` ("lone" queries) are left out of every metric.
    Unlike PML's faiss search, `R` is never capped at 1023. Only a
    `(chunk_size, len(gallery))` block of distances exists at a time.

    Args:
        query_embeddings: `(N, D)` array or tensor.
        query_labels: `(N,)` integer labels.
        gallery_embeddings: Optional `(M, D)` gallery. Defaults to `None`
            (leave-one-out over the queries).
        gallery_labels: `(M,)` labels, required with a gallery.
        k: An int or a tuple of ints for recall@k. Defaults to
            `(1, 5, 10)`.
        distance: A string or `keras_recipes.losses.distances.Distance`.
            Defaults to `"euclidean"`.
        chunk_size: Queries ranked per block. Defaults to `512`.

    Returns:
        A dict of Python floats with keys `"recall@{k}"` for each `k`,
        `"precision@1"`, `"r_precision"` and `"map@r"`, and the int
        `"num_queries"` (queries that were not lone).

    Example:

    >>> x = np.array([[0.0], [0.1], [1.0], [1.2], [0.15]], "float32")
    >>> y = np.array([0, 0, 1, 1, 1])
    >>> r = keras_recipes.evaluation.retrieval_report(x, y, k=(1, 2))
    >>> {key: round(v, 4) for key, v in r.items()}
    {'recall@1': 0.6, 'recall@2': 0.8, 'precision@1': 0.6, 'r_precision': 0.6,
     'map@r': 0.6, 'num_queries': 5}

    Reference:
        Musgrave et al., A Metric Learning Reality Check,
        https://arxiv.org/abs/2003.08505
    """
    ks = (k,) if isinstance(k, numbers.Integral) else tuple(k)
    if not ks:
        raise ValueError(
            f"Expected `k` to be a non-empty tuple. Received: k={k!r}"
        )
    for value in ks:
        check_number("k", value, min_value=1, integer=True)
    check_number("chunk_size", chunk_size, min_value=1, integer=True)
    distance = distances_lib.get(distance)
    q = _as_numpy(query_embeddings, "query_embeddings", 2).astype("float64")
    ql = _as_numpy(query_labels, "query_labels", 1)
    same_source = gallery_embeddings is None
    if same_source:
        if gallery_labels is not None:
            raise ValueError(
                "Expected `gallery_labels=None` when `gallery_embeddings` is "
                "None. Received: gallery_labels of length "
                f"{len(gallery_labels)}"
            )
        g, gl = q, ql
    else:
        if gallery_labels is None:
            raise ValueError(
                "Expected `gallery_labels` with `gallery_embeddings`. "
                "Received: gallery_labels=None"
            )
        g = _as_numpy(gallery_embeddings, "gallery_embeddings", 2)
        g = g.astype("float64")
        gl = _as_numpy(gallery_labels, "gallery_labels", 1)
        if len(g) != len(gl):
            raise ValueError(
                "Expected as many gallery labels as gallery embeddings. "
                f"Received: {len(gl)} labels for {len(g)} embeddings"
            )
    if len(q) != len(ql):
        raise ValueError(
            "Expected as many query labels as query embeddings. "
            f"Received: {len(ql)} labels for {len(q)} embeddings"
        )
    if q.shape[1] != g.shape[1]:
        raise ValueError(
            "Expected queries and gallery of the same dimension. Received: "
            f"{q.shape[1]} and {g.shape[1]}"
        )

    classes, counts = np.unique(gl, return_counts=True)
    count_of = dict(zip(classes.tolist(), counts.tolist()))
    r_all = np.array([count_of.get(v, 0) for v in ql.tolist()], "int64")
    if same_source:
        r_all = r_all - 1
    max_k = max(ks)
    sums = {f"recall@{v}": 0.0 for v in ks}
    sums.update({"precision@1": 0.0, "r_precision": 0.0, "map@r": 0.0})
    num_queries = 0
    for start in range(0, len(q), chunk_size):
        stop = min(start + chunk_size, len(q))
        r = r_all[start:stop]
        keep = r > 0
        if not np.any(keep):
            continue
        d = _dissimilarity(distance, q[start:stop], g)
        if same_source:
            d[np.arange(stop - start), np.arange(start, stop)] = np.inf
        d, r = d[keep], r[keep]
        labels = ql[start:stop][keep]
        width = min(max(max_k, int(r.max())), g.shape[0])
        # Exact ranking; a stable sort breaks ties by gallery index.
        order = np.argsort(d, axis=1, kind="stable")[:, :width]
        match = gl[order] == labels[:, None]
        ranks = np.arange(1, width + 1)
        within_r = ranks[None, :] <= r[:, None]
        for v in ks:
            sums[f"recall@{v}"] += float(np.sum(np.any(match[:, :v], axis=1)))
        sums["precision@1"] += float(np.sum(match[:, 0]))
        hits_r = match & within_r
        sums["r_precision"] += float(np.sum(np.sum(hits_r, axis=1) / r))
        precision_at_i = np.cumsum(hits_r, axis=1) / ranks[None, :]
        sums["map@r"] += float(
            np.sum(np.sum(precision_at_i * hits_r, axis=1) / r)
        )
        num_queries += int(len(r))
    report = {
        key: (value / num_queries if num_queries else 0.0)
        for key, value in sums.items()
    }
    report["num_queries"] = num_queries
    return report
