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

from keras_recipes.api_export import keras_recipes_export
from keras_recipes.augment._base import PLACEMENT_HELP
from keras_recipes.augment._base import BaseAugmentation
from keras_recipes.augment._base import dtype_name
from keras_recipes.augment._base import is_symbolic
from keras_recipes.augment._base import random_permutation
from keras_recipes.augment._base import sample_beta
from keras_recipes.augment._base import soft_labels
from keras_recipes.backend.ops import get_ops
from keras_recipes.backend.ops import make_random
from keras_recipes.backend.values import host_value
from keras_recipes.utils.validation import check_choice
from keras_recipes.utils.validation import check_data_format
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


MODES = ("batch", "pair", "elem")


def pair_permutation(xp, rng, n):
    """A random perfect matching as a permutation: `perm[perm[i]] == i`.

    The images are put in a random order and ranks `2k` and `2k + 1` are
    partners; with an odd batch the last one is its own partner (it is left
    unmixed).
    """
    order = random_permutation(xp, rng, n)
    ranks = xp.arange(n, dtype="int32")
    partner_rank = xp.where(ranks % 2 == 0, ranks + 1, ranks - 1)
    partner_rank = xp.minimum(partner_rank, n - 1)
    inverse = xp.cast(xp.argsort(order), "int32")
    return xp.take(order, xp.take(partner_rank, inverse, axis=0), axis=0)


def _check_length(images, labels):
    n_images, n_labels = images.shape[0], labels.shape[0]
    if n_images is not None and n_labels is not None and n_images != n_labels:
        raise ValueError(
            "Expected one label per image. Received: "
            f"{n_labels} labels (labels.shape={tuple(labels.shape)}) for "
            f"{n_images} images (images.shape={tuple(images.shape)})"
        )


def _check_permutation(xp, permutation, batch_size):
    if xp is not keras.ops or batch_size is None:
        return
    values = host_value(permutation)
    if values is None or values.size == 0:
        return
    if values.shape != (batch_size,) or values.min() < 0 or (
        values.max() >= batch_size
    ):
        raise ValueError(
            f"Expected `permutation` to hold {batch_size} partner indices in "
            f"[0, {batch_size}). Received: shape {values.shape}, values in "
            f"[{values.min()}, {values.max()}]"
        )


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
                    "Expected `use_cutmix` when both `lam` and `boxes` are "
                    "given (it says which of the two each image gets). "
                    "Received: use_cutmix=None"
                )
            use_cut = xp.cast(use_cut, "bool")
            if len(use_cut.shape) == 0:
                use_cut = use_cut & xp.ones((b,), dtype="bool")
            mixed = xp.where(use_cut[:, None, None, None], cut, mixed)
            weight = xp.where(use_cut, cut_weight, weight)
    if weight is None:
        raise ValueError(
            "Expected `lam` (MixUp) and/or `boxes` (CutMix) to be given. "
            "Received: lam=None, boxes=None"
        )
    targets = weight[:, None] * y + (1.0 - weight[:, None]) * partner_y
    return mixed, targets, weight


