"""Vectorized per-image image operations on channels-last float32 batches.

Every function takes the op namespace `xp` (`keras.ops` or
`keras_recipes.backend.tf_ops`) and works on the whole batch at once, with
per-image parameters given as (batch,) tensors: no Python loop over images,
no host round trip, and only ops that XLA compiles on TensorFlow and JAX
(gathers instead of `ImageProjectiveTransformV3`, segment sums for
histograms). Colour ops follow PIL's `ImageOps`/`ImageEnhance` definitions on
the 0-255 scale.
"""

import math


def _dims(xp, images):
    shape = xp.shape(images)
    return shape[0], images.shape[1], images.shape[2], images.shape[3]


def _col(x):
    """(B,) -> (B, 1, 1, 1) for broadcasting over images."""
    return x[:, None, None, None]


def gather_pixels(xp, images, yi, xi):
    """out[b, i, j] = images[b, yi[b, i, j], xi[b, i, j]] (indices valid)."""
    b, h, w, c = _dims(xp, images)
    out_h, out_w = yi.shape[1], yi.shape[2]
    flat = xp.reshape(images, (-1, c))
    base = xp.arange(b, dtype="int32") * (h * w)
    idx = base[:, None, None] + yi * w + xi
    out = xp.take(flat, xp.reshape(idx, (-1,)), axis=0)
    return xp.reshape(out, (-1, out_h, out_w, c))


def sample_nearest(xp, images, x_in, y_in, fill_value):
    """Nearest-neighbour sampling at float source coordinates (B, h, w);
    points outside the image get `fill_value`."""
    _, h, w, _ = _dims(xp, images)
    xr = xp.round(x_in)
    yr = xp.round(y_in)
    valid = xp.logical_and(
        xp.logical_and(xr >= 0.0, xr <= w - 1.0),
        xp.logical_and(yr >= 0.0, yr <= h - 1.0),
    )
    xi = xp.cast(xp.clip(xr, 0.0, w - 1.0), "int32")
    yi = xp.cast(xp.clip(yr, 0.0, h - 1.0), "int32")
    out = gather_pixels(xp, images, yi, xi)
    return xp.where(valid[..., None], out, fill_value)


def sample_bilinear(xp, images, x_in, y_in):
    """Bilinear sampling at float source coordinates (B, h, w), clamping
    coordinates to the image (edge replication)."""
    _, h, w, _ = _dims(xp, images)
    x = xp.clip(x_in, 0.0, w - 1.0)
    y = xp.clip(y_in, 0.0, h - 1.0)
    x0 = xp.floor(x)
    y0 = xp.floor(y)
    wx = (x - x0)[..., None]
    wy = (y - y0)[..., None]
    x0i = xp.cast(x0, "int32")
    y0i = xp.cast(y0, "int32")
    x1i = xp.minimum(x0i + 1, w - 1)
    y1i = xp.minimum(y0i + 1, h - 1)
    top = (
        gather_pixels(xp, images, y0i, x0i) * (1.0 - wx)
        + gather_pixels(xp, images, y0i, x1i) * wx
    )
    bottom = (
        gather_pixels(xp, images, y1i, x0i) * (1.0 - wx)
        + gather_pixels(xp, images, y1i, x1i) * wx
    )
    return top * (1.0 - wy) + bottom * wy


def affine_nearest(xp, images, rotate_deg, shear_x, shear_y, translate_x,
                   translate_y, fill_value):
    """Per-image rotation (degrees), shear and translation (pixels) about the
    image centre, one op per image (the others 0), nearest interpolation.

    Output pixel (x, y) samples input
    `x_in = cx + cos(a) dx + (sin(a) + shear_x) dy - translate_x`,
    `y_in = cy + (shear_y - sin(a)) dx + cos(a) dy - translate_y`
    with `dx = x - cx`, `dy = y - cy` and `a = -rotate_deg` in radians:
    exactly the rotation, the shear or the translation when only that one
    is non-zero. As in PIL's `Image.rotate` (which timm's and
    torchvision's RandAugment call), positive degrees turn the image
    counter-clockwise.
    """
    _, h, w, _ = _dims(xp, images)
    a = rotate_deg * (-math.pi / 180.0)
    cos = xp.cos(a)[:, None, None]
    sin = xp.sin(a)[:, None, None]
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    dx = (xp.arange(w, dtype="float32") - cx)[None, None, :]
    dy = (xp.arange(h, dtype="float32") - cy)[None, :, None]
    shx = shear_x[:, None, None]
    shy = shear_y[:, None, None]
    x_in = cx + cos * dx + (sin + shx) * dy - translate_x[:, None, None]
    y_in = cy + (shy - sin) * dx + cos * dy - translate_y[:, None, None]
    return sample_nearest(xp, images, x_in, y_in, fill_value)


