# d2l.ai, Builders' Guide, 6.7 GPUs (d2l-en, chapter_builders-guide/use-gpu.md): the PyTorch cells that
# run without a GPU (the book skips the others when none is found); a displayed value is printed.

from d2l import torch as d2l
import torch
from torch import nn


def cpu():  #@save
    """Get the CPU device."""
    return torch.device('cpu')


def gpu(i=0):  #@save
    """Get a GPU device."""
    return torch.device(f'cuda:{i}')


print(cpu(), gpu(), gpu(1))


def num_gpus():  #@save
    """Get the number of available GPUs."""
    return torch.cuda.device_count()


print(num_gpus())


def try_gpu(i=0):  #@save
    """Return gpu(i) if exists, otherwise return cpu()."""
    if num_gpus() >= i + 1:
        return gpu(i)
    return cpu()


def try_all_gpus():  #@save
    """Return all available GPUs, or [cpu(),] if no GPU exists."""
    return [gpu(i) for i in range(num_gpus())]


print(try_gpu(), try_gpu(10), try_all_gpus())

# Tensors and GPUs
x = torch.tensor([1, 2, 3])
print(x.device)

X = torch.ones(2, 3, device=try_gpu())
print(X)

# Neural networks and GPUs
net = nn.Sequential(nn.LazyLinear(1))
net = net.to(device=try_gpu())

print(net[0].weight.data.device)
