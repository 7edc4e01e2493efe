"""Shared math and base layer of MixUp, CutMix and MixUpOrCutMix (private).

Semantics follow timm's `timm.data.mixup.Mixup` (read, not copied): a mixing
coefficient `lam ~ Beta(alpha, alpha)` per batch (`mode="batch"`) or per
image (`mode="elem"`); for CutMix a box of relative area `1 - lam` centred
uniformly in the image and clipped to it, with the label weight recomputed
from the clipped box (timm's `correct_lam=True`); targets mixed as
`w * y + (1 - w) * y[permutation]` after timm's `mixup_target` smoothing.
One difference: the partner of each image is drawn by a random permutation
(as in Keras and Composer) instead of timm's reversed batch, so that pairs
vary even when the data is not shuffled.
"""

import keras

from keras_recipes.augment._base import BaseAugmentation
from keras_recipes.augment._base import dtype_name
from keras_recipes.augment._base import random_permutation
from keras_recipes.augment._base import sample_beta
from keras_recipes.augment._base import soft_labels
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_number


def _per_image(xp, value, batch_size):
    """Python number, scalar tensor or (B,) tensor -> float32 (B,)."""
    value = xp.cast(xp.convert_to_tensor(value), "float32")
    if len(value.shape) == 0:
        value = value * xp.ones((batch_size,), dtype="float32")
    return value


def box_mask(xp, boxes, h, w):
    """(B, 4) boxes (y0, y1, x0, x1), ends exclusive -> (B, h, w, 1) bool."""
    boxes = xp.cast(boxes, "int32")
    rows = xp.arange(h, dtype="int32")[None, :, None]
    cols = xp.arange(w, dtype="int32")[None, None, :]
    in_y = xp.logical_and(
        rows >= boxes[:, 0][:, None, None], rows < boxes[:, 1][:, None, None]
    )
    in_x = xp.logical_and(
        cols >= boxes[:, 2][:, None, None], cols < boxes[:, 3][:, None, None]
    )
    return xp.logical_and(in_y, in_x)[..., None]


def box_area_fraction(xp, boxes, h, w):
    boxes = xp.cast(boxes, "float32")
    return (boxes[:, 1] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 2]) / float(
        h * w
    )


def cutmix_boxes(xp, rng, lam, h, w, shared=False):
    """timm's `rand_bbox`: a box of side ratio sqrt(1 - lam) centred at a
    uniform pixel, clipped to the image. `lam` is (B,); with `shared=True`
    every image gets the first image's centre (timm's batch mode)."""
    n = lam.shape[0] if not shared else 1
    if n is None:
        n = xp.shape(lam)[0]
    cut = xp.sqrt(xp.clip(1.0 - lam, 0.0, 1.0))
    cut_h = xp.floor(h * cut)
    cut_w = xp.floor(w * cut)
    cy = xp.floor(rng.uniform((n,)) * h)
    cx = xp.floor(rng.uniform((n,)) * w)
    if shared:
        cy = cy[0] * xp.ones_like(lam)
        cx = cx[0] * xp.ones_like(lam)
    half_h = xp.floor(cut_h / 2.0)
    half_w = xp.floor(cut_w / 2.0)
    y0 = xp.clip(cy - half_h, 0.0, float(h))
    y1 = xp.clip(cy + half_h, 0.0, float(h))
    x0 = xp.clip(cx - half_w, 0.0, float(w))
    x1 = xp.clip(cx + half_w, 0.0, float(w))
    return xp.cast(xp.stack([y0, y1, x0, x1], axis=1), "int32")


def apply_mix(xp, images, y, transformation):
    """Mix channels-last float images and float (B, C) targets.

    `transformation` holds `permutation` (B,) and any of `lam` (B,) (MixUp
    weight of the original image), `boxes` (B, 4) (CutMix box pasted from
    the partner) and `use_cutmix` (B,) bool (which of the two each image
    gets). Returns `(images, targets, weight)` where `weight` (B,) is the
    label weight of the original image.
    """
    b = xp.shape(images)[0]
    h, w = images.shape[1], images.shape[2]
    perm = xp.cast(transformation["permutation"], "int32")
    partner = xp.take(images, perm, axis=0)
    partner_y = xp.take(y, perm, axis=0)
    lam = transformation.get("lam")
    boxes = transformation.get("boxes")
    use_cut = transformation.get("use_cutmix")
    weight = None
    if lam is not None:
        lam = _per_image(xp, lam, b)
        lam4 = lam[:, None, None, None]
        mixed = partner + lam4 * (images - partner)
        weight = lam
    if boxes is not None:
        mask = box_mask(xp, boxes, h, w)
        cut = xp.where(mask, partner, images)
        cut_weight = 1.0 - box_area_fraction(xp, boxes, h, w)
        if lam is None:
            mixed, weight = cut, cut_weight
        else:
            if use_cut is None:
                raise ValueError(
                    "Expected `use_cutmix` in a transformation that has both "
                    "`lam` and `boxes`. Received: keys="
                    f"{sorted(transformation)}"
                )
            use_cut = xp.cast(use_cut, "bool")
            mixed = xp.where(use_cut[:, None, None, None], cut, mixed)
            weight = xp.where(use_cut, cut_weight, weight)
    if weight is None:
        raise ValueError(
            "Expected a transformation with `lam` and/or `boxes`. Received: "
            f"keys={sorted(transformation)}"
        )
    targets = weight[:, None] * y + (1.0 - weight[:, None]) * partner_y
    return mixed, targets, weight


