"""Linear-algebra ops beyond ``matmul``: ``einsum`` and vector norms.

``mm``, ``bmm``, ``mv``, ``dot``, ``outer`` and ``addmm`` are compositions of ``MatMul``, ``Mul`` and
``Add`` (``tensor.py``), so only operations with a gradient of their own live here.
"""

from __future__ import annotations

import string

import numpy as np

from chainrule.autograd.op import Op


def parse_einsum(equation: str, shapes) -> tuple[list[str], str]:
    """Explicit subscripts for ``equation``: one letter string per operand and the output's.

    ``...`` is replaced by fresh letters (broadcast from the right, as NumPy and PyTorch do) and an
    implicit output (no ``->``) becomes the letters that occur once, in alphabetical order.
    Raises RuntimeError naming the problem, as ``torch.einsum`` does.
    """
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): {len(terms)} operands in the equation {equation!r} but {len(shapes)} given")
    used = set(c for c in eq if c.isalpha())
    free = [c for c in string.ascii_letters if c not in used]
    ell_nd = 0
    for t, shape in zip(terms, shapes):
        if "..." in t:
            ell_nd = max(ell_nd, len(shape) - (len(t) - 3))
    ell = "".join(free[:ell_nd])
    out_terms = []
    for t, shape in zip(terms, shapes):
        if "..." in t:
            n = len(shape) - (len(t) - 3)
            if n < 0:
                raise RuntimeError(f"einsum(): the operand with subscripts {t!r} has too few dimensions ({len(shape)})")
            t = t.replace("...", ell[ell_nd - n:])
        if len(t) != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(t)}) does not match the number "
                f"of dimensions ({len(shape)}) for operand {len(out_terms)}"
            )
        if not all(c.isalpha() for c in t):
            raise RuntimeError(f"einsum(): invalid subscript in {equation!r}; subscripts must be letters")
        out_terms.append(t)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(out_terms)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    sizes = {}
    for t, shape in zip(out_terms, shapes):
        for c, n in zip(t, shape):
            if sizes.get(c, n) != n and 1 not in (sizes[c], n):
                raise RuntimeError(
                    f"einsum(): operands do not broadcast with remapped shapes: subscript {c!r} has size "
                    f"{sizes[c]} and {n}"
                )
            sizes[c] = max(sizes.get(c, n), n)
    return out_terms, out


