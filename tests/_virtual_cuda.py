"""A virtual CUDA device on a machine without a GPU, to find device mismatches on the CPU.

Inside `virtual_cuda()`, torch reports one GPU, and a tensor put on "cuda" (a factory call with
device="cuda", `.to("cuda")`, `.cuda()`) is a `VirtualCuda` tensor: its `.device` is cuda:0, its data
lives on the CPU and every operation on it runs there. An operation that mixes a VirtualCuda tensor
with a CPU tensor of one or more dimensions raises the RuntimeError a real GPU raises ("Expected all
tensors to be on the same device"), except where CUDA allows it: copies between devices, and CPU
indices into a CUDA tensor (advanced indexing). Like on a GPU, 0-dim CPU tensors mix with anything,
and `.numpy()` of a VirtualCuda tensor raises (it needs `.cpu()` first). The block runs without
autograd (autograd would set a CUDA device guard, which a CPU build lacks; lib/ trains by its own
backward passes). What it cannot see: CUDA's own numerics, kernels and streams, which only a real GPU
tests (tests/test_gpu.py).
"""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

CUDA = torch.device("cuda", 0)
aten = torch.ops.aten
# ops that may take CPU indices for a CUDA tensor (advanced indexing), and cross-device copies
CPU_INDICES_OK = {
    aten.index.Tensor,
    aten.index_put.default,
    aten.index_put_.default,
    aten._index_put_impl_.default,
}
CROSS_DEVICE = {
    aten._to_copy.default,
    aten.copy_.default,
    aten.copy.default,
    aten._copy_from.default,
    aten._copy_from_and_resize.default,
}


class VirtualCuda(torch.Tensor):
    """A CPU tensor `elem` that says it is on cuda:0."""

    elem: torch.Tensor

    @staticmethod
    def __new__(cls, elem: torch.Tensor):
        out = torch.Tensor._make_wrapper_subclass(
            cls,
            elem.shape,
            strides=elem.stride(),
            storage_offset=elem.storage_offset(),
            dtype=elem.dtype,
            layout=elem.layout,
            device=CUDA,
            requires_grad=elem.requires_grad,
        )
        out.elem = elem
        return out

    __torch_function__ = torch._C._disabled_torch_function_impl

    def __repr__(self) -> str:
        return f"VirtualCuda({self.elem!r})"

    # Python-level methods that would set a CUDA device guard (absent from a CPU build): on the data
    def tolist(self):
        return self.elem.tolist()

    def item(self):
        return self.elem.item()

    def __float__(self):
        return float(self.elem)

    def __int__(self):
        return int(self.elem)

    def __index__(self):
        return self.elem.__index__()

    def __bool__(self):
        return bool(self.elem)

    def contiguous(self, memory_format=torch.contiguous_format):
        return _wrap_view(self.elem.contiguous(memory_format=memory_format))

    def copy_(self, src, non_blocking=False):
        return torch.ops.aten.copy_.default(self, src, non_blocking)

    def double(self):
        return _to(self, torch.float64)

    def float(self):
        return _to(self, torch.float32)

    def half(self):
        return _to(self, torch.float16)

    def long(self):
        return _to(self, torch.int64)

    def int(self):
        return _to(self, torch.int32)

    def bool(self):
        return _to(self, torch.bool)

    def __invert__(self):
        return torch.bitwise_not(self)

    def __getitem__(self, index):
        return _wrap_view(self.elem[_index_on_cpu(index)])

    def __setitem__(self, index, value):
        self.elem[_index_on_cpu(index)] = _unwrap(value)

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        return _run(func, args, kwargs or {})


def _is_cuda(device) -> bool:
    return device is not None and torch.device(device).type == "cuda"