def draw_mix(xp, rng, batch_size, h, w, *, mixup_alpha, cutmix_alpha,
             switch_prob, prob, mode):
    """Draw a MixUp/CutMix transformation with timm's rules.

    `mixup_alpha > 0` and `cutmix_alpha > 0`: CutMix with probability
    `switch_prob`, else MixUp. Only one > 0: that one. With probability
    `1 - prob` nothing is mixed (`lam = 1`, empty box). `mode="batch"` draws
    one decision, `lam` and box centre for the batch, `"elem"` per image.
    """
    n = 1 if mode == "batch" else batch_size

    def expand(v):
        if mode == "batch":
            return v * xp.ones((batch_size,), dtype="float32")
        return v

    t = {"permutation": random_permutation(xp, rng, batch_size)}
    if prob >= 1.0:
        applied = xp.ones((batch_size,), dtype="bool")
    else:
        applied = expand(
            xp.cast(rng.uniform((n,)) < prob, "float32")
        ) > 0.5
    if mixup_alpha > 0 and cutmix_alpha > 0:
        use_cut = expand(
            xp.cast(rng.uniform((n,)) < switch_prob, "float32")
        ) > 0.5
    else:
        use_cut = None
    if mixup_alpha > 0:
        lam_mix = expand(sample_beta(xp, rng, (n,), mixup_alpha))
        t["lam"] = xp.where(applied, lam_mix, 1.0)
    if cutmix_alpha > 0:
        lam_cut = expand(sample_beta(xp, rng, (n,), cutmix_alpha))
        lam_cut = xp.where(applied, lam_cut, 1.0)
        t["boxes"] = cutmix_boxes(
            xp, rng, lam_cut, h, w, shared=mode == "batch"
        )
    if use_cut is not None:
        t["use_cutmix"] = xp.logical_and(use_cut, applied)
    return t


class MixingAugmentation(BaseAugmentation):
    """Base of the label-mixing layers: (images, labels) in, (mixed images,
    float soft targets (B, C)) out."""

    mixes_labels = True

    def __init__(self, num_classes=None, label_smoothing=0.0, mode="batch",
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        check_number(
            "num_classes", num_classes, integer=True, min_value=2,
            allow_none=True,
        )
        check_number(
            "label_smoothing", label_smoothing, min_value=0.0, max_value=1.0,
            max_inclusive=False,
        )
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.mode = check_choice("mode", mode, ("batch", "elem"))

    def _draw_kwargs(self):
        raise NotImplementedError

    def _random_transformation(self, xp, rng, images, labels):
        h, w = images.shape[1], images.shape[2]
        return draw_mix(
            xp, rng, xp.shape(images)[0], h, w, mode=self.mode,
            **self._draw_kwargs(),
        )

    def _apply(self, xp, images, labels, transformation):
        y = soft_labels(xp, labels, self.num_classes, self.label_smoothing)
        images, targets, _ = apply_mix(xp, images, y, transformation)
        return images, targets

    def call(self, data, training=True, seed=None):
        if not training:
            return data
        return super().call(data, training=training, seed=seed)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "label_smoothing": self.label_smoothing,
                "mode": self.mode,
            }
        )
        return config


def functional_mix(images, labels, transformation_fn, *, num_classes,
                   label_smoothing, data_format, seed):
    """Shared body of `mixup_batch` / `cutmix_batch` (keras.ops path)."""
    from keras_recipes.backend.ops import get_ops
    from keras_recipes.backend.ops import make_random

    check_number(
        "num_classes", num_classes, integer=True, min_value=2,
        allow_none=True,
    )
    check_number(
        "label_smoothing", label_smoothing, min_value=0.0, max_value=1.0,
        max_inclusive=False,
    )
    data_format = check_choice(
        "data_format", data_format or keras.config.image_data_format(),
        ("channels_last", "channels_first"),
    )
    xp = get_ops(images)
    images = xp.convert_to_tensor(images)
    if dtype_name(images) != "float32":
        images = xp.cast(images, "float32")
    if len(images.shape) != 4:
        raise ValueError(
            "Expected a batch of images of rank 4. Received: images of shape "
            f"{tuple(images.shape)}"
        )
    if data_format == "channels_first":
        images = xp.transpose(images, (0, 2, 3, 1))
    y = soft_labels(xp, labels, num_classes, label_smoothing)
    rng = make_random(xp, seed=seed)
    transformation = transformation_fn(xp, rng, images)
    mixed, targets, _ = apply_mix(xp, images, y, transformation)
    if data_format == "channels_first":
        mixed = xp.transpose(mixed, (0, 3, 1, 2))
    return mixed, targets
