"""pyplot's figure calls, recorded instead of drawn: `calls` lists (name, details) in order."""

from __future__ import annotations

import numpy as np

calls: list[tuple] = []


class Figure:
    def add_subplot(self, *args):
        calls.append(("add_subplot", args))


def figure(figsize=None):
    calls.append(("figure", figsize))
    return Figure()


def title(text):
    calls.append(("title", str(text)))


def axis(setting):
    calls.append(("axis", setting))


def imshow(image, cmap=None):
    picture = np.asarray(image)  # what matplotlib does with any array-like image
    if picture.ndim not in (2, 3):
        raise TypeError(f"Invalid shape {picture.shape} for image data")
    calls.append(("imshow", picture.shape, cmap))


def show():
    calls.append(("show",))
