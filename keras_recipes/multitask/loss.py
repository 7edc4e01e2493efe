"""Multi-task loss weighting: uncertainty weighting (Kendall et al., 2018),
Dynamic Weight Average (Liu et al., 2019), equal and static weights."""

import keras
import numpy as np
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number

WEIGHTINGS = ("uncertainty", "equal", "dwa")
TASK_TYPES = ("regression", "classification")
# The factor `c_i` of `exp(-s_i) * L_i` in Kendall et al.'s forms.
TASK_SCALES = {"regression": 0.5, "classification": 1.0}
_REGRESSION_NAMES = (
    "mean_squared_error", "mean_absolute_error", "huber", "huber_loss",
    "log_cosh", "mean_squared_logarithmic_error",
    "mean_absolute_percentage_error",
)
_CLASSIFICATION_MARKERS = ("crossentropy", "focal", "hinge")


@keras_recipes_export("keras_recipes.multitask.uncertainty_weighting")
def uncertainty_weighting(task_losses, log_variances, task_scales):
    """Kendall et al.'s total: `sum_i c_i exp(-s_i) L_i + s_i / 2`.

    `s_i = log sigma_i^2` is the learned log-variance of task `i` and
    `c_i` its scale: `1/2` for a regression task (Gaussian likelihood,
    `L_i / (2 sigma_i^2) + log sigma_i`) and `1` for a classification task
    (scaled softmax, `L_i / sigma_i^2 + log sigma_i`). All three arguments
    have shape `(K,)`; returns a scalar.

    Example:

    >>> total = keras_recipes.multitask.uncertainty_weighting(
    ...     np.array([2.0, 1.0]), np.array([0.0, 1.0]), np.array([0.5, 1.0]))
    >>> round(float(total), 4)
    1.8679
    """
    task_losses = ops.convert_to_tensor(task_losses)
    dtype = task_losses.dtype
    log_variances = ops.cast(ops.convert_to_tensor(log_variances), dtype)
    task_scales = ops.cast(ops.convert_to_tensor(task_scales), dtype)
    return ops.sum(
        task_scales * ops.exp(-log_variances) * task_losses
        + 0.5 * log_variances
    )


@keras_recipes_export("keras_recipes.multitask.dwa_weights")
def dwa_weights(previous_losses, earlier_losses, temperature=2.0):
    """Dynamic Weight Average task weights, a NumPy float64 array `(K,)`.

    `w_k = K exp(r_k / T) / sum_i exp(r_i / T)` with the loss ratio
    `r_k = L_k(t-1) / L_k(t-2)` of the epoch-average losses of the two
    previous epochs (`previous_losses` for `t-1`, `earlier_losses` for
    `t-2`). The weights sum to `K`; a task whose loss falls more slowly
    gets more weight.

    Example:

    >>> w = keras_recipes.multitask.dwa_weights([1.0, 0.5], [1.0, 1.0])
    >>> [round(float(v), 4) for v in w]
    [1.1244, 0.8756]
    """
    check_number("temperature", temperature, min_value=0.0,
                 min_inclusive=False)
    previous = np.asarray(previous_losses, "float64").reshape(-1)
    earlier = np.asarray(earlier_losses, "float64").reshape(-1)
    if previous.shape != earlier.shape or previous.size == 0:
        raise ValueError(
            "Expected `previous_losses` and `earlier_losses` to hold one "
            "loss per task each. Received: previous_losses.shape="
            f"{previous.shape}, earlier_losses.shape={earlier.shape}"
        )
    ratio = previous / np.maximum(earlier, np.finfo("float64").tiny)
    z = ratio / temperature
    z = np.exp(z - z.max())
    return len(previous) * z / z.sum()


class _FunctionLoss(keras.losses.Loss):
    """A Keras loss function (`keras.losses.get("mse")`) as a `Loss` with
    Keras's default reduction (private, never serialized: the owner keeps
    the name)."""

    def __init__(self, fn, name):
        super().__init__(name=name)
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


