"""FashionMNIST and MNIST as small synthetic datasets of 28×28 uint8 images, made instead of downloaded.

Each class has its own pattern (a bright patch whose place depends on the class) drawn on noise, so a
model can learn it in a few epochs, and losses fall as they do on the real data. The images
are made by a numpy generator of their own, so they are the same on minimod and on PyTorch.
"""

from __future__ import annotations

import numpy as np
import torch


def _images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=count)
    images = rng.integers(0, 100, size=(count, 28, 28)).astype(np.float64)
    for image, label in zip(images, labels):
        # a bright 12×12 patch, at one of ten places (two rows of five), moved by a pixel or two
        top = 2 + 12 * (label // 5) + int(rng.integers(-2, 3))
        left = 1 + 3 * (label % 5) + int(rng.integers(-1, 2))
        image[top:top + 12, left:left + 12] += 155
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.int64)


class _Synthetic:
    """torchvision's dataset interface: dataset[i] is (transformed image, transformed label)."""

    classes: list[str] = []
    seed = 0
    sizes = (0, 0)  # (training images, test images): small, so the tutorials run in seconds

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        self.data, self.targets = _images(self.sizes[0 if train else 1], self.seed + (0 if train else 1))
        self.targets = torch.from_numpy(self.targets)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image, target = self.data[int(index)], int(self.targets[int(index)])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


class FashionMNIST(_Synthetic):
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    seed = 10
    sizes = (960, 192)


class MNIST(_Synthetic):
    classes = [f"{digit} - {name}" for digit, name in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]
    seed = 20
    sizes = (256, 128)  # the tutorial's network is a convolutional one: fewer images keep it quick
