"""Primitive differentiable operations, one family per file (see ``autograd/op.py``)."""