def _resolve_loss(identifier, task):
    """`(Loss instance, config entry)` for one task's loss."""
    if isinstance(identifier, str):
        try:
            fn = keras.losses.get(identifier)
        except ValueError:
            fn = None
        if fn is None:
            raise ValueError(
                f"Expected the loss of task {task!r} to be a Keras loss name "
                f"(e.g. 'mse', 'sparse_categorical_crossentropy'). Received: "
                f"{identifier!r}"
            )
        if isinstance(fn, keras.losses.Loss):
            return fn, identifier
        return _FunctionLoss(fn, fn.__name__), identifier
    if isinstance(identifier, keras.losses.Loss):
        return identifier, keras.saving.serialize_keras_object(identifier)
    if callable(identifier) and hasattr(identifier, "__name__"):
        try:
            same = keras.losses.get(identifier.__name__) is identifier
        except ValueError:
            same = False
        if same:
            return (_FunctionLoss(identifier, identifier.__name__),
                    identifier.__name__)
    raise TypeError(
        f"Expected the loss of task {task!r} to be a keras.losses.Loss or a "
        f"Keras loss name. Received: {identifier!r} of type "
        f"{type(identifier).__name__}"
    )


def infer_task_type(loss):
    """`"regression"` for MSE/MAE/Huber/log-cosh-like losses,
    `"classification"` for crossentropies (and focal / hinge losses), or
    `None` when the loss's name says neither."""
    name = getattr(loss, "name", None) or getattr(loss, "__name__", "")
    fn = getattr(loss, "fn", None)
    names = {str(name).lower(), str(getattr(fn, "__name__", "")).lower()}
    if names & set(_REGRESSION_NAMES):
        return "regression"
    if any(m in n for n in names for m in _CLASSIFICATION_MARKERS):
        return "classification"
    return None


def _check_names(names):
    for n in names:
        if not isinstance(n, str) or not n:
            raise TypeError(
                "Expected every task name to be a non-empty string. "
                f"Received: task name {n!r}"
            )
    if len(set(names)) != len(names):
        raise ValueError(
            f"Expected unique task names. Received: task_names={names!r}"
        )
    return list(names)


def _per_task(name, value, task_names, check):
    """A list/tuple (in task order) or a `{task: value}` dict as a list."""
    if isinstance(value, dict):
        if sorted(value) != sorted(task_names):
            raise ValueError(
                f"Expected `{name}` to have one entry per task, keys "
                f"{sorted(task_names)}. Received: {name}={value!r}"
            )
        value = [value[n] for n in task_names]
    elif isinstance(value, (list, tuple)):
        if len(value) != len(task_names):
            raise ValueError(
                f"Expected `{name}` to have {len(task_names)} entries, one "
                f"per task. Received: {name}={value!r}"
            )
        value = list(value)
    else:
        raise TypeError(
            f"Expected `{name}` to be a list or a dict with one entry per "
            f"task. Received: {name}={value!r}"
        )
    return [check(v) for v in value]


