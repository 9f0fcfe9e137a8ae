"""Lesson 6 reference solution: renaming keys, partial loading and model + optimizer checkpoints."""

from collections import OrderedDict

import minimod as mm


def add_prefix(state_dict, prefix):
    """A new OrderedDict with `prefix` put in front of every key."""
    return OrderedDict((prefix + key, value) for key, value in state_dict.items())


def strip_prefix(state_dict, prefix):
    """A new OrderedDict where keys starting with `prefix` lose it."""
    return OrderedDict(
        (key[len(prefix):] if key.startswith(prefix) else key, value) for key, value in state_dict.items()
    )


def load_matching(model, state_dict):
    """Load the entries whose key and shape match the model; return the skipped keys."""
    own = model.state_dict()
    usable = OrderedDict()
    skipped = []
    for key, value in state_dict.items():
        if key in own and tuple(own[key].shape) == tuple(value.shape):
            usable[key] = value
        else:
            skipped.append(key)
    model.load_state_dict(usable, strict=False)
    return skipped


def save_checkpoint(path, model, optimizer):
    """Save the model's and the optimizer's state dicts in one file."""
    mm.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)


def load_checkpoint(path, model, optimizer):
    """Restore both state dicts saved by save_checkpoint."""
    checkpoint = mm.load(path)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
