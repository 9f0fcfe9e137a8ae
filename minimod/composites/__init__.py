"""Tensor-level ops that torch records as several autograd nodes, built here from minimod/functions/.

A Function (minimod/functions/) is one node: forward and backward on ndarrays. Some of torch's ops are
no single node: reshape is a view or a copy and a view, matmul is one of seven products with views
around, linear is addmm or mm and an add. Each lives here as a plain function on Tensors that applies
those Functions in torch's order, so a grad_fn graph (the inspector's autograd view) shows torch's
exact nodes; op observers (the flow view) still see the one op. Tensor methods (tensor_math.py) and
nn.functional call them.
"""
