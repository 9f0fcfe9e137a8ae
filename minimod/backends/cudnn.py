"""torch.backends.cudnn: NVIDIA's cuDNN, not available in minimod.

Scripts set these flags for reproducibility or speed (``torch.backends.cudnn.benchmark = True``);
they hold torch's defaults and change nothing here, as on a CPU-only torch.
"""

from __future__ import annotations

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None
