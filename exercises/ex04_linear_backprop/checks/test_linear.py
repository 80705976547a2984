"""Checks for ex04: the Jacobian and backprop of a linear layer.

Expected gradients come from torch.autograd and from central finite differences, computed here
in the grader; the learner's file may use neither.
"""

import numpy as np
import torch

from grader.checking import CheckFailure, advice, as_numpy, expect, fail, points, stage


def tensor(rng, shape, dtype=torch.float64, offset=True):
    """Standard-normal entries plus a shared offset, so sums and means over the batch differ clearly."""
    a = rng.standard_normal(shape) + (rng.uniform(-1.5, 1.5) if offset else 0.0)
    return torch.from_numpy(a).to(dtype)


def layer(rng, N, d_in, d_out, dtype=torch.float64):
    """x, W, b and an upstream gradient grad_y, none of them degenerate."""
    x = tensor(rng, (N, d_in), dtype)
    W = (tensor(rng, (d_out, d_in), dtype, offset=False) / np.sqrt(d_in)).to(dtype)
    b = tensor(rng, (d_out,), dtype)
    grad_y = tensor(rng, (N, d_out), dtype)
    return x, W, b, grad_y


def autograd_gradients(x, W, b, grad_y):
    """(dx, dW, db) of L = Σ grad_y ⊙ (x Wᵀ + b), by torch.autograd (trusted, in the grader)."""
    xs, Ws, bs = (t.detach().clone().requires_grad_(True) for t in (x, W, b))
    y = torch.nn.functional.linear(xs, Ws, bs)
    y.backward(grad_y)
    return xs.grad.detach(), Ws.grad.detach(), bs.grad.detach()


def expect_gradients(got, want, what):
    """Compare (dx, dW, db) one by one, and say every one that is off, not only the first."""
    expect(got, what).to_satisfy(
        isinstance(got, (tuple, list)) and len(got) == 3, "return the three gradients as a tuple (dx, dW, db)"
    )
    problems = []
    for name, g, w in zip(("dx", "dW", "db"), got, want):
        try:
            expect(g, f"{name} from {what}").to_match(w)
        except CheckFailure as exc:
            lines = str(exc).split("\n")
            start = next((i for i, line in enumerate(lines) if line.startswith(f"{name} from")), 0)
            problems.append("\n".join(lines[start:]))
    if problems:
        right = [n for n, g, w in zip(("dx", "dW", "db"), got, want) if not any(p.startswith(f"{n} from") for p in problems)]
        tail = f"\n({', '.join(right)} {'is' if len(right) == 1 else 'are'} right.)" if right else ""
        fail("\n".join(problems) + tail, got)


def sizes(rng):
    """N, d_in, d_out all different, so that a transposed result has the wrong shape."""
    N, d_in, d_out = (int(v) for v in rng.choice(np.arange(3, 9), size=3, replace=False))
    return N, d_in, d_out


def square_sizes(rng):
    """N different from d_in = d_out: W is square, so a product with W or Wᵀ runs either way."""
    N, d = (int(v) for v in rng.choice(np.arange(3, 9), size=2, replace=False))
    return N, d, d


def gradients_triple(got):
    expect(got, "linear_backward").to_satisfy(
        isinstance(got, (tuple, list)) and len(got) == 3, "return the three gradients as a tuple (dx, dW, db)"
    )
    return got


def _close(a, b, rtol=1e-6, atol=1e-9):
    """Whether a learner's tensor equals b: False rather than an error for anything else."""
    try:
        return tuple(a.shape) == tuple(b.shape) and bool(torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol))
    except (AttributeError, TypeError, RuntimeError):
        return False


def expect_same_numbers(got, wide, shapes, what):
    """got holds wide's numbers (the learner's own answer for the same inputs, in float64 or before the call) to
    float32 precision, with the contract's shapes, and is not a constant."""
    parts_got = got if isinstance(got, (tuple, list)) else (got,)
    parts_wide = wide if isinstance(wide, (tuple, list)) else (wide,)
    expect(got, what).to_satisfy(
        len(parts_got) == len(shapes) == len(parts_wide) and all(torch.is_tensor(g) for g in (*parts_got, *parts_wide)),
        f"expected {'a tensor' if len(shapes) == 1 else f'a tuple of {len(shapes)} tensors'} of shape "
        f"{', '.join(str(tuple(s)) for s in shapes)}",
    )
    for g, w, shape in zip(parts_got, parts_wide, shapes):
        expect(g, what).to_have_shape(tuple(shape))
        expect(w, what).to_have_shape(tuple(shape))
        expect(g, what).to_be_finite()
        gv, wv = as_numpy(g).astype(np.float64), as_numpy(w).astype(np.float64)
        worst = float(np.max(np.abs(gv - wv))) if gv.size else 0.0
        expect(g, what).to_satisfy(
            worst <= 1e-4 * max(1.0, float(np.max(np.abs(wv)))),
            f"it differs from your float64 answer for the same numbers by up to {worst:.3g}: float32 should change "
            "only the last digits",
        )
    expect(got, what).to_satisfy(
        any(g.numel() > 1 and float(g.double().max() - g.double().min()) > 0 for g in parts_got),
        "every entry is the same number, but these inputs are not: the result must depend on them",
    )


