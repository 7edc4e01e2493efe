"""Lookahead: k fast steps forward, one step back towards slow weights."""

import keras
from keras import ops

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.utils.validation import check_number


@keras_recipes_export("keras_recipes.optimizers.Lookahead")
class Lookahead(keras.optimizers.Optimizer):
    """Lookahead wrapper around any Keras 3 optimizer.

    The wrapped ("fast") optimizer updates the model weights as usual. Every
    `sync_period` steps, the slow weights move a fraction `slow_step_size`
    of the way towards the fast weights, and the fast weights are reset to
    the slow weights:

    ```
    phi <- phi + slow_step_size * (theta - phi);  theta <- phi
    ```

    The slow weights start equal to the model weights at the first step.
    The wrapper keeps one slow copy of every trained variable; it has no
    learning rate of its own (`learning_rate` reads and sets the inner
    optimizer's, so `LearningRateLogger` and `ReduceLROnPlateau` work).
    The synchronisation is a branch-free `where`, so it compiles under XLA
    and runs in compiled `fit` on TensorFlow, JAX and PyTorch. TensorFlow
    Addons' `Lookahead` does not work with Keras 3.

    Args:
        optimizer: The inner `keras.optimizers.Optimizer` instance (or its
            string name, e.g. `"adam"`).
        sync_period: Number of fast steps `k` between synchronisations.
            Defaults to `6`.
        slow_step_size: Step size `alpha` of the slow weights, in `(0, 1]`.
            Defaults to `0.5`.
        name: Optional name. Defaults to `"lookahead"`.

    Example:

    >>> optimizer = keras_recipes.optimizers.Lookahead(
    ...     keras.optimizers.SGD(0.1), sync_period=2, slow_step_size=0.5)
    >>> w = keras.Variable([1.0])
    >>> for _ in range(2):
    ...     optimizer.apply([keras.ops.convert_to_tensor([1.0])], [w])
    >>> round(float(keras.ops.convert_to_numpy(w)[0]), 4)  # 1 - 0.5 * 0.2
    0.9

    Reference:
        - [Zhang et al., 2019](https://arxiv.org/abs/1907.08610)
    """

    def __init__(self, optimizer, sync_period=6, slow_step_size=0.5,
                 name=None, **kwargs):
        if kwargs:
            raise ValueError(
                "Lookahead takes no base-optimizer arguments; set them on "
                f"the inner optimizer. Received: {sorted(kwargs)}"
            )
        if isinstance(optimizer, (str, dict)):
            optimizer = keras.optimizers.get(optimizer)
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "Expected `optimizer` to be a `keras.optimizers.Optimizer`. "
                f"Received: optimizer={optimizer!r}"
            )
        check_number("sync_period", sync_period, min_value=1, integer=True)
        check_number("slow_step_size", slow_step_size, min_value=0.0,
                     max_value=1.0, min_inclusive=False)
        super().__init__(learning_rate=0.0, name=name or "lookahead")
        self.optimizer = optimizer
        self.sync_period = sync_period
        self.slow_step_size = slow_step_size

    def build(self, var_list):
        if self.built:
            return
        self.optimizer.build(var_list)
        self._slow_weights = self.add_optimizer_variables(var_list, "slow")
        super().build(var_list)

    @property
    def variables(self):
        return self._variables[:] + self.optimizer.variables

    @property
    def learning_rate(self):
        return self.optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        # Called with 0.0 by the base constructor before `optimizer` exists.
        if "optimizer" in self.__dict__:
            self.optimizer.learning_rate = value

    def apply(self, grads, trainable_variables=None):
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer "
                    "must already be built on a list of variables. Call "
                    "`optimizer.build(trainable_variables)` first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
            self.built = True
        first = ops.equal(self._iterations.value, 0)
        slows = [self._slow_weights[self._get_variable_index(v)]
                 for v in trainable_variables]
        # The slow weights start as the weights of the first step.
        for slow, fast in zip(slows, trainable_variables):
            slow.assign(ops.where(first, fast.value, slow.value))
        self.optimizer.apply(grads, trainable_variables)
        sync = ops.equal(
            ops.mod(ops.add(self._iterations.value, 1), self.sync_period), 0
        )
        for slow, fast in zip(slows, trainable_variables):
            phi, theta = slow.value, fast.value
            moved = ops.add(
                phi,
                ops.multiply(ops.subtract(theta, phi),
                             ops.cast(self.slow_step_size, phi.dtype)),
            )
            new_slow = ops.where(sync, moved, phi)
            slow.assign(new_slow)
            fast.assign(ops.where(sync, new_slow, theta))
        self._iterations.assign_add(1)

    def finalize_variable_values(self, var_list):
        self.optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "optimizer": keras.saving.serialize_keras_object(self.optimizer),
            "sync_period": self.sync_period,
            "slow_step_size": self.slow_step_size,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizer"] = keras.saving.deserialize_keras_object(
            config["optimizer"], custom_objects=custom_objects
        )
        return cls(**config)