def crop_and_resize(xp, images, boxes, height, width):
    """Crop `boxes` (B, 4) = (top, left, crop_h, crop_w) in pixels and resize
    each crop to (height, width), bilinear with half-pixel centres."""
    top = boxes[:, 0][:, None, None]
    left = boxes[:, 1][:, None, None]
    ch = boxes[:, 2][:, None, None]
    cw = boxes[:, 3][:, None, None]
    jj = xp.arange(width, dtype="float32")[None, None, :]
    ii = xp.arange(height, dtype="float32")[None, :, None]
    x_in = left + (jj + 0.5) * (cw / width) - 0.5
    y_in = top + (ii + 0.5) * (ch / height) - 0.5
    # Broadcast both to (B, height, width).
    x_in, y_in = x_in + 0.0 * y_in, y_in + 0.0 * x_in
    return sample_bilinear(xp, images, x_in, y_in)


# ------------------------------------------------------------ colour ops
def grayscale(xp, images):
    """PIL 'L' conversion (ITU-R 601-2 luma) for RGB, the mean otherwise."""
    c = images.shape[-1]
    if c == 3:
        return (
            images[..., 0:1] * 0.299
            + images[..., 1:2] * 0.587
            + images[..., 2:3] * 0.114
        )
    return xp.mean(images, axis=-1, keepdims=True)


def blend(xp, degenerate, images, factor):
    """PIL `ImageEnhance`: degenerate + factor * (image - degenerate)."""
    return xp.clip(
        degenerate + _col(factor) * (images - degenerate), 0.0, 255.0
    )


def adjust_brightness(xp, images, factor):
    return blend(xp, 0.0, images, factor)


def adjust_color(xp, images, factor):
    return blend(xp, grayscale(xp, images), images, factor)


def adjust_contrast(xp, images, factor):
    mean = xp.mean(grayscale(xp, images), axis=(1, 2, 3), keepdims=True)
    return blend(xp, mean, images, factor)


def adjust_sharpness(xp, images, factor):
    """PIL `ImageEnhance.Sharpness`: blend with the SMOOTH-filtered image
    (kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13), border pixels kept."""
    _, h, w, _ = _dims(xp, images)
    padded = xp.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
    smooth = 4.0 * images
    for di in range(3):
        for dj in range(3):
            smooth = smooth + padded[:, di:di + h, dj:dj + w, :]
    smooth = smooth / 13.0
    rows = xp.arange(h)[:, None]
    cols = xp.arange(w)[None, :]
    border = xp.logical_or(
        xp.logical_or(rows == 0, rows == h - 1),
        xp.logical_or(cols == 0, cols == w - 1),
    )[None, :, :, None]
    degenerate = xp.where(border, images, smooth)
    return blend(xp, degenerate, images, factor)


def posterize(xp, images, bits):
    """Keep the `bits` (B,) most significant bits of each 8-bit value."""
    step = xp.power(2.0, 8.0 - bits)
    step = _col(step)
    return xp.floor(xp.clip(images, 0.0, 255.0) / step) * step


def solarize(xp, images, threshold):
    """Invert the values at or above `threshold` (B,)."""
    return xp.where(images >= _col(threshold), 255.0 - images, images)


def autocontrast(xp, images):
    """Stretch each channel of each image to the full 0-255 range."""
    lo = xp.min(images, axis=(1, 2), keepdims=True)
    hi = xp.max(images, axis=(1, 2), keepdims=True)
    scale = 255.0 / xp.maximum(hi - lo, 1e-6)
    return xp.where(hi > lo, (images - lo) * scale, images)


def equalize(xp, images):
    """PIL `ImageOps.equalize` per image and channel, with histograms built
    by one segment sum over the batch."""
    b, h, w, c = _dims(xp, images)
    values = xp.cast(xp.round(xp.clip(images, 0.0, 255.0)), "int32")
    bc = (
        xp.arange(b, dtype="int32")[:, None, None, None] * c
        + xp.arange(c, dtype="int32")[None, None, None, :]
    )
    ids = bc * 256 + values
    flat_ids = xp.reshape(ids, (-1,))
    hist = xp.segment_sum(
        xp.ones_like(flat_ids, dtype="float32"), flat_ids,
        num_segments=b * c * 256,
    )
    hist = xp.reshape(hist, (-1, c, 256))
    top = xp.max(values, axis=(1, 2))  # (B, C)
    top_count = xp.sum(hist * xp.one_hot(top, 256, dtype="float32"), -1)
    step = xp.floor((float(h * w) - top_count) / 255.0)  # (B, C)
    cum_before = xp.cumsum(hist, axis=-1) - hist
    safe = xp.maximum(step, 1.0)[..., None]
    lut = xp.floor((xp.floor(step / 2.0)[..., None] + cum_before) / safe)
    lut = xp.clip(lut, 0.0, 255.0)
    out = xp.take(xp.reshape(lut, (-1,)), flat_ids, axis=0)
    out = xp.reshape(out, (-1, h, w, c))
    keep = (step <= 0.0)[:, None, None, :]
    return xp.where(keep, images, out)
