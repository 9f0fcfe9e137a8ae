"""ModelAdapter: what the inspector must know about the library a model comes from, and nothing more."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

# observer(op_name, inputs, outputs, arguments): `op_name` is what the flow view draws ("relu", "add",
# "flatten"), `inputs` the op's positional arguments, `outputs` a Tensor or a tuple of them, `arguments` the
# op's other arguments as torch's API names them, a dict keyed by position (an int, 0 being the first
# argument; tensors are left out) or by name: `x.transpose(1, 2)` gives {1: 1, 2: 2}, `x * 0.9` {1: 0.9},
# `F.softmax(x, dim=-1)` {"dim": -1}. inspector/op_arguments.py reads them the same way for both libraries.
OpObserver = Callable[[str, tuple, Any, dict], None]

# The op name an adapter gives an op that only passes tensors through for module backward hooks: the
# flow view draws no node for it, the tensor keeps its producer.
PASS_THROUGH = "(backward hook pass-through)"


class ModelAdapter(ABC):
    """One library's side of the seam. Subclasses set the attributes and implement the methods.

    `lib` is the library's top-level module (minimod or torch). The inspector uses only the part of it
    that the two share with the same names and meanings: `tensor`, `zeros`, `randn`, `from_numpy`,
    `no_grad`, `optim.SGD`, `nn.functional.cross_entropy` and `mse_loss`.
    """

    library: str  # the name the header and status line show: "minimod" or "PyTorch"
    lib: ModuleType
    tensor_type: type
    module_type: type
    container_types: tuple[type, ...]  # whose runs of identical children fold, as torch's repr folds them
    source_dirs: tuple[str, ...]  # the library's own files: an error's location is the first frame outside

    def is_module(self, value: Any) -> bool:
        return isinstance(value, self.module_type)

    def is_module_class(self, value: Any) -> bool:
        module_type = self.module_type
        return isinstance(value, type) and issubclass(value, module_type) and value is not module_type

    def is_tensor(self, value: Any) -> bool:
        return isinstance(value, self.tensor_type)

    def is_container(self, module: Any) -> bool:
        return isinstance(module, self.container_types)

    @abstractmethod
    def is_floating(self, tensor: Any) -> bool:
        """Does `tensor` hold floating-point values (so a loss may be taken of it)?"""

    @abstractmethod
    def array(self, value: Any) -> Any:
        """A Tensor's values as an ndarray (the tensor's own memory where the library allows), outside
        autograd; anything that is not a Tensor comes back unchanged."""

    def random_input(self, shape: tuple[int, ...]) -> Any:
        """A standard-normal float32 Tensor of `shape`, from the library's seeded generator."""
        return self.lib.randn(*shape)

    def tensor_from(self, values: np.ndarray) -> Any:
        """A Tensor holding a copy of `values` (with their dtype), outside autograd."""
        return self.lib.tensor(np.array(values))

    @abstractmethod
    def module_hooks(self, forward_pre: Callable, forward: Callable,
                     full_backward: Callable | None) -> list[Any]:
        """Register the three hooks on every module (the library's global module hooks); their handles."""

    @abstractmethod
    def observe_ops(self, observer: OpObserver) -> Any:
        """Call `observer` after every functional op run from here on (relu, add, flatten, matmul, ...);
        returns a handle whose remove() stops it. An op made of ops is reported once."""

    def node_name(self, grad_fn: Any) -> str:
        """An autograd node's name as torch prints it (`AddmmBackward0`, `AccumulateGrad`)."""
        return grad_fn.name().rpartition("::")[2]

    @abstractmethod
    def saved_tensor_shapes(self, grad_fn: Any) -> list[tuple[int, ...]]:
        """The shapes of the tensors an autograd node saved for backward, sorted (torchviz's show_saved)."""
