"""The differentiable ops, one family per file; each op is a Function with forward and backward."""
