"""Pieces shared by the self-contained HTML pages (the evaluation report and
the dataset audit): the base style sheet, tables, PNG encoding of a uint8
image without any imaging library, and writing the page to disk."""

import base64
import html
import os
import struct
import zlib

import numpy as np

# The style both pages start from; each appends its own rules.
BASE_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;"
    "max-width:1100px;color:#222}table{border-collapse:collapse;"
    "margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:right}th{background:#f0f0f0}"
    ".cards{display:flex;gap:1em;flex-wrap:wrap}"
    ".card{border:1px solid #ccc;border-radius:6px;padding:.6em 1em}"
    ".card b{display:block;font-size:1.5em}"
)


def page_head(title, css=""):
    """The opening of a page: doctype, title and style sheet."""
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{BASE_CSS}{css}"
            "</style></head><body>")


def table(headers, rows):
    """An HTML table; every cell is escaped."""
    esc = html.escape
    head = "".join(f"<th>{esc(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>"
        for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def cards(items):
    """Headline numbers as cards: `items` is `(label, value)` pairs."""
    return "<div class='cards'>" + "".join(
        f"<div class='card'>{html.escape(str(label))}<b>{value}</b></div>"
        for label, value in items) + "</div>"


def png(image):
    """PNG bytes of a uint8 `(H, W)` (grey) or `(H, W, 3)` (RGB) image."""
    h, w = image.shape[:2]
    color = 0 if image.ndim == 2 else 2
    raw = np.concatenate(
        [np.zeros((h, 1), "uint8"), image.reshape(h, -1)], axis=1)

    def chunk(tag, data):
        body = tag + data
        return (struct.pack(">I", len(data)) + body
                + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
            + chunk(b"IEND", b""))


def png_data_uri(data):
    """A `data:` URI for PNG bytes."""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def write_text(path, text):
    """Write `text` to `path` (UTF-8), creating its folder."""
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
