"""Line charts as PNG files, with numpy and zlib only (no plotting library in our venvs).

A chart is drawn on an RGB array: a frame, grid lines at given x/y ticks, one polyline per
series in its colour, optional dashed horizontal lines; panels are placed side by side. There is
no text: the document that shows the chart says what the axes, ticks and colours are.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

Colour = tuple[int, int, int]
WHITE: Colour = (255, 255, 255)
GRID: Colour = (225, 225, 225)
FRAME: Colour = (60, 60, 60)


@dataclass(frozen=True)
class Series:
    points: Sequence[tuple[float, float]]  # (x, y)
    colour: Colour


@dataclass(frozen=True)
class Panel:
    series: Sequence[Series]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_ticks: Sequence[float] = ()
    y_ticks: Sequence[float] = ()
    dashed_y: Sequence[tuple[float, Colour]] = field(default_factory=tuple)


def render(panels: Sequence[Panel], *, width: int = 480, height: int = 320) -> np.ndarray:
    """The panels side by side, each `width` x `height` pixels, as an (h, w, 3) uint8 array."""
    images = [_render_panel(panel, width, height) for panel in panels]
    return np.concatenate(images, axis=1)


def write_png(image: np.ndarray, path: Path) -> None:
    """An 8-bit RGB PNG (one IDAT chunk, no filtering)."""
    height, width, _ = image.shape
    rows = b"".join(b"\x00" + image[y].astype(np.uint8).tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    png += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    Path(path).write_bytes(png)


def _render_panel(panel: Panel, width: int, height: int) -> np.ndarray:
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = WHITE
    margin = 24
    left, right, top, bottom = margin, width - margin, margin, height - margin
    (x0, x1), (y0, y1) = panel.x_range, panel.y_range

    def to_pixel(x: float, y: float) -> tuple[float, float]:
        px = left + (x - x0) / (x1 - x0) * (right - left)
        py = bottom - (y - y0) / (y1 - y0) * (bottom - top)
        return px, py

    for x in panel.x_ticks:
        px, _ = to_pixel(x, y0)
        _line(image, (px, top), (px, bottom), GRID)
    for y in panel.y_ticks:
        _, py = to_pixel(x0, y)
        _line(image, (left, py), (right, py), GRID)
    for y, colour in panel.dashed_y:
        _, py = to_pixel(x0, y)
        for start in range(left, right, 12):
            _line(image, (start, py), (min(start + 6, right), py), colour, thickness=2)
    for series in panel.series:
        pixels = [to_pixel(x, y) for x, y in series.points]
        for a, b in itertools.pairwise(pixels):
            _line(image, a, b, series.colour, thickness=2)
        for point in pixels:
            _dot(image, point, series.colour)
    _line(image, (left, top), (left, bottom), FRAME)
    _line(image, (left, bottom), (right, bottom), FRAME)
    return image


def _line(
    image: np.ndarray,
    a: tuple[float, float],
    b: tuple[float, float],
    colour: Colour,
    *,
    thickness: int = 1,
) -> None:
    steps = int(max(abs(b[0] - a[0]), abs(b[1] - a[1]))) + 1
    xs = np.rint(np.linspace(a[0], b[0], steps)).astype(int)
    ys = np.rint(np.linspace(a[1], b[1], steps)).astype(int)
    for dx in range(thickness):
        for dy in range(thickness):
            _paint(image, xs + dx, ys + dy, colour)


def _dot(image: np.ndarray, point: tuple[float, float], colour: Colour) -> None:
    x, y = round(point[0]), round(point[1])
    xs, ys = np.meshgrid(np.arange(x - 2, x + 3), np.arange(y - 2, y + 3))
    _paint(image, xs.ravel(), ys.ravel(), colour)


def _paint(image: np.ndarray, xs: np.ndarray, ys: np.ndarray, colour: Colour) -> None:
    height, width, _ = image.shape
    inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
    image[ys[inside], xs[inside]] = colour