@keras_recipes_export("keras_recipes.augment.mix_batch")
def mix_batch(images, labels, permutation, *, lam=None, boxes=None,
              use_cutmix=None, num_classes=None, label_smoothing=0.0,
              data_format=None):
    """Mix a batch with given MixUp weights and/or CutMix boxes.

    The deterministic core behind `mixup_batch`, `cutmix_batch`, `MixUp`,
    `CutMix` and `MixUpOrCutMix`: nothing is drawn here. Each image `i` is
    mixed with its partner `permutation[i]`:

    - MixUp (`lam` given): `lam[i] * x[i] + (1 - lam[i]) * x[p[i]]`, label
      weight `lam[i]`;
    - CutMix (`boxes` given): the box `(y0, y1, x0, x1)` (ends exclusive) is
      filled from `x[p[i]]`, label weight `1 - box_area / (H * W)`;
    - both (with `use_cutmix` (B,) bool): CutMix where `use_cutmix[i]`,
      MixUp elsewhere (timm's switch).

    Targets are `w * y + (1 - w) * y[p]`, after timm's `mixup_target`
    smoothing of `y`. The three modes of the layers are three ways of
    drawing these arguments: one `lam` for the batch (`"batch"`), one per
    image (`"elem"`), or one per pair of a matching permutation with
    `p[p[i]] == i` (`"pair"`).

    Args:
        images: batch of images, (B, H, W, C) (or channels-first).
        labels: integer class ids (B,) or (B, 1), or one-hot / soft labels
            (B, num_classes). Class ids outside `[0, num_classes)` raise a
            `ValueError` where their values are visible, and give NaN
            targets inside a compiled step.
        permutation: (B,) int partner indices.
        lam: MixUp weight of the original image, a number, scalar or (B,).
            Defaults to `None` (no MixUp).
        boxes: (B, 4) int CutMix boxes `(y0, y1, x0, x1)`, in pixels of the
            image, ends exclusive. Defaults to `None` (no CutMix).
        use_cutmix: (B,) bool, required when both `lam` and `boxes` are
            given. Defaults to `None`.
        num_classes: number of classes; required for integer labels.
            Defaults to `None`.
        label_smoothing: smoothing applied to the targets before mixing.
            Defaults to `0.0`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `None` (`keras.config.image_data_format()`).

    Returns:
        `(mixed_images, targets)`: float32 images and float32 (B, C)
        targets.

    Example:

    >>> x = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype("f")
    >>> xm, ym = keras_recipes.augment.mix_batch(
    ...     x, np.array([0, 1]), np.array([1, 0]),
    ...     boxes=np.array([[0, 1, 0, 2], [0, 2, 0, 2]]), num_classes=2)
    >>> keras.ops.convert_to_numpy(ym).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    xp, images, data_format = prepare_images(images, data_format)
    check_label_args(num_classes, label_smoothing)
    if is_symbolic(labels):
        raise ValueError(PLACEMENT_HELP)
    labels = xp.convert_to_tensor(labels)
    _check_length(images, labels)
    permutation = xp.convert_to_tensor(permutation)
    _check_permutation(xp, permutation, images.shape[0])
    y = soft_labels(xp, labels, num_classes, label_smoothing)
    transformation = {"permutation": permutation}
    for key, value in (("lam", lam), ("boxes", boxes),
                       ("use_cutmix", use_cutmix)):
        if value is not None:
            transformation[key] = xp.convert_to_tensor(value)
    mixed, targets, _ = apply_mix(xp, images, y, transformation)
    if data_format == "channels_first":
        mixed = xp.transpose(mixed, (0, 3, 1, 2))
    return mixed, targets


def check_label_args(num_classes, label_smoothing):
    """The label arguments every mixing function and layer takes."""
    check_number(
        "num_classes", num_classes, integer=True, min_value=2,
        allow_none=True,
    )
    check_number(
        "label_smoothing", label_smoothing, min_value=0.0, max_value=1.0,
        max_inclusive=False,
    )


def prepare_images(images, data_format):
    """Check a batch of images; return `(xp, float32 channels-last images,
    data_format)`."""
    data_format = check_data_format(data_format)
    if is_symbolic(images):
        raise ValueError(PLACEMENT_HELP)
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
    return xp, images, data_format


def draw_mix(xp, rng, batch_size, h, w, *, mixup_alpha, cutmix_alpha,
             switch_prob, prob, mode):
    """Draw the arguments of `mix_batch` with timm's rules.

    `mixup_alpha > 0` and `cutmix_alpha > 0`: CutMix with probability
    `switch_prob`, else MixUp. Only one > 0: that one. With probability
    `1 - prob` nothing is mixed (`lam = 1`, empty box). `mode="batch"` draws
    one decision, `lam` and box centre for the batch; `"elem"` draws them
    per image; `"pair"` draws them per pair of a random matching, so that
    both images of a pair share them (timm's pair mode).
    """
    n = 1 if mode == "batch" else batch_size

    def expand(v):
        if mode == "batch":
            return v * xp.ones((batch_size,), dtype="float32")
        return v

    if mode == "pair":
        permutation = pair_permutation(xp, rng, batch_size)
        # Every value of a pair is read from its lower index.
        key = xp.minimum(xp.arange(batch_size, dtype="int32"), permutation)

        def share(v):
            return xp.take(v, key, axis=0)
    else:
        permutation = random_permutation(xp, rng, batch_size)

        def share(v):
            return v

    t = {"permutation": permutation}
    if prob >= 1.0:
        applied = xp.ones((batch_size,), dtype="bool")
    else:
        applied = share(expand(
            xp.cast(rng.uniform((n,)) < prob, "float32")
        )) > 0.5
    if mixup_alpha > 0 and cutmix_alpha > 0:
        use_cut = share(expand(
            xp.cast(rng.uniform((n,)) < switch_prob, "float32")
        )) > 0.5
    else:
        use_cut = None
    if mixup_alpha > 0:
        lam_mix = share(expand(sample_beta(xp, rng, (n,), mixup_alpha)))
        t["lam"] = xp.where(applied, lam_mix, 1.0)
    if cutmix_alpha > 0:
        lam_cut = share(expand(sample_beta(xp, rng, (n,), cutmix_alpha)))
        lam_cut = xp.where(applied, lam_cut, 1.0)
        t["boxes"] = share(cutmix_boxes(
            xp, rng, lam_cut, h, w, shared=mode == "batch"
        ))
    if use_cut is not None:
        t["use_cutmix"] = xp.logical_and(use_cut, applied)
    return t


def sample_and_mix(images, labels, *, mixup_alpha, cutmix_alpha, mode,
                   fixed, num_classes, label_smoothing, data_format, seed):
    """Body of `mixup_batch` / `cutmix_batch`: draw what `fixed` leaves
    unset with `draw_mix`, then call `mix_batch`."""
    mode = check_choice("mode", mode, MODES)
    xp, channels_last, data_format = prepare_images(images, data_format)
    rng = make_random(xp, seed=seed)
    t = draw_mix(
        xp, rng, xp.shape(channels_last)[0], channels_last.shape[1],
        channels_last.shape[2], mixup_alpha=mixup_alpha,
        cutmix_alpha=cutmix_alpha, switch_prob=1.0, prob=1.0, mode=mode,
    )
    t.update({k: v for k, v in fixed.items() if v is not None})
    mixed, targets = mix_batch(
        channels_last, labels, t.pop("permutation"),
        num_classes=num_classes, label_smoothing=label_smoothing,
        data_format="channels_last", **t,
    )
    if data_format == "channels_first":
        mixed = xp.transpose(mixed, (0, 3, 1, 2))
    return mixed, targets


class MixingAugmentation(BaseAugmentation):
    """Base of the label-mixing layers: (images, labels) in, (mixed images,
    float soft targets (B, C)) out."""

    mixes_labels = True

    def __init__(self, num_classes=None, label_smoothing=0.0, mode="batch",
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        check_label_args(num_classes, label_smoothing)
        self.num_classes = num_classes
        self.label_smoothing = label_smoothing
        self.mode = check_choice("mode", mode, MODES)

    def _draw_kwargs(self):
        raise NotImplementedError

    def _random_transformation(self, xp, rng, images, labels):
        h, w = images.shape[1], images.shape[2]
        return draw_mix(
            xp, rng, xp.shape(images)[0], h, w, mode=self.mode,
            **self._draw_kwargs(),
        )

    def _apply(self, xp, images, labels, transformation):
        transformation = dict(transformation)
        return mix_batch(
            images, labels, transformation.pop("permutation"),
            num_classes=self.num_classes,
            label_smoothing=self.label_smoothing,
            data_format="channels_last", **transformation,
        )

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