@keras_recipes_export("keras_recipes.multitask.MultiTaskLoss")
class MultiTaskLoss(keras.layers.Layer):
    """Weighted sum of the per-task losses of a multi-output model.

    Computes one Keras loss per task, `L_i = loss_i(y_i, y_pred_i,
    sample_weight_i)` (each with its own reduction, by default the
    sample-weighted mean over the batch), and combines them with one of
    these weightings:

    - `"uncertainty"` (Kendall, Gal & Cipolla, 2018): learned
      log-variances `s_i = log sigma_i^2`, one per task, and
      `total = sum_i c_i exp(-s_i) L_i + s_i / 2`. `c_i = 1/2` for a
      regression task (the Gaussian likelihood, `L/(2 sigma^2) + log
      sigma`) and `c_i = 1` for a classification task (the scaled softmax,
      `L/sigma^2 + log sigma`): the paper's two forms. `task_types`
      chooses them; by default they are inferred from the losses (MSE,
      MAE, Huber, log-cosh: regression; crossentropies, focal and hinge
      losses: classification). The `s_i` start at 0 (`sigma_i = 1`) and
      are trainable weights of this layer.
    - `"dwa"` (Dynamic Weight Average, Liu, Johns & Davison, 2019):
      `total = sum_k w_k L_k` with `w_k = K softmax(r / T)_k` and
      `r_k = L_k(t-1) / L_k(t-2)` computed from the epoch-average losses of
      the two previous epochs; `w = 1` for the first two epochs. The
      weights are non-trainable weights of this layer, changed once per
      epoch by `update_dwa(epoch_losses)`.
    - `"equal"`: `total = sum_i L_i`.
    - a list or `{task: weight}` dict of static weights `>= 0`:
      `total = sum_i w_i L_i`.

    Keras does not train the variables of a loss given to `compile`, and
    the DWA weights must change between epochs inside the compiled step,
    so this is a layer: use it through
    `keras_recipes.multitask.MultiTaskModel`, which holds it (its weights
    become trainable / non-trainable state of the model), logs
    `loss_<task>` and `weight_<task>` and updates the DWA weights at the
    end of every epoch. Called directly,
    `multitask_loss(y_true, y_pred, sample_weight=None)` returns the total.

    `y_true`, `y_pred` and `sample_weight` are lists (in task order) or
    dicts keyed by task name; `sample_weight` may also be one array used
    for every task, or `None`.

    Args:
        losses: One loss per task: a list, or a `{task_name: loss}` dict,
            of `keras.losses.Loss` objects or Keras loss names (`"mse"`,
            `"sparse_categorical_crossentropy"`, ...).
        weighting: `"uncertainty"`, `"equal"`, `"dwa"`, or a list / dict of
            static per-task weights. Defaults to `"uncertainty"`.
        task_types: For `"uncertainty"`: `"regression"` or
            `"classification"` per task (a list or dict), or `None` to
            infer them from the losses. Defaults to `None`.
        temperature: DWA temperature `T > 0`. Defaults to `2.0` (the
            paper's).
        task_names: Names of the tasks when `losses` is a list. Defaults
            to `None`: the dict keys, or `"task_0"`, `"task_1"`, ...
        **kwargs: Passed to `keras.layers.Layer` (e.g. `name`).

    Example:

    >>> mtl = keras_recipes.multitask.MultiTaskLoss(
    ...     {"digit": "sparse_categorical_crossentropy", "size": "mse"})
    >>> mtl.task_types
    ['classification', 'regression']
    >>> y_true = {"digit": np.array([0, 1]), "size": np.array([[1.0], [2.0]])}
    >>> y_pred = {"digit": np.array([[0.9, 0.1], [0.2, 0.8]]),
    ...           "size": np.array([[1.0], [1.0]])}
    >>> [round(float(v), 4) for v in mtl.compute_task_losses(y_true, y_pred)]
    [0.1643, 0.5]
    >>> round(float(mtl(y_true, y_pred)), 4)   # 1 * 0.1643 + 0.5 * 0.5
    0.4143

    Reference:
        - [Kendall et al., 2018](https://arxiv.org/abs/1705.07115)
        - [Liu et al., 2019](https://arxiv.org/abs/1803.10704)
    """

    def __init__(self, losses, weighting="uncertainty", task_types=None,
                 temperature=2.0, task_names=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(losses, dict):
            if task_names is not None:
                raise ValueError(
                    "Expected `task_names=None` when `losses` is a dict (its "
                    f"keys name the tasks). Received: task_names={task_names!r}"
                )
            names = _check_names(list(losses))
            items = [losses[n] for n in names]
        elif isinstance(losses, (list, tuple)):
            items = list(losses)
            names = (
                [f"task_{i}" for i in range(len(items))] if task_names is None
                else _check_names(list(task_names))
            )
            if len(names) != len(items):
                raise ValueError(
                    f"Expected `task_names` to have {len(items)} names, one "
                    f"per loss. Received: task_names={task_names!r}"
                )
        else:
            raise TypeError(
                "Expected `losses` to be a list or a dict of Keras losses, "
                f"one per task. Received: losses={losses!r}"
            )
        if len(items) < 1:
            raise ValueError(
                "Expected `losses` to hold at least one loss. Received: "
                f"losses={losses!r}"
            )
        resolved = [_resolve_loss(item, n) for item, n in zip(items, names)]
        self.task_names = names
        self.loss_fns = [r[0] for r in resolved]
        self._loss_configs = [r[1] for r in resolved]
        self._dict_losses = isinstance(losses, dict)
        self.temperature = float(check_number(
            "temperature", temperature, min_value=0.0, min_inclusive=False))

        self.static_weights = None
        if isinstance(weighting, str):
            if weighting not in WEIGHTINGS:
                raise ValueError(
                    f"Expected `weighting` to be one of {list(WEIGHTINGS)} or "
                    "a list / dict of per-task weights. Received: "
                    f"weighting={weighting!r}"
                )
            self.weighting = weighting
        elif isinstance(weighting, (dict, list, tuple)):
            self.static_weights = _per_task(
                "weighting", weighting, names,
                lambda w: float(check_number("weighting", w, min_value=0.0)),
            )
            self.weighting = "static"
        else:
            raise TypeError(
                f"Expected `weighting` to be one of {list(WEIGHTINGS)} or a "
                "list / dict of per-task weights. Received: "
                f"weighting={weighting!r}"
            )

        self.task_types = self._resolve_task_types(task_types)
        k = len(names)
        self.log_variance = None
        self.dwa_weight_variable = None
        if self.weighting == "uncertainty":
            self.log_variance = self.add_weight(
                shape=(k,), initializer="zeros", trainable=True,
                name="log_variance", dtype="float32",
            )
        elif self.weighting == "dwa":
            self.dwa_weight_variable = self.add_weight(
                shape=(k,), initializer="ones", trainable=False,
                name="dwa_weights", dtype="float32",
            )
            # Row 0: epoch-average losses of the last epoch, row 1: the
            # epoch before.
            self.loss_history = self.add_weight(
                shape=(2, k), initializer="zeros", trainable=False,
                name="loss_history", dtype="float32",
            )
            self.epochs_seen = self.add_weight(
                shape=(), initializer="zeros", trainable=False,
                name="epochs_seen", dtype="float32",
            )
        self.built = True

    def _resolve_task_types(self, task_types):
        names = self.task_names
        if task_types is None:
            inferred = [infer_task_type(fn) for fn in self.loss_fns]
            if self.weighting != "uncertainty":
                return [t or "unknown" for t in inferred]
            for n, t, fn in zip(names, inferred, self.loss_fns):
                if t is None:
                    raise ValueError(
                        "Cannot tell whether task "
                        f"{n!r} is a regression or a classification task "
                        f"from its loss {getattr(fn, 'name', fn)!r}: pass "
                        "`task_types` (e.g. task_types={"
                        f"{n!r}: 'regression'}}). Received: task_types=None"
                    )
            return inferred

        def check(t):
            if t not in TASK_TYPES:
                raise ValueError(
                    f"Expected every entry of `task_types` to be one of "
                    f"{list(TASK_TYPES)}. Received: task_types={task_types!r}"
                )
            return t

        return _per_task("task_types", task_types, names, check)

    @property
    def num_tasks(self):
        return len(self.task_names)

    @property
    def task_scales(self):
        """`c_i` of every task (1/2 regression, 1 classification)."""
        return [TASK_SCALES.get(t, 1.0) for t in self.task_types]

    def _as_list(self, name, value, allow_single=False):
        names = self.task_names
        if isinstance(value, dict):
            missing = [n for n in names if n not in value]
            if missing:
                raise ValueError(
                    f"Expected `{name}` to have the keys {names} (the task "
                    f"names). Received: keys {sorted(value)}"
                )
            return [value[n] for n in names]
        if isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(
                    f"Expected `{name}` to hold {len(names)} entries, one per "
                    f"task {names}. Received: {len(value)} entries"
                )
            return list(value)
        if len(names) == 1:
            return [value]
        if allow_single:
            return [value] * len(names)
        raise TypeError(
            f"Expected `{name}` to be a list or a dict with one entry per "
            f"task {names}. Received: {name} of type {type(value).__name__}"
        )

    def compute_task_losses(self, y_true, y_pred, sample_weight=None):
        """The per-task losses `L_i`: a list of scalar tensors (float32)."""
        y_true = self._as_list("y_true", y_true)
        y_pred = self._as_list("y_pred", y_pred)
        weights = self._as_list("sample_weight", sample_weight,
                                allow_single=True)
        return [
            ops.cast(fn(t, p, sample_weight=w), "float32")
            for fn, t, p, w in zip(self.loss_fns, y_true, y_pred, weights)
        ]

    def task_weights(self):
        """The factor of each `L_i` in the total, a `(K,)` float32 tensor:
        `c_i exp(-s_i)` for `"uncertainty"`, the DWA or static weights,
        ones for `"equal"`."""
        if self.weighting == "uncertainty":
            scales = ops.convert_to_tensor(self.task_scales, "float32")
            return scales * ops.exp(-ops.cast(self.log_variance, "float32"))
        if self.weighting == "dwa":
            return ops.cast(self.dwa_weight_variable, "float32")
        if self.weighting == "static":
            return ops.convert_to_tensor(self.static_weights, "float32")
        return ops.ones((self.num_tasks,), "float32")

    def combine(self, task_losses):
        """The total loss from the per-task losses (a list or `(K,)`)."""
        losses = ops.cast(ops.stack(list(task_losses))
                          if isinstance(task_losses, (list, tuple))
                          else task_losses, "float32")
        if self.weighting == "uncertainty":
            return uncertainty_weighting(losses, self.log_variance,
                                         self.task_scales)
        return ops.sum(self.task_weights() * losses)

    def call(self, y_true, y_pred, sample_weight=None):
        return self.combine(
            self.compute_task_losses(y_true, y_pred, sample_weight)
        )

    def update_dwa(self, epoch_losses):
        """Record one epoch's average task losses (a list, or a dict keyed
        by task) and set the DWA weights for the next epoch.

        `MultiTaskModel.fit` calls it at the end of every epoch with the
        epoch's `loss_<task>` values. Returns the new weights (a list).
        """
        if self.weighting != "dwa":
            raise ValueError(
                "Expected `weighting='dwa'` for `update_dwa`. Received: "
                f"weighting={self.weighting!r}"
            )
        losses = _per_task(
            "epoch_losses", epoch_losses, self.task_names,
            lambda v: float(check_number("epoch_losses", v)),
        )
        history = np.asarray(ops.convert_to_numpy(self.loss_history.value))
        history = np.stack([np.asarray(losses, "float32"), history[0]])
        seen = float(ops.convert_to_numpy(self.epochs_seen.value)) + 1.0
        if seen >= 2:
            weights = dwa_weights(history[0], history[1], self.temperature)
        else:
            weights = np.ones(self.num_tasks)
        self.loss_history.assign(history.astype("float32"))
        self.epochs_seen.assign(np.asarray(seen, "float32"))
        self.dwa_weight_variable.assign(np.asarray(weights, "float32"))
        return [float(w) for w in weights]

    def current_weights(self):
        """`{task: weight}`: the current factor of each task's loss."""
        values = np.asarray(ops.convert_to_numpy(self.task_weights()))
        return {n: float(v) for n, v in zip(self.task_names, values)}

    def get_config(self):
        config = super().get_config()
        configs = list(self._loss_configs)
        losses = (
            dict(zip(self.task_names, configs)) if self._dict_losses
            else configs
        )
        weighting = self.weighting
        if weighting == "static":
            weighting = list(self.static_weights)
        config.update(
            losses=losses,
            weighting=weighting,
            task_types=(
                list(self.task_types) if self.weighting == "uncertainty"
                else None
            ),
            temperature=self.temperature,
            task_names=None if self._dict_losses else list(self.task_names),
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        losses = config.pop("losses")

        def revive(entry):
            if isinstance(entry, dict):
                return keras.saving.deserialize_keras_object(entry)
            return entry

        if isinstance(losses, dict):
            losses = {k: revive(v) for k, v in losses.items()}
        else:
            losses = [revive(v) for v in losses]
        return cls(losses, **config)