def _run(func, args, kwargs):
    flat, _ = tree_flatten((args, kwargs))
    tensors = [t for t in flat if isinstance(t, torch.Tensor)]
    virtual = [t for t in tensors if isinstance(t, VirtualCuda)]
    cpu = [t for t in tensors if not isinstance(t, VirtualCuda) and t.dim() > 0]
    if virtual and cpu and func not in CROSS_DEVICE:
        allowed = (
            func in CPU_INDICES_OK
            and isinstance(args[0], VirtualCuda)
            and all(t is not args[0] for t in cpu)
        )
        if not allowed:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu! "
                f"(virtual CUDA, in {func})"
            )
    if func in CPU_INDICES_OK and not isinstance(args[0], VirtualCuda) and virtual:
        raise RuntimeError(
            f"indices should be either on cpu or on the same device as the indexed tensor (cpu) "
            f"(virtual CUDA, in {func})"
        )
    to_cuda = bool(virtual)
    if "device" in kwargs:
        to_cuda = _is_cuda(kwargs["device"])
        kwargs = {**kwargs, "device": torch.device("cpu") if to_cuda else kwargs["device"]}
    elif func in (aten._to_copy.default,):
        to_cuda = isinstance(args[0], VirtualCuda)
    if func is aten.copy_.default and _same_memory(_unwrap(args[0]), _unwrap(args[1])):
        # a view copied onto itself (a composite op's out= path): nothing to do, as on a GPU
        return args[0]
    owners = {id(t.elem): t for t in virtual}
    out = func(*tree_map(_unwrap, args), **tree_map(_unwrap, kwargs))
    if func in (aten.copy_.default,):  # copy_ into its first argument keeps that argument's device
        return args[0]

    def wrap(t):
        if not isinstance(t, torch.Tensor):
            return t
        if id(t) in owners:  # an in-place op or out=: the same tensor
            return owners[id(t)]
        return VirtualCuda(t) if to_cuda else t

    return tree_map(wrap, out)


def _same_memory(a, b) -> bool:
    return (
        isinstance(b, torch.Tensor)
        and a.data_ptr() == b.data_ptr()
        and a.dtype == b.dtype
        and a.numel() == b.numel()
        and a.is_contiguous()
        and b.is_contiguous()
    )


def _index_on_cpu(index):
    """An index into a VirtualCuda tensor, with its VirtualCuda tensors unwrapped (CUDA takes index
    tensors on the CPU or on the indexed tensor's device alike)."""
    if isinstance(index, tuple):
        return tuple(_unwrap(i) for i in index)
    if isinstance(index, list):
        return [_unwrap(i) for i in index]
    return _unwrap(index)


def _wrap_view(t):
    return VirtualCuda(t) if isinstance(t, torch.Tensor) else t


def _unwrap(t):
    return t.elem if isinstance(t, VirtualCuda) else t


def _to(self, *args, **kwargs):
    """Tensor.to(device, dtype, tensor, ... , non_blocking, copy) as one `_to_copy` (the binding of
    `Tensor.to` sets a device guard, which a CPU build lacks for CUDA)."""
    device, dtype = None, None
    for a in args:
        if isinstance(a, torch.Tensor):
            device, dtype = a.device, a.dtype
        elif isinstance(a, torch.dtype):
            dtype = a
        elif isinstance(a, (str, torch.device)):
            device = torch.device(a)
    device = torch.device(kwargs["device"]) if kwargs.get("device") is not None else device
    dtype = kwargs.get("dtype") or dtype
    if (
        (device is None or device.type == self.device.type)
        and dtype in (None, self.dtype)
        and not kwargs.get("copy")
    ):
        return self
    return torch.ops.aten._to_copy.default(
        self, dtype=dtype or self.dtype, device=device or self.device
    )


def _cuda(self, device=None, non_blocking=False):
    return _to(self, "cuda")


class _Mode(TorchDispatchMode):
    """Routes every op, factory functions included, through `_run`."""

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        return _run(func, args, kwargs or {})


@contextmanager
def virtual_cuda():
    """Within the block torch sees one (virtual) GPU, see the module docstring."""
    torch._C._ensureCUDADeviceGuardSet()  # a no-op CUDA device guard where torch has no CUDA (as FakeTensorMode)
    lift_cpu_only = torch._C._only_lift_cpu_tensors()
    # torch.tensor(..., device="cuda"): made on the CPU, then moved
    torch._C._set_only_lift_cpu_tensors(True)
    try:
        with (
            mock.patch.object(torch.cuda, "is_available", return_value=True),
            mock.patch.object(torch.cuda, "device_count", return_value=1),
            mock.patch.object(torch.cuda, "synchronize", return_value=None),
            mock.patch.object(torch.cuda, "_lazy_init", return_value=None),
            mock.patch.object(torch.Tensor, "to", _to),
            mock.patch.object(torch.Tensor, "cuda", _cuda),
            torch.no_grad(),
            _Mode(),
        ):
            yield
    finally:
        torch._C._set_only_lift_cpu_tensors(lift_cpu_only)
