"""Lesson 13 reference solution: a checkpoint, a load and numpy values that work in both libraries."""

import copy


def safe_checkpoint(model):
    """A deep copy of the state dict: numpy arrays (minimod) and tensors (PyTorch) alike are copied."""
    return copy.deepcopy(model.state_dict())


def safe_load(model, state_dict):
    """A strict load that changes nothing when it fails, in PyTorch too."""
    backup = safe_checkpoint(model)
    try:
        return model.load_state_dict(state_dict)
    except RuntimeError:
        model.load_state_dict(backup)
        raise


def to_numpy(tensor):
    """Detached first: PyTorch refuses numpy() on a tensor that requires grad."""
    return tensor.detach().numpy()
