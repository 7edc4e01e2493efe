import math
import os

import keras
import numpy as np
import pytest
import torch

from keras_recipes import schedules
from keras_recipes.testing import TestCase

JIT = False if keras.backend.backend() == "torch" else True


def torch_one_cycle(max_lr, total_steps, pct_start=0.25, **kwargs):
    """The reference: the rates torch's OneCycleLR uses, step by step."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=max_lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=max_lr, total_steps=total_steps, cycle_momentum=False,
        pct_start=pct_start, **kwargs,
    )
    rates = []
    for _ in range(total_steps):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(rates, dtype="float64")


def numpy_one_cycle(max_lr, total_steps, pct_start=0.25, div_factor=25.0,
                    final_div_factor=1e4, anneal="cos", three_phase=False):
    """Slow re-derivation from the paper's description, in float64."""
    initial = max_lr / div_factor
    final = initial / final_div_factor
    up_end = pct_start * total_steps - 1
    if three_phase:
        points = [(0, initial), (up_end, max_lr),
                  (2 * pct_start * total_steps - 2, initial),
                  (total_steps - 1, final)]
    else:
        points = [(0, initial), (up_end, max_lr), (total_steps - 1, final)]
    out = []
    for step in range(total_steps):
        for (s0, v0), (s1, v1) in zip(points[:-1], points[1:]):
            if step <= s1 or s1 == points[-1][0]:
                pct = (step - s0) / (s1 - s0)
                if anneal == "cos":
                    out.append(v1 + (v0 - v1) / 2 * (math.cos(math.pi * pct)
                                                      + 1))
                else:
                    out.append(v0 + (v1 - v0) * pct)
                break
    return np.array(out)


ONE_CYCLE_CASES = [
    dict(max_lr=0.1, total_steps=100),
    dict(max_lr=3e-3, total_steps=77, pct_start=0.3),
    dict(max_lr=1.0, total_steps=50, anneal="linear"),
    dict(max_lr=0.05, total_steps=90, pct_start=0.3, three_phase=True),
    dict(max_lr=0.4, total_steps=33, pct_start=0.37, div_factor=10.0,
         final_div_factor=100.0, anneal="linear", three_phase=True),
]


def _kwargs(case):
    kw = {k: v for k, v in case.items() if k not in ("max_lr", "total_steps")}
    if "anneal" in kw:
        kw["anneal_strategy"] = kw.pop("anneal")
    return kw


class OneCycleTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_matches_torch_every_step(self):
        for case in ONE_CYCLE_CASES:
            kw = _kwargs(case)
            reference = torch_one_cycle(case["max_lr"], case["total_steps"],
                                        **kw)
            ours = schedules.OneCycle(case["max_lr"], case["total_steps"],
                                      **kw)
            steps = keras.ops.arange(case["total_steps"], dtype="int32")
            values = keras.ops.convert_to_numpy(ours(steps)).astype("float64")
            rel = np.abs(values - reference) / reference
            self.assertLess(rel.max(), 1e-6, msg=str(case))
            # Scalar calls with integer tensors give the same values.
            for s in (0, case["total_steps"] // 2, case["total_steps"] - 1):
                for dtype in ("int32", "int64"):
                    v = float(keras.ops.convert_to_numpy(
                        ours(keras.ops.convert_to_tensor(s, dtype))))
                    self.assertLess(abs(v - reference[s]) / reference[s],
                                    1e-6)

    def test_matches_numpy_rederivation(self):
        for case in ONE_CYCLE_CASES:
            kw = _kwargs(case)
            ours = schedules.OneCycle(case["max_lr"], case["total_steps"],
                                      **kw)
            kw.pop("anneal_strategy", None)
            ref = numpy_one_cycle(case["max_lr"], case["total_steps"],
                                  anneal=case.get("anneal", "cos"), **kw)
            values = keras.ops.convert_to_numpy(
                ours(np.arange(case["total_steps"])))
            self.assertAllClose(values, ref, rtol=1e-5, atol=1e-12)

    def test_golden_values(self):
        # Printed by torch 2.13 OneCycleLR(max_lr=0.1, total_steps=100).
        s = schedules.OneCycle(0.1, 100)
        golden = {0: 0.004, 10: 0.039576685835079006, 24: 0.1,
                  50: 0.07316490909678607, 99: 4e-07}
        for step, value in golden.items():
            self.assertAllClose(float(s(step)), value, rtol=1e-6, atol=0)
        # Past the end the final rate is kept.
        self.assertAllClose(float(s(250)), 4e-07, rtol=1e-6, atol=0)

    def test_validation(self):
        with self.assertRaisesRegex(ValueError, "total_steps"):
            schedules.OneCycle(0.1, total_steps=0)
        with self.assertRaisesRegex(ValueError, "anneal_strategy"):
            schedules.OneCycle(0.1, 10, anneal_strategy="exp")
        with self.assertRaisesRegex(ValueError, "pct_start"):
            schedules.OneCycle(0.1, 10, pct_start=1.5)
        with self.assertRaisesRegex(ValueError, "pct_start=0.05"):
            schedules.OneCycle(0.1, 10, pct_start=0.05)  # empty warm phase
        with self.assertRaisesRegex(TypeError, "max_learning_rate"):
            schedules.OneCycle("0.1", 10)
        with self.assertRaisesRegex(TypeError, "three_phase"):
            schedules.OneCycle(0.1, 10, three_phase=1)


def numpy_warmup(step, after, warmup_steps, initial):
    if step < warmup_steps:
        return initial + (after(0) - initial) * step / warmup_steps
    return after(step - warmup_steps)


class WarmupTest(TestCase):
    def test_wraps_exponential_decay(self):
        decay = keras.optimizers.schedules.ExponentialDecay(
            0.1, decay_steps=7, decay_rate=0.6, staircase=False)
        s = schedules.Warmup(decay, warmup_steps=10,
                             initial_learning_rate=1e-3)
        ref = np.array([
            numpy_warmup(k, lambda t: 0.1 * 0.6 ** (t / 7), 10, 1e-3)
            for k in range(40)])
        got = keras.ops.convert_to_numpy(s(np.arange(40)))
        self.assertAllClose(got, ref, rtol=1e-6, atol=1e-9)
        for k in (0, 9, 10, 33):
            self.assertAllClose(
                float(s(keras.ops.convert_to_tensor(k, "int32"))), ref[k],
                rtol=1e-6, atol=1e-9)

    def test_wraps_float(self):
        s = schedules.Warmup(0.02, warmup_steps=4)
        ref = np.array(
            [numpy_warmup(k, lambda t: 0.02, 4, 0.0) for k in range(10)])
        self.assertAllClose(
            keras.ops.convert_to_numpy(s(np.arange(10))), ref, atol=1e-9)

    def test_serialization_of_wrapped_schedule(self):
        decay = keras.optimizers.schedules.ExponentialDecay(0.1, 7, 0.6)
        s = schedules.Warmup(decay, warmup_steps=3)
        revived = self.run_serialization_test(s)
        self.assertIsInstance(
            revived.schedule, keras.optimizers.schedules.ExponentialDecay)
        self.assertAllClose(revived(np.arange(12)), s(np.arange(12)))

    def test_validation(self):
        with self.assertRaisesRegex(TypeError, "schedule"):
            schedules.Warmup("cosine", warmup_steps=3)
        with self.assertRaisesRegex(ValueError, "warmup_steps"):
            schedules.Warmup(0.1, warmup_steps=0)
        with self.assertRaisesRegex(TypeError, "warmup_steps"):
            schedules.Warmup(0.1, warmup_steps=2.5)


def numpy_warmup_cosine(k, peak, total, warm, final):
    """Linear warmup from 0 over `warm` steps, then cosine from `peak` to
    `final` at step `total` (flat after)."""
    if k < warm:
        return peak * k / warm
    p = min((k - warm) / (total - warm), 1.0)
    return final + (peak - final) * 0.5 * (1 + math.cos(math.pi * p))


class WarmupCosineDecayTest(TestCase):
    def test_matches_numpy(self):
        peak, total, warm, final = 3e-3, 50, 8, 1e-5
        s = schedules.WarmupCosineDecay(peak, total, warm, final)
        ref = [numpy_warmup_cosine(k, peak, total, warm, final)
               for k in range(60)]
        got = keras.ops.convert_to_numpy(s(np.arange(60))).astype("float64")
        self.assertAllClose(got, ref, rtol=1e-6, atol=1e-12)

    def test_validation(self):
        with self.assertRaisesRegex(ValueError, "warmup_steps"):
            schedules.WarmupCosineDecay(1e-3, total_steps=10, warmup_steps=10)
        with self.assertRaisesRegex(ValueError, "final_learning_rate"):
            schedules.WarmupCosineDecay(1e-3, 10, final_learning_rate=1.0)


def _unit_gradient_model():
    """w starts at 0 and gets gradient 1 each step: w_n = -sum(lr_0..n-1)."""
    inputs = keras.Input((1,))
    outputs = keras.layers.Dense(1, use_bias=False,
                                 kernel_initializer="zeros")(inputs)
    return keras.Model(inputs, outputs)


class CompiledFitTest(TestCase):
    @pytest.mark.filterwarnings("ignore")
    def test_schedules_drive_compiled_fit(self):
        x = np.ones((12, 1), "float32")
        y = np.zeros((12, 1), "float32")
        made = [
            (schedules.OneCycle(0.1, 12, pct_start=0.3),
             torch_one_cycle(0.1, 12, pct_start=0.3)),
            (schedules.Warmup(0.05, warmup_steps=5),
             [numpy_warmup(k, lambda t: 0.05, 5, 0.0) for k in range(12)]),
            (schedules.WarmupCosineDecay(0.1, 12, 3),
             [numpy_warmup_cosine(k, 0.1, 12, 3, 0.0) for k in range(12)]),
        ]
        for schedule, rates in made:
            keras.backend.clear_session()
            model = _unit_gradient_model()
            model.compile(
                optimizer=keras.optimizers.SGD(learning_rate=schedule),
                loss=lambda y_true, y_pred: keras.ops.mean(y_pred),
                jit_compile=JIT,
            )
            model.fit(x, y, batch_size=1, epochs=1, verbose=0, shuffle=False)
            w = float(keras.ops.convert_to_numpy(model.weights[0])[0, 0])
            self.assertAllClose(w, -np.sum(rates), rtol=1e-5, atol=1e-7)


class PlotTest(TestCase):
    def test_png_written(self):
        path = os.path.join(self.get_temp_dir(), "schedule.png")
        s = schedules.WarmupCosineDecay(1e-3, 100, 10)
        values = schedules.plot(s, 100, path, log_scale=False)
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertAllClose(values, s(np.arange(100)))
        const = schedules.plot(1e-3, 5, path)
        self.assertAllClose(const, np.full(5, 1e-3))
        with self.assertRaisesRegex(ValueError, "total_steps"):
            schedules.plot(s, 0, path)
        with self.assertRaisesRegex(TypeError, "schedule"):
            schedules.plot("cosine", 10, path)