def expect_float32(got, what):
    parts = got if isinstance(got, (tuple, list)) else (got,)
    wrong = [str(g.dtype).removeprefix("torch.") for g in parts if torch.is_tensor(g) and g.dtype != torch.float32]
    if wrong:
        fail(f"{what}: returned {', '.join(wrong)} for float32 inputs; expected float32 (every result keeps x's dtype)", got)


# --- forward -------------------------------------------------------------------------

@points(2)
def test_forward_is_x_times_w_transposed_plus_b(submission, rng):
    N, d_in, d_out = sizes(rng)
    x, W, b, _ = layer(rng, N, d_in, d_out)
    expect(submission.linear_forward(x, W, b), f"linear_forward with W of shape ({d_out}, {d_in})", advice=advice(
        "that is x Wᵀ without b: the bias (d_out,) is added to every row", when=lambda y: _close(y, x @ W.T),
    )).to_match(torch.nn.functional.linear(x, W, b))


@points(1)
def test_forward_with_square_weights_uses_w_transposed(submission, rng):
    x, W, b, _ = layer(rng, 5, 4, 4)
    expect(submission.linear_forward(x, W, b), "linear_forward with a square (4, 4) W", advice=advice(
        "that is x W + b: W is (d_out, d_in), nn.Linear's layout, so y = x Wᵀ + b (with a square W, x @ W runs "
        "without an error)", when=lambda y: _close(y, x @ W + b),
    )).to_match(torch.nn.functional.linear(x, W, b))


@points(1)
def test_forward_of_a_single_example(submission, rng):
    x, W, b, _ = layer(rng, 1, 6, 2)
    expect(submission.linear_forward(x, W, b), "linear_forward for a batch of one").to_match(
        torch.nn.functional.linear(x, W, b)
    )


@points(1)
def test_forward_keeps_float32_as_float32(submission, rng):
    # The dtype is under test: the values are only checked to be your own float64 answer for the same numbers.
    x, W, b, _ = layer(rng, 4, 3, 5, torch.float32)
    got = submission.linear_forward(x, W, b)
    wide = submission.linear_forward(x.double(), W.double(), b.double())
    with stage("its values, against your float64 answer for the same numbers"):
        expect_same_numbers(got, wide, [(4, 5)], "linear_forward of float32 tensors")
    expect_float32(got, "linear_forward of float32 tensors")


# --- backward, one gradient at a time ----------------------------------------------------

@points(2)
def test_backward_dx_matches_autograd(submission, rng):
    N, d_in, d_out = sizes(rng)
    x, W, b, grad_y = layer(rng, N, d_in, d_out)
    got = gradients_triple(submission.linear_backward(x, W, b, grad_y))
    want = autograd_gradients(x, W, b, grad_y)[0]
    expect(got[0], f"dx from linear_backward (N={N}, d_in={d_in}, d_out={d_out})").to_match(want)


@points(2)
def test_backward_dw_matches_autograd(submission, rng):
    N, d_in, d_out = square_sizes(rng)
    x, W, b, grad_y = layer(rng, N, d_in, d_out)
    got = gradients_triple(submission.linear_backward(x, W, b, grad_y))
    want = autograd_gradients(x, W, b, grad_y)[1]
    expect(got[1], f"dW from linear_backward (N={N}, W of shape ({d_out}, {d_in}))", advice=[
        advice("that is (grad_yᵀ x)ᵀ = xᵀ grad_y, the transpose of dW: a gradient has the shape and layout of its "
               "parameter, W (d_out, d_in), so dW = grad_yᵀ x", when=lambda g: _close(g, want.T)),
        advice(f"that is dW divided by N = {N}: the batch's contributions add up (if the loss is a mean, its 1/N is "
               "already inside grad_y)", when=lambda g: _close(g, want / N)),
    ]).to_match(want)


