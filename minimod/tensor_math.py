"""Tensor's math: operators, elementwise functions, reductions and shape methods, each one Function call
(or one composite: reshape, matmul, indexing, ...).

`Tensor` (minimod/tensor.py) inherits these; the Functions themselves, forward and backward side by
side, live in minimod/functions/, and the ops torch records as several nodes in minimod/composites/.
"""

from __future__ import annotations

import numpy as np

from .composites import matmul as CM
from .composites import shape as CS
from .functions import activation as A
from .functions import elementwise as E
from .functions import matmul as M
from .functions import reduction as R
from .functions import shape as S
from .hooks import report_untracked

# the Tensor class: minimod/tensor.py binds it when it loads (Tensor inherits this mixin, so this file
# cannot import it); the methods below return Tensors, and typing.get_type_hints reads the name here
Tensor = None

# torch's default floating dtype: Python floats become float32
_DEFAULT_DTYPE = np.dtype(np.float32)


class TensorMath:
    """The differentiable methods of Tensor (a mixin: it holds no data of its own)."""

    __slots__ = ()

    # --- arithmetic ----------------------------------------------------------------------------

    def __add__(self, other) -> Tensor:
        return _binary(E.Add, self, other)

    def __radd__(self, other) -> Tensor:
        return _binary(E.Add, other, self)

    def __sub__(self, other) -> Tensor:
        return _binary(E.Sub, self, other)

    def __rsub__(self, other) -> Tensor:
        return _binary(E.Sub, other, self)

    def __mul__(self, other) -> Tensor:
        return _binary(E.Mul, self, other)

    def __rmul__(self, other) -> Tensor:
        return _binary(E.Mul, other, self)

    def __truediv__(self, other) -> Tensor:
        return _binary(E.Div, *_true_division(self, _operand(other, self)))

    def __rtruediv__(self, other) -> Tensor:
        return _binary(E.Div, *_true_division(_operand(other, self), self))

    def __pow__(self, exponent) -> Tensor:
        if isinstance(exponent, TensorMath):
            return _binary(E.PowTensor, self, exponent)
        base = self
        if self._data.dtype.kind in "biu":
            if isinstance(exponent, float):  # int tensor ** 0.5 is float32, as in torch
                base = self._wrap(self._data.astype(_DEFAULT_DTYPE))
            elif isinstance(exponent, int) and exponent < 0:
                raise RuntimeError("Integers to negative integer powers are not allowed.")
        return E.Pow.apply(base, exponent)

    def __rpow__(self, base) -> Tensor:
        return _binary(E.PowTensor, base, self)

    def __neg__(self) -> Tensor:
        if self._data.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert "
                "a mask, use the `~` or `logical_not()` operator instead."
            )
        return E.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return E.Abs.apply(self)

    def __matmul__(self, other) -> Tensor:
        return CM.matmul(*_promoted(self, _operand(other, self)))

    def __rmatmul__(self, other) -> Tensor:
        return CM.matmul(*_promoted(_operand(other, self), self))

    # comparisons give boolean tensors outside autograd (reported to op observers all the same)
    def __eq__(self, other) -> Tensor | bool:
        if other is None:  # torch: a tensor is never None
            return False
        return report_untracked("Eq", (self, other), self._wrap(self._data == _raw(other)))

    def __ne__(self, other) -> Tensor | bool:
        if other is None:
            return True
        return report_untracked("Ne", (self, other), self._wrap(self._data != _raw(other)))

    def __lt__(self, other) -> Tensor:
        return report_untracked("Lt", (self, other), self._wrap(self._data < _raw(other)))

    def __le__(self, other) -> Tensor:
        return report_untracked("Le", (self, other), self._wrap(self._data <= _raw(other)))

    def __gt__(self, other) -> Tensor:
        return report_untracked("Gt", (self, other), self._wrap(self._data > _raw(other)))

    def __ge__(self, other) -> Tensor:
        return report_untracked("Ge", (self, other), self._wrap(self._data >= _raw(other)))

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape})"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.item()

    def __index__(self) -> int:
        return int(self.item())

    # --- elementwise math ----------------------------------------------------------------------
    # exp, log, sqrt, tanh and sigmoid of an integer or bool tensor are float32, as in torch

    def exp(self) -> Tensor:
        return E.Exp.apply(_floating(self))

    def log(self) -> Tensor:
        return E.Log.apply(_floating(self))

    def sqrt(self) -> Tensor:
        return E.Sqrt.apply(_floating(self))

    def abs(self) -> Tensor:
        return E.Abs.apply(self)

    def sin(self) -> Tensor:
        return E.Sin.apply(_floating(self))

    def cos(self) -> Tensor:
        return E.Cos.apply(_floating(self))

    def square(self) -> Tensor:
        return self**2  # torch records it as PowBackward0 too

    def reciprocal(self) -> Tensor:
        return E.Reciprocal.apply(_floating(self))

    def rsqrt(self) -> Tensor:
        return E.Rsqrt.apply(_floating(self))

    def log1p(self) -> Tensor:
        return E.Log1p.apply(_floating(self))

    def expm1(self) -> Tensor:
        return E.Expm1.apply(_floating(self))

    # piecewise constant: gradient 0 (an integer tensor is already whole: floor, ceil and round copy it)
    def sign(self) -> Tensor:
        if self._data.dtype == np.bool_:
            return self._wrap(self._data.copy())
        return E.Sign.apply(self)

    def floor(self) -> Tensor:
        return E.Floor.apply(self) if self._data.dtype.kind == "f" else self._wrap(self._data.copy())

    def ceil(self) -> Tensor:
        return E.Ceil.apply(self) if self._data.dtype.kind == "f" else self._wrap(self._data.copy())

    def round(self) -> Tensor:
        return E.Round.apply(self) if self._data.dtype.kind == "f" else self._wrap(self._data.copy())

    def clamp_min(self, min) -> Tensor:  # noqa: A002 - torch's argument name
        return E.ClampMin.apply(self, min=min)

    def clamp_max(self, max) -> Tensor:  # noqa: A002 - torch's argument name
        return E.ClampMax.apply(self, max=max)

    def tanh(self) -> Tensor:
        return A.Tanh.apply(_floating(self))

    def sigmoid(self) -> Tensor:
        return A.Sigmoid.apply(_floating(self))

    def relu(self) -> Tensor:
        if self._data.dtype == np.bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        return A.Relu.apply(self)

    def clamp(self, min=None, max=None) -> Tensor:  # noqa: A002 - torch's argument names
        x = self
        if x._data.dtype.kind in "biu" and any(isinstance(b, float) for b in (min, max)):
            x = x._wrap(x._data.astype(_DEFAULT_DTYPE))  # an int tensor clamped to 0.5 is float32
        return E.Clamp.apply(x, min=min, max=max)

    clip = clamp

    # torch's method spellings of the operators
    def add(self, other, *, alpha=1) -> Tensor:
        """self + alpha · other."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1) -> Tensor:
        """self - alpha · other."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other) -> Tensor:
        return self * other

    def div(self, other, *, rounding_mode=None) -> Tensor:
        """self / other; rounding_mode "trunc" rounds towards zero, "floor" down (gradient 0 then)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                               f"'{rounding_mode}'")
        operand = _operand(other, self)
        if self._data.dtype.kind != "f" and operand._data.dtype.kind != "f":
            if (operand._data == 0).any():
                raise RuntimeError("ZeroDivisionError")
            quotient = np.floor_divide(*np.broadcast_arrays(self._data, operand._data))
            if rounding_mode == "trunc":  # floor and trunc differ where the exact quotient is negative
                inexact = np.remainder(self._data, operand._data) != 0
                quotient = quotient + ((quotient < 0) & inexact)
            return self._wrap(np.asarray(quotient, dtype=np.result_type(self._data, operand._data)))
        quotient = self / operand
        return quotient.floor() if rounding_mode == "floor" else quotient.sign() * quotient.abs().floor()

    true_divide = div
    multiply = mul
    subtract = sub

    def neg(self) -> Tensor:
        return -self

    def eq(self, other) -> Tensor:
        return self == other

    def ne(self, other) -> Tensor:
        return self != other

    def lt(self, other) -> Tensor:
        return self < other

    def le(self, other) -> Tensor:
        return self <= other

    def gt(self, other) -> Tensor:
        return self > other

    def ge(self, other) -> Tensor:
        return self >= other

    # what a value is, elementwise (bool tensors, outside autograd)
    def isnan(self) -> Tensor:
        return report_untracked("IsNan", (self,), self._wrap(np.isnan(self._data)))

    def isinf(self) -> Tensor:
        return report_untracked("IsInf", (self,), self._wrap(np.isinf(self._data)))

    def isfinite(self) -> Tensor:
        return report_untracked("IsFinite", (self,), self._wrap(np.isfinite(self._data)))

    # --- masks and scans -------------------------------------------------------------------------

    def masked_fill(self, mask, value) -> Tensor:
        """value where mask is True (mask: a bool tensor broadcastable to this one), else this tensor's."""
        mask_data = mask._data if isinstance(mask, TensorMath) else np.asarray(mask)
        if mask_data.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                               f"{mask_data.dtype}")
        try:
            np.broadcast_to(mask_data, self._data.shape)
        except ValueError:
            raise RuntimeError(
                f"The size of the mask {tuple(mask_data.shape)} must broadcast to the tensor's "
                f"{tuple(self._data.shape)}: masked_fill fills this tensor's shape"
            ) from None
        if isinstance(value, TensorMath):
            if value._data.ndim:
                raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                                   f"tensor with {value._data.ndim} dimension(s).")
            if value.requires_grad:
                raise RuntimeError("masked_fill with a value tensor that requires grad is not in minimod; "
                                   "pass a number (value.item()), or use mm.where(mask, value, x)")
            value = value._data.item()
        # the mask as the Tensor it is, so op observers see it as an input (the flow view draws its edge)
        return E.MaskedFill.apply(self, mask if isinstance(mask, TensorMath) else mask_data, value)

    def tril(self, diagonal=0) -> Tensor:
        """The lower triangle of the last two dims (with `diagonal` diagonals above the main one)."""
        _check_matrix("tril", self)
        return E.Tril.apply(self, diagonal=diagonal)

    def triu(self, diagonal=0) -> Tensor:
        """The upper triangle of the last two dims (from `diagonal` diagonals above the main one)."""
        _check_matrix("triu", self)
        return E.Triu.apply(self, diagonal=diagonal)

    def cumsum(self, dim) -> Tensor:
        """Running sums along dim: an integer or bool tensor's are int64, as in torch."""
        return R.Cumsum.apply(self, dim=dim)

    def pow(self, exponent) -> Tensor:
        return self**exponent

    def matmul(self, other) -> Tensor:
        return self @ other

    # the products matmul dispatches to, each for its own ranks (torch's errors otherwise)
    def dot(self, other) -> Tensor:
        if self._data.ndim != 1 or other._data.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self._data.ndim}D and {other._data.ndim}D tensors"
            )
        CM.check_shapes(self.shape, other.shape)
        return M.Dot.apply(*_promoted(self, other))

    def mv(self, vec) -> Tensor:
        if self._data.ndim != 2 or vec._data.ndim != 1 or self._data.shape[1] != vec._data.shape[0]:
            mat, vector = "x".join(map(str, self._data.shape)), "x".join(map(str, vec._data.shape))
            rows = self._data.shape[0] if self._data.ndim else 0
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({mat}), vec ({vector})")
        return M.Mv.apply(*_promoted(self, vec))

    def mm(self, mat2) -> Tensor:
        if self._data.ndim != 2:
            raise RuntimeError("self must be a matrix")
        if mat2._data.ndim != 2:
            raise RuntimeError("mat2 must be a matrix")
        CM.check_shapes(self.shape, mat2.shape)
        return M.Mm.apply(*_promoted(self, mat2), of_weight=False)

    def bmm(self, mat2) -> Tensor:
        if self._data.ndim != 3:
            raise RuntimeError("batch1 must be a 3D tensor")
        if mat2._data.ndim != 3:
            raise RuntimeError("batch2 must be a 3D tensor")
        if self._data.shape[0] != mat2._data.shape[0]:
            raise RuntimeError(
                f"batch1 and batch2 must have same number of batches, got {self._data.shape[0]} and "
                f"{mat2._data.shape[0]}"
            )
        CM.check_shapes(self.shape, mat2.shape)
        return M.Bmm.apply(*_promoted(self, mat2))

    def outer(self, vec2) -> Tensor:
        """self[i] · vec2[j] for every pair (two vectors)."""
        if self._data.ndim != 1 or vec2._data.ndim != 1:
            raise RuntimeError(
                f"outer: expected 1D tensors, but got {self._data.ndim}D and {vec2._data.ndim}D"
            )
        return self.reshape(-1, 1) * vec2

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """The slice start:start+length along dim (a view)."""
        axis = S._wrap_dim(dim, self._data.ndim)
        size = self._data.shape[axis]
        start = start + size if start < 0 else start
        if not (0 <= start and length >= 0 and start + length <= size):
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return self[(slice(None),) * axis + (slice(start, start + length),)]

    # --- reductions ----------------------------------------------------------------------------

    def sum(self, dim=None, keepdim=False, dtype=None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        return R.Sum.apply(x, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        return R.Mean.apply(x, dim=dim, keepdim=keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, correction=None) -> Tensor:
        if correction is None:
            correction = 1 if unbiased else 0
        return R.Var.apply(self, dim=dim, correction=correction, keepdim=keepdim)

    def std(self, dim=None, unbiased=True, keepdim=False, correction=None) -> Tensor:
        return self.var(dim, unbiased=unbiased, keepdim=keepdim, correction=correction).sqrt()

    def prod(self, dim=None, keepdim=False) -> Tensor:
        return R.Prod.apply(self, dim=dim, keepdim=keepdim)

    def amax(self, dim=(), keepdim=False) -> Tensor:
        """The largest value over dim (an int or a tuple; every dim by default), without indices."""
        return R.Amax.apply(self, dim=dim, keepdim=keepdim)

    def amin(self, dim=(), keepdim=False) -> Tensor:
        return R.Amin.apply(self, dim=dim, keepdim=keepdim)

    def sort(self, dim=-1, descending=False) -> R.SortResult:
        return R.SortResult(*R.Sort.apply(self, dim=dim, descending=descending))

    def argsort(self, dim=-1, descending=False) -> Tensor:
        return self.sort(dim, descending).indices

    def topk(self, k: int, dim=-1, largest=True, sorted=True) -> R.TopkResult:  # noqa: A002 - torch's name
        """The k largest (or smallest) values along dim, largest first, with their indices."""
        size = self._data.shape[S._wrap_dim(dim, self._data.ndim)] if self._data.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError(f"selected index k out of range (k={k}, size {size} along dim {dim})")
        return R.TopkResult(*R.Topk.apply(self, k=k, dim=dim, largest=largest))

    def norm(self, p="fro", dim=None, keepdim=False) -> Tensor:
        """The vector norm over dim (every element by default): p = 2 ("fro", the default) or 1."""
        if p not in ("fro", 2, 2.0, 1, 1.0):
            raise RuntimeError(f"norm with p={p!r} is not in minimod; use p=2 (the default) or p=1")
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. "
                               f"Got {_torch_dtype_name(self._data.dtype)}")
        return R.VectorNorm.apply(self, p=1 if p in (1, 1.0) else 2, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim=False) -> Tensor | R.MaxResult:
        self._check_extreme_dim("max", dim, "mm.where(a >= b, a, b)")
        return R.max_along(self, dim=dim, keepdim=keepdim)

    def min(self, dim=None, keepdim=False) -> Tensor | R.MinResult:
        self._check_extreme_dim("min", dim, "mm.where(a <= b, a, b)")
        return R.min_along(self, dim=dim, keepdim=keepdim)

    @staticmethod
    def _check_extreme_dim(name, dim, instead) -> None:
        if isinstance(dim, TensorMath):
            kind = "maximum" if name == "max" else "minimum"
            raise TypeError(
                f"{name}(input, other), the elementwise {kind} of two tensors, is not in minimod; "
                f"write {instead}, or pass an int dim for {name} along a dimension"
            )
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")

    def argmax(self, dim=None, keepdim=False) -> Tensor:
        return report_untracked("Argmax", (self,), self._wrap(R.argmax(self._data, dim, keepdim)))

    def argmin(self, dim=None, keepdim=False) -> Tensor:
        return report_untracked("Argmin", (self,), self._wrap(R.argmin(self._data, dim, keepdim)))

    def all(self, dim=None, keepdim=False) -> Tensor:
        """True where every element (along dim) is nonzero: bool (uint8 for uint8 input), as in torch."""
        return self._wrap(_logical_reduce(np.all, self._data, dim, keepdim))

    def any(self, dim=None, keepdim=False) -> Tensor:
        """True where some element (along dim) is nonzero: bool (uint8 for uint8 input), as in torch."""
        return self._wrap(_logical_reduce(np.any, self._data, dim, keepdim))

    # --- shape ---------------------------------------------------------------------------------

    def reshape(self, *shape) -> Tensor:
        return CS.reshape(self, CS.normalize_shape(shape, self._data.size))

    def view(self, *shape) -> Tensor:
        return S.View.apply(self, shape=CS.normalize_shape(shape, self._data.size))

    def flatten(self, start_dim=0, end_dim=-1) -> Tensor:
        return CS.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1) -> Tensor:
        return CS.transpose(self, dim0, dim1)

    def t(self) -> Tensor:
        """Transpose of a tensor of at most 2 dims (as torch.t; use transpose or .T otherwise)."""
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self._data.ndim}D")
        return S.T.apply(self, dims=tuple(range(self._data.ndim))[::-1])

    def permute(self, *dims) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return S.Permute.apply(self, dims=tuple(dims))

    def unsqueeze(self, dim) -> Tensor:
        return CS.unsqueeze(self, dim)

    def squeeze(self, dim=None) -> Tensor:
        return CS.squeeze(self, dim)

    def expand(self, *sizes) -> Tensor:
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        return CS.expand(self, sizes)

    def flip(self, *dims) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return S.Flip.apply(self, dims=tuple(S._wrap_dim(d, self._data.ndim) for d in dims))

    def roll(self, shifts, dims=None) -> Tensor:
        return S.Roll.apply(self, shifts=shifts, dims=dims)  # dims None: over the flattened tensor

    def repeat(self, *repeats) -> Tensor:
        if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)):
            repeats = tuple(repeats[0])
        if len(repeats) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                               "dimensions of tensor")
        return S.Repeat.apply(self, repeats=tuple(int(r) for r in repeats))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most `chunks` pieces of equal size along dim (the last one smaller)."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        length = self._dim_size(dim)
        size = -(-length // chunks) if length else 0
        return self._pieces(size, dim, S.Chunk) if size else (self,)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces along dim: of split_size each (the last one smaller), or of the listed sizes."""
        return self._pieces(split_size_or_sections, dim, S.Split)

    def _pieces(self, split_size_or_sections, dim: int, function) -> tuple[Tensor, ...]:
        length = self._dim_size(dim)
        axis = S._wrap_dim(dim, self._data.ndim)
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [int(size) for size in split_size_or_sections]
            if sum(sizes) != length or any(size < 0 for size in sizes):
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {length} (input tensor's size "
                    f"at dimension {dim}), but got split_sizes={sizes}"
                )
            return function.apply(self, sizes=sizes, dim=axis, node_name="SplitWithSizesBackward0")
        size = int(split_size_or_sections)
        if size <= 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        sizes = [size] * (length // size) + ([length % size] if length % size else [])
        return function.apply(self, sizes=sizes or [0], dim=axis)

    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]:
        """The slices along dim, each without that dim."""
        self._dim_size(dim)  # torch's error for a 0-d tensor
        return S.Unbind.apply(self, dim=S._wrap_dim(dim, self._data.ndim))

    def _dim_size(self, dim: int) -> int:
        if self._data.ndim == 0:
            raise IndexError("dimension specified as 0 but tensor has no dimensions")
        return self._data.shape[S._wrap_dim(dim, self._data.ndim)]

    def gather(self, dim: int, index) -> Tensor:
        """out[i][j] = self[i][index[i][j]] along dim (index: an int64 tensor of as many dims)."""
        index_data = index._data if isinstance(index, TensorMath) else np.asarray(index)
        if index_data.dtype != np.int64:
            raise RuntimeError(f"gather(): Expected dtype int64 for index, got {index_data.dtype}")
        if index_data.ndim != self._data.ndim:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        axis = S._wrap_dim(dim, self._data.ndim)
        size = self._data.shape[axis]
        if index_data.size and (index_data.min() < -size or index_data.max() >= size):
            bad = int(index_data.max() if index_data.max() >= size else index_data.min())
            raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
        return S.Gather.apply(self, index_data, dim=axis)

    def expand_as(self, other) -> Tensor:
        return self.expand(other.shape)

    def view_as(self, other) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other) -> Tensor:
        return self.reshape(other.shape)

    @property
    def mT(self) -> Tensor:  # noqa: N802 - torch's name
        """The last two dims swapped (a batch of matrices transposed)."""
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def softmax(self, dim) -> Tensor:
        """exp(x) / sum(exp(x)) along dim."""
        return A.Softmax.apply(self, dim=self._softmax_dim(dim))

    def log_softmax(self, dim) -> Tensor:
        """log(softmax(x)) along dim, computed stably."""
        return A.LogSoftmax.apply(self, dim=self._softmax_dim(dim))

    def _softmax_dim(self, dim) -> int:
        ndim = max(self._data.ndim, 1)
        if not -ndim <= dim <= ndim - 1:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})"
            )
        return dim % ndim

    def __getitem__(self, index) -> Tensor:
        if isinstance(index, tuple):
            return CS.getitem(self, tuple(_raw(part) for part in index))
        return CS.getitem(self, _raw(index))


# --- helpers -----------------------------------------------------------------------------------


def _operand(value, like: Tensor) -> Tensor:
    """A Python number or array next to a Tensor: a constant (requires_grad=False) of its dtype."""
    if isinstance(value, TensorMath):
        return value
    if isinstance(value, (int, float, bool)):
        dtype = like._data.dtype
        if np.issubdtype(dtype, np.floating):
            return like._wrap(np.asarray(value, dtype=dtype))
        if isinstance(value, float):  # int tensor * 0.5 is float32, as in torch
            return like._wrap(np.asarray(value, dtype=_DEFAULT_DTYPE))
        if isinstance(value, int) and not isinstance(value, bool) and dtype != np.bool_:
            return like._wrap(np.asarray(value, dtype=dtype))
    return like._wrap(np.asarray(value))


def _binary(function, a, b) -> Tensor:
    """Apply a two-operand op to a Tensor and a Tensor, number or array (either side): the one that is
    not a Tensor becomes a constant of the other's dtype (_operand), and mixed dtypes promote (_promoted)."""
    if not isinstance(b, TensorMath):
        b = _operand(b, a)
    elif not isinstance(a, TensorMath):
        a = _operand(a, b)
    if a._data.dtype is not b._data.dtype:  # (one dtype is nearly always one object: the call is skipped)
        a, b = _promoted(a, b)
    return function.apply(a, b)


def _promoted(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """An integer or bool operand next to a float one takes the float dtype."""
    dtype_a, dtype_b = a._data.dtype, b._data.dtype
    if dtype_a != dtype_b:
        float_a, float_b = dtype_a.kind == "f", dtype_b.kind == "f"
        if float_a and not float_b:
            b = b._wrap(b._data.astype(dtype_a))
        elif float_b and not float_a:
            a = a._wrap(a._data.astype(dtype_b))
    return a, b


def _true_division(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Integers divided give the default float dtype (torch: int / int is float32, not float64)."""
    if a._data.dtype.kind != "f" and b._data.dtype.kind != "f":
        a = a._wrap(a._data.astype(_DEFAULT_DTYPE))
    return a, b


def _torch_dtype_name(dtype) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte", "int16": "Short",
            "int8": "Char"}.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _check_matrix(name: str, x: Tensor) -> None:
    if x._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, but got {x._data.ndim}")


def _floating(x: Tensor) -> Tensor:
    """x itself when floating, else x as float32 (torch's dtype for exp, log, ... of integers)."""
    if x._data.dtype.kind == "f":
        return x
    return x._wrap(x._data.astype(_DEFAULT_DTYPE))


def _logical_reduce(reduce, array: np.ndarray, dim, keepdim: bool) -> np.ndarray:
    """np.all / np.any over torch's dim (None, an int or a tuple): bool, or uint8 for uint8 input."""
    axes = R._axes(dim, array.ndim)
    out = np.asarray(reduce(array, axis=axes if array.ndim else None, keepdims=keepdim and array.ndim > 0))
    return out.astype(np.uint8) if array.dtype == np.uint8 else out


def _raw(value):
    return value._data if isinstance(value, TensorMath) else value
