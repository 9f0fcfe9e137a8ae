"""torch.device, and the one check every `device=` argument and `.to(device)` goes through.

minimod computes on the CPU only. Asking for another device fails the way a CPU-only build of
PyTorch fails, with PyTorch's own words ("Torch not compiled with CUDA enabled"), so a script that
catches that error, or a student searching for it, finds what they would with PyTorch.
"""

from __future__ import annotations

# the device types torch.device knows, in the order its error message lists them
_TORCH_DEVICE_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
    "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)


class device(str):  # noqa: N801 - torch's name
    """torch.device: a device type and an optional index. A device is also its string ("cpu", "cuda:1"),
    so ``t.to(x.device)``, ``model.to(device)`` and ``mm.zeros(3, device=x.device)`` work as in torch.

    Any of torch's device types can be named (``mm.device("cuda")`` is fine, as in a CPU-only torch);
    only putting a tensor there fails (see check_device)."""

    def __new__(cls, type="cpu", index: int | None = None):  # noqa: A002 - torch's argument name
        kind, _, number = str(type).partition(":")
        if kind not in _TORCH_DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(_TORCH_DEVICE_TYPES)} device type at start of device string: "
                f"{type}"
            )
        if index is None and number:
            index = int(number)
        return super().__new__(cls, kind if index is None else f"{kind}:{index}")

    @property
    def type(self) -> str:
        return self.partition(":")[0]

    @property
    def index(self) -> int | None:
        number = self.partition(":")[2]
        return int(number) if number else None

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


def check_device(where) -> None:
    """Pass for None and the CPU; otherwise raise what a CPU-only torch 2.13 raises for that device."""
    if where is None:
        return
    kind = device(where).type
    if kind == "cpu":
        return
    if kind == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if kind == "xpu":
        raise AssertionError("Torch not compiled with XPU enabled")
    if kind == "mps":
        raise RuntimeError("PyTorch is not linked with support for mps devices")
    raise RuntimeError(f"minimod runs on the CPU only; it has no {kind!r} device (use 'cpu')")


CPU = device("cpu")
