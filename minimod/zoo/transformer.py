"""A pre-norm transformer encoder block: self-attention and an MLP, each inside a residual connection."""

from __future__ import annotations

import math

import minimod as mm
import minimod.nn.functional as F
from minimod import nn


class MultiHeadSelfAttention(nn.Module):
    """Every position attends to every position: softmax(q kᵀ / √d_head) v, in num_heads heads.

    q, k and v are three Linear projections of the same input; each head works on its own slice of
    d_head = embed_dim / num_heads features, and out_proj mixes the heads' results back together.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.out_proj = nn.Linear(embed_dim, embed_dim)
        self.attn_dropout = nn.Dropout(dropout)

    def _split_heads(self, x: mm.Tensor) -> mm.Tensor:
        """(B, T, E) -> (B, heads, T, head_dim)."""
        batch, length, _ = x.shape
        return x.reshape(batch, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        batch, length, _ = x.shape
        q = self._split_heads(self.q_proj(x))
        k = self._split_heads(self.k_proj(x))
        v = self._split_heads(self.v_proj(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)  # (B, heads, T, T)
        weights = self.attn_dropout(F.softmax(scores, dim=-1))  # each row sums to 1
        context = weights @ v  # (B, heads, T, head_dim)
        context = context.transpose(1, 2).reshape(batch, length, self.embed_dim)
        return self.out_proj(context)


class TransformerBlock(nn.Module):
    """x + attn(ln1(x)), then x + mlp(ln2(x)): the pre-norm encoder block of GPT-2 and ViT.

    Not from a seed: a small example of attention built only from Linear, softmax and reshapes.
    Input and output are (batch, sequence length, embed_dim).
    """

    def __init__(self, embed_dim: int = 32, num_heads: int = 4, mlp_ratio: int = 4, dropout: float = 0.1):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed_dim)
        self.attn = MultiHeadSelfAttention(embed_dim, num_heads, dropout)
        self.ln2 = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(
            nn.Linear(embed_dim, mlp_ratio * embed_dim),
            nn.GELU(),
            nn.Linear(mlp_ratio * embed_dim, embed_dim),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        x = x + self.dropout(self.attn(self.ln1(x)))
        x = x + self.dropout(self.mlp(self.ln2(x)))
        return x
