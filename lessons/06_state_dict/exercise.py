"""Lesson 6 exercise: work with state dicts and checkpoints. Check it with: minimod lessons --check 6"""

from collections import OrderedDict

# ruff: noqa: F401 - the names the steps used, ready for you (you may not need all of them)
import minimod as mm
import minimod.nn.functional as F
from minimod import nn, optim


def add_prefix(state_dict, prefix):
    """A new OrderedDict with `prefix` put in front of every key, values and order unchanged.

    add_prefix(base_net.state_dict(), "base_net.") has the keys NestedNet uses for its base_net.
    """
    raise NotImplementedError("lesson 6, step 4: build OrderedDict((prefix + key, value) for ...)")


def strip_prefix(state_dict, prefix):
    """A new OrderedDict where keys starting with `prefix` lose it; other keys stay as they are."""
    raise NotImplementedError("lesson 6, step 4: use key.startswith(prefix) and key[len(prefix):]")


def load_matching(model, state_dict):
    """Load into `model` only the entries whose key exists in the model with the same shape.

    Return the list of keys of `state_dict` that were skipped, in the state dict's order.
    """
    raise NotImplementedError(
        "lesson 6, step 5: compare with model.state_dict(), then load_state_dict(..., strict=False)"
    )


def save_checkpoint(path, model, optimizer):
    """Save {"model": model's state dict, "optimizer": optimizer's state dict} to `path` with mm.save."""
    raise NotImplementedError("lesson 6, step 3: mm.save({...}, path)")


def load_checkpoint(path, model, optimizer):
    """Restore both state dicts saved by save_checkpoint."""
    raise NotImplementedError("lesson 6, step 3: checkpoint = mm.load(path), then load both")


_ = (OrderedDict, mm)  # imported for you; remove this line once you use them
