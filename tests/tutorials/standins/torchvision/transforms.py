"""torchvision.transforms' ToTensor, Normalize, Compose and Lambda, for numpy images (H, W) or (H, W, C)."""

from __future__ import annotations

import numpy as np
import torch


class ToTensor:
    """uint8 image (H, W[, C]) -> float32 tensor (C, H, W) in [0, 1]."""

    def __call__(self, picture):
        array = np.asarray(picture)
        if array.ndim == 2:
            array = array[:, :, None]
        return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)).astype(np.float32) / 255)


class Normalize:
    """(tensor - mean) / std, channel by channel."""

    def __init__(self, mean, std):
        self.mean, self.std = mean, std

    def __call__(self, tensor):
        mean = torch.tensor(self.mean, dtype=tensor.dtype).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=tensor.dtype).view(-1, 1, 1)
        return (tensor - mean) / std


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, value):
        for transform in self.transforms:
            value = transform(value)
        return value


class Lambda:
    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, value):
        return self.lambd(value)