class Einsum(Op):
    """``einsum(equation, *operands)``; the gradient of each operand is another einsum.

    For operand k: contract the output gradient with every other operand onto k's subscripts. Letters
    that appear only in k (summed away) are brought back with a ones vector; a repeated letter (a
    diagonal, as in ``"ii->i"``) gets an identity matrix, so the gradient lands on the diagonal.
    """

    def forward(ctx, *operands, terms, out):
        ctx.operands, ctx.terms, ctx.out = operands, terms, out
        return np.einsum(",".join(terms) + "->" + out, *operands)

    def backward(ctx, grad):
        operands, terms = ctx.operands, ctx.terms
        grads = []
        for k, (x, t) in enumerate(zip(operands, terms)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            subs, args = [ctx.out], [grad]
            for j, (y, s) in enumerate(zip(operands, terms)):
                if j != k:
                    subs.append(s)
                    args.append(y)
            present = set("".join(subs))
            fresh = iter(c for c in string.ascii_letters if c not in present and c not in t)
            target = ""
            for i, c in enumerate(t):
                if c in target:  # a repeated letter: a diagonal of x
                    d = next(fresh)
                    subs.append(c + d)
                    args.append(np.eye(x.shape[i], dtype=x.dtype))
                    target += d
                    continue
                if c not in present:  # summed only inside x
                    subs.append(c)
                    args.append(np.ones(x.shape[i], dtype=x.dtype))
                    present.add(c)
                target += c
            g = np.einsum(",".join(subs) + "->" + target, *args)
            grads.append(np.broadcast_to(g, x.shape) if g.shape != x.shape else g)
        return tuple(grads)


class VectorNorm(Op):
    """``(sum |x|^p)^(1/p)`` over ``axes``; also p = inf, -inf (max / min of |x|) and 0 (count of non-zeros).

    NOTE: at x == 0 the 2-norm's gradient is 0 (a subgradient), as in PyTorch.
    """

    def forward(ctx, x, ord, axes, keepdim):
        ctx.x, ctx.ord, ctx.axes = x, ord, axes
        a = np.abs(x)
        if ord == 2:
            out = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
        elif ord == np.inf:
            out = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros([1] * a.ndim, x.dtype)
        elif ord == -np.inf:
            out = np.min(a, axis=axes, keepdims=True)
        elif ord == 0:
            out = np.sum(a != 0, axis=axes, keepdims=True).astype(x.dtype)
        elif ord == 1:
            out = np.sum(a, axis=axes, keepdims=True)
        else:
            out = np.sum(a**ord, axis=axes, keepdims=True) ** (1.0 / ord)
        ctx.norm = out
        return out if keepdim else np.squeeze(out, axis=axes if axes is not None else None)

    def backward(ctx, grad):
        x, p, norm = ctx.x, ctx.ord, ctx.norm
        g = grad.reshape(norm.shape)  # restore the reduced axes
        if p == 0:
            return np.zeros_like(x)
        if p == 1:
            return g * np.sign(x)
        if p in (np.inf, -np.inf):
            hit = np.abs(x) == norm
            return g * np.sign(x) * hit / np.sum(hit, axis=ctx.axes, keepdims=True)  # ties share, as torch
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                scale = np.where(norm == 0, 0, g / norm)
                return scale * x
            scale = np.where(norm == 0, 0, g / norm ** (p - 1))
            term = np.abs(x) ** (p - 1)
            if p < 1:  # |x|^(p-1) is infinite at 0: PyTorch gives those coordinates 0
                term = np.where(x == 0, 0, term)
            return scale * np.sign(x) * term


class SvdNorm(Op):
    """Norms from the singular values of the last two axes: nuclear (sum), 2 (largest), -2 (smallest).

    d(sum s)/dA = U Vh; d(s_i)/dA = u_i v_i^T.
    """

    def forward(ctx, a, ord):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.u, ctx.vh, ctx.ord = u, vh, ord
        if ord == "nuc":
            return s.sum(axis=-1)
        ctx.i = np.argmax(s, axis=-1) if ord == 2 else np.argmin(s, axis=-1)
        return np.take_along_axis(s, ctx.i[..., None], axis=-1)[..., 0]

    def backward(ctx, grad):
        u, vh = ctx.u, ctx.vh
        g = np.asarray(grad)[..., None, None]
        if ctx.ord == "nuc":
            return g * (u @ vh)
        i = ctx.i[..., None]
        ui = np.take_along_axis(u, i[..., None, :], axis=-1)  # (..., m, 1)
        vi = np.take_along_axis(vh, i[..., :, None], axis=-2)  # (..., 1, n)
        return g * (ui @ vi)


class Inv(Op):
    """A^-1 (batched); d(A^-1) = -A^-1 dA A^-1, so dL/dA = -A^-T g A^-T."""

    def forward(ctx, a):
        ctx.inv = np.linalg.inv(a)
        return ctx.inv

    def backward(ctx, grad):
        inv_t = np.swapaxes(ctx.inv, -1, -2)
        return -inv_t @ grad @ inv_t


class Det(Op):
    """det(A) (batched); d det(A) / dA = det(A) A^-T (Jacobi's formula)."""

    def forward(ctx, a):
        ctx.a = a
        ctx.det = np.linalg.det(a)
        return ctx.det

    def backward(ctx, grad):
        inv_t = np.swapaxes(np.linalg.inv(ctx.a), -1, -2)
        return (np.asarray(grad) * ctx.det)[..., None, None] * inv_t


class Solve(Op):
    """X with A X = B (batched); dB = A^-T g, dA = -dB X^T."""

    def forward(ctx, a, b):
        vector = b.ndim == a.ndim - 1
        x = np.linalg.solve(a, b[..., None] if vector else b)
        ctx.a, ctx.x, ctx.vector = a, x, vector
        return x[..., 0] if vector else x

    def backward(ctx, grad):
        g = grad[..., None] if ctx.vector else grad
        gb = np.linalg.solve(np.swapaxes(ctx.a, -1, -2), g)
        ga = -gb @ np.swapaxes(ctx.x, -1, -2) if ctx.needs_input_grad[0] else None
        return ga, (gb[..., 0] if ctx.vector else gb)