@points(1)
def test_bias_gradient_adds_up_over_the_batch(submission, rng):
    N, d_in, d_out = square_sizes(rng)
    x, W, b, grad_y = layer(rng, N, d_in, d_out)
    got = gradients_triple(submission.linear_backward(x, W, b, grad_y))
    expect(got[2], "db from linear_backward", advice=advice(
        f"that is the MEAN of grad_y over the batch; b is added to all {N} rows, so each row's gradient reaches it "
        "and they add up: db = grad_y.sum(dim=0)", when=lambda g: _close(g, grad_y.mean(dim=0)),
    )).to_match(grad_y.sum(dim=0))


@points(1)
def test_backward_dx_with_square_weights_uses_w(submission, rng):
    x, W, b, grad_y = layer(rng, 6, 4, 4)
    got = gradients_triple(submission.linear_backward(x, W, b, grad_y))
    want = autograd_gradients(x, W, b, grad_y)[0]
    expect(got[0], "dx from linear_backward with a square (4, 4) W", advice=advice(
        "that is grad_y Wᵀ: y = x Wᵀ, so dx = grad_y W (with a square W, both products run)",
        when=lambda g: _close(g, grad_y @ W.T),
    )).to_match(want)


@points(1)
def test_backward_dw_with_a_tall_batch(submission, rng):
    x, W, b, grad_y = layer(rng, 9, 5, 3)
    got = gradients_triple(submission.linear_backward(x, W, b, grad_y))
    expect(got[1], "dW from linear_backward, W of shape (3, 5), N = 9").to_match(autograd_gradients(x, W, b, grad_y)[1])


@points(1)
def test_backward_for_a_single_example(submission, rng):
    x, W, b, grad_y = layer(rng, 1, 5, 3)
    got = submission.linear_backward(x, W, b, grad_y)
    expect_gradients(got, autograd_gradients(x, W, b, grad_y), "linear_backward for a batch of one")


@points(1)
def test_backward_agrees_with_finite_differences(submission, reference, rng):
    N, d_in, d_out = sizes(rng)
    x, W, b, grad_y = layer(rng, N, d_in, d_out)
    got = gradients_triple(submission.linear_backward(x, W, b, grad_y))

    def loss(x_, W_, b_):
        return float((grad_y * (x_ @ W_.T + b_)).sum())

    eps = 1e-6
    params = [x, W, b]
    for which, name in enumerate(("dx", "dW", "db")):
        base = params[which]
        numeric = torch.zeros_like(base)
        flat = numeric.view(-1)
        for i in range(base.numel()):
            plus, minus = base.clone(), base.clone()
            plus.view(-1)[i] += eps
            minus.view(-1)[i] -= eps
            args_plus = [plus if k == which else p for k, p in enumerate(params)]
            args_minus = [minus if k == which else p for k, p in enumerate(params)]
            flat[i] = (loss(*args_plus) - loss(*args_minus)) / (2 * eps)
        g = got[which]
        expect(g, name).to_have_shape(tuple(base.shape))
        worst = float((torch.as_tensor(g, dtype=torch.float64) - numeric).abs().max())
        scale = float(numeric.abs().max())
        expect(g, name).to_satisfy(
            worst <= 1e-6 * scale + 1e-8,
            f"nudging each entry of {name[1:]} by ±{eps:g} and watching L = Σ grad_y ⊙ y change gives the "
            f"gradient numerically; yours differs from it by up to {worst:.3g}. {name} must have the shape of "
            f"{name[1:]} and say how L changes when each entry of {name[1:]} moves",
        )


@points(1)
def test_backward_keeps_float32_as_float32(submission, rng):
    # The dtype is under test: the values are only checked to be your own float64 answer for the same numbers
    # (a square W, so that a transposed gradient still has the right shape: the other checks catch it).
    args = layer(rng, 5, 3, 3, torch.float32)
    got = submission.linear_backward(*args)
    wide = submission.linear_backward(*(t.double() for t in args))
    with stage("its values, against your float64 answer for the same numbers"):
        expect_same_numbers(got, wide, [t.shape for t in args[:3]], "linear_backward of float32 tensors")
    expect_float32(got, "linear_backward of float32 tensors")


