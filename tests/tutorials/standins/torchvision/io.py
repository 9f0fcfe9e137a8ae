"""torchvision.io.decode_image, for images saved with numpy.save: a uint8 tensor (C, H, W)."""

from __future__ import annotations

import numpy as np
import torch


def decode_image(path):
    array = np.load(path)
    if array.ndim == 2:
        array = array[None]
    return torch.from_numpy(array)


read_image = decode_image