@points(1)
def test_backward_leaves_its_inputs_unchanged(submission, rng):
    # The inputs are under test: the gradients are only checked to be what your code gives for a fresh copy of
    # the same inputs, and not a constant (the other checks judge their values; W is square, so that a
    # transposed gradient still has the right shape).
    x, W, b, grad_y = layer(rng, 5, 4, 4)
    before = [t.clone() for t in (x, W, b, grad_y)]
    got, after, _ = submission.inputs_after("linear_backward", x, W, b, grad_y)
    again = submission.linear_backward(*(t.clone() for t in before))
    with stage("the gradients, against your own for a fresh copy of the inputs"):
        expect_same_numbers(got, again, [t.shape for t in before[:3]], "linear_backward")
    for name, old, new in zip(("x", "W", "b", "grad_y"), before, after):
        reshaped = tuple(new.shape) != tuple(old.shape)
        if reshaped or not torch.equal(new, old):
            fail(
                f"linear_backward changed its argument {name} (shape {tuple(old.shape)} before, {tuple(new.shape)} "
                f"after{'' if reshaped else ', different values'}). A backward pass must not touch its inputs: the "
                "optimiser and other layers still need them",
                got,
                advice=[
                    advice(f"{name} changed shape: an in-place method such as {name}.t_() or {name}.transpose_() "
                           f"reshapes the caller's tensor; {name}.T or {name}.t() give a new view", when=reshaped),
                    advice(f"{name}'s entries changed: an in-place operation ({name} += ..., {name}.mul_(...)) wrote "
                           "into the caller's tensor; compute into a new one", when=not reshaped),
                ],
            )


# --- the Jacobian --------------------------------------------------------------------

def jacobian_advice(x, W):
    """Causes a Jacobian shows by its values: W where x belongs, entries off the o = p diagonal, a permuted layout."""
    N, d_in, d_out = x.shape[0], x.shape[1], W.shape[0]
    eye = torch.eye(d_out, dtype=torch.float64)

    def off_diagonal(J):
        Jd = torch.as_tensor(J).double()
        return tuple(Jd.shape) == (N, d_out, d_out, d_in) and bool((Jd * (1 - eye)[None, :, :, None]).abs().max() > 0)

    return [
        advice("J[n, o, p, j] is not 0 where o ≠ p: output o uses row o of W only, so ∂y[n, o]/∂W[p, j] = 0 for p ≠ o "
               "(a Kronecker delta δₒₚ)", when=off_diagonal),
        advice("J holds W's entries where x's belong: ∂y[n, o]/∂W[o, j] = x[n, j] (it is ∂y/∂x that is W)",
               when=lambda J: _close(J, (eye[None, :, :, None] * W.double()[None, :, None, :]).expand(N, -1, -1, -1))),
        advice(f"J has the right axes in another order: the layout is J[n, o, p, j], the output's indices (n, o) then "
               f"W's (p, j), shape ({N}, {d_out}, {d_out}, {d_in})",
               when=lambda J: tuple(J.shape) != (N, d_out, d_out, d_in)
               and sorted(J.shape) == sorted((N, d_out, d_out, d_in))),
    ]


@points(2)
def test_weight_jacobian_matches_autograd(submission, rng):
    N, d_in, d_out = sizes(rng)
    x, W, b, _ = layer(rng, N, d_in, d_out)
    want = torch.autograd.functional.jacobian(lambda W_: torch.nn.functional.linear(x, W_, b), W)
    expect(submission.weight_jacobian(x, W), f"weight_jacobian (N={N}, d_in={d_in}, d_out={d_out})",
           advice=jacobian_advice(x, W)).to_match(want)


@points(1)
def test_jacobian_contracted_with_grad_y_gives_dw(submission, rng):
    x, W, b, grad_y = layer(rng, 4, 3, 5)
    J = submission.weight_jacobian(x, W)
    expect(J, "weight_jacobian").to_have_shape((4, 5, 5, 3))
    dW = torch.einsum("no,nopj->pj", grad_y, torch.as_tensor(J, dtype=torch.float64))
    want = autograd_gradients(x, W, b, grad_y)[1]
    worst = float((dW - want).abs().max())
    # The structure is under test here, not the dtype (other checks test that): float32 J gets float32's tolerance.
    tol = 1e-5 if J.dtype in (torch.float32, torch.float16, torch.bfloat16) else 1e-9
    expect(J, "weight_jacobian", advice=jacobian_advice(x, W)).to_satisfy(
        torch.allclose(dW, want, rtol=tol, atol=tol),
        f"backprop is the Jacobian contracted with the upstream gradient: dW[p, j] = Σₙₒ grad_y[n, o] J[n, o, p, j]. "
        f"With your J this differs from autograd's dW by up to {worst:.3g}",
    )


@points(1)
def test_weight_jacobian_keeps_float32_as_float32(submission, rng):
    # The dtype is under test: the values are only checked to be your own float64 answer for the same numbers.
    x, W, b, _ = layer(rng, 2, 3, 2, torch.float32)
    got = submission.weight_jacobian(x, W)
    wide = submission.weight_jacobian(x.double(), W.double())
    with stage("its values, against your float64 answer for the same numbers"):
        expect_same_numbers(got, wide, [(2, 2, 2, 3)], "weight_jacobian of float32 tensors")
    expect_float32(got, "weight_jacobian of float32 tensors")
