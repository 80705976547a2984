"""Checks for ex04: the Jacobian and backprop of a linear layer.

Expected gradients come from torch.autograd and from central finite differences, computed here
in the grader; the learner's file may use neither.
"""

import numpy as np
import torch

from grader.checking import CheckFailure, expect, fail, points


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


# --- forward -------------------------------------------------------------------------

@points(2)
def test_forward_is_x_times_w_transposed_plus_b(submission, rng):
    N, d_in, d_out = sizes(rng)
    x, W, b, _ = layer(rng, N, d_in, d_out)
    expect(submission.linear_forward(x, W, b), f"linear_forward with W of shape ({d_out}, {d_in})").to_match(
        torch.nn.functional.linear(x, W, b)
    )


@points(1)
def test_forward_with_square_weights_uses_w_transposed(submission, rng):
    x, W, b, _ = layer(rng, 5, 4, 4)
    expect(submission.linear_forward(x, W, b), "linear_forward with a square (4, 4) W").to_match(
        torch.nn.functional.linear(x, W, b)
    )


@points(1)
def test_forward_of_a_single_example(submission, rng):
    x, W, b, _ = layer(rng, 1, 6, 2)
    expect(submission.linear_forward(x, W, b), "linear_forward for a batch of one").to_match(
        torch.nn.functional.linear(x, W, b)
    )


@points(1)
def test_forward_keeps_float32_as_float32(submission, rng):
    x, W, b, _ = layer(rng, 4, 3, 5, torch.float32)
    expect(submission.linear_forward(x, W, b), "linear_forward of float32 tensors").to_match(
        torch.nn.functional.linear(x, W, b)
    )


# --- backward ------------------------------------------------------------------------

@points(3)
def test_backward_matches_autograd(submission, rng):
    N, d_in, d_out = sizes(rng)
    x, W, b, grad_y = layer(rng, N, d_in, d_out)
    got = submission.linear_backward(x, W, b, grad_y)
    expect_gradients(got, autograd_gradients(x, W, b, grad_y), f"linear_backward (N={N}, d_in={d_in}, d_out={d_out})")


@points(2)
def test_backward_with_square_weights_matches_autograd(submission, rng):
    x, W, b, grad_y = layer(rng, 6, 4, 4)
    got = submission.linear_backward(x, W, b, grad_y)
    expect_gradients(got, autograd_gradients(x, W, b, grad_y), "linear_backward with a square (4, 4) W")


@points(1)
def test_bias_gradient_adds_up_over_the_batch(submission, rng):
    x, W, b, grad_y = layer(rng, 7, 3, 5)
    got = submission.linear_backward(x, W, b, grad_y)
    expect(got, "linear_backward").to_satisfy(
        isinstance(got, (tuple, list)) and len(got) == 3, "return the three gradients as a tuple (dx, dW, db)"
    )
    db = got[2]
    if torch.is_tensor(db) and db.shape == (5,) and torch.allclose(db.double(), grad_y.mean(dim=0), rtol=1e-5, atol=1e-7):
        fail(
            f"db: returned [{', '.join(f'{v:.4g}' for v in db.tolist())}], the MEAN of grad_y over the batch; expected "
            f"the sum [{', '.join(f'{v:.4g}' for v in grad_y.sum(dim=0).tolist())}]. b is added to all 7 rows, so each "
            "row's gradient reaches it and they add up",
            got,
        )
    expect(db, "db").to_match(grad_y.sum(dim=0))


@points(1)
def test_backward_for_a_single_example(submission, rng):
    x, W, b, grad_y = layer(rng, 1, 5, 3)
    got = submission.linear_backward(x, W, b, grad_y)
    expect_gradients(got, autograd_gradients(x, W, b, grad_y), "linear_backward for a batch of one")


@points(2)
def test_backward_agrees_with_finite_differences(submission, reference, rng):
    N, d_in, d_out = sizes(rng)
    x, W, b, grad_y = layer(rng, N, d_in, d_out)
    got = submission.linear_backward(x, W, b, grad_y)
    expect(got, "linear_backward").to_satisfy(
        isinstance(got, (tuple, list)) and len(got) == 3, "return the three gradients as a tuple (dx, dW, db)"
    )

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
    x, W, b, grad_y = layer(rng, 4, 6, 3, torch.float32)
    got = submission.linear_backward(x, W, b, grad_y)
    expect_gradients(got, autograd_gradients(x, W, b, grad_y), "linear_backward of float32 tensors")


@points(1)
def test_backward_leaves_its_inputs_unchanged(submission, rng):
    x, W, b, grad_y = layer(rng, 5, 3, 4)
    before = [t.clone() for t in (x, W, b, grad_y)]
    want = autograd_gradients(x, W, b, grad_y)
    got, after, _ = submission.inputs_after("linear_backward", x, W, b, grad_y)
    # The gradients first: leaving the inputs alone earns nothing if what comes back is wrong.
    expect_gradients(got, want, "linear_backward (the gradients; its inputs are checked after)")
    for name, old, new in zip(("x", "W", "b", "grad_y"), before, after):
        if tuple(new.shape) != tuple(old.shape) or not torch.equal(new, old):
            fail(
                f"linear_backward returned the right gradients, but changed its argument {name} (shape "
                f"{tuple(old.shape)} before, {tuple(new.shape)} after). A backward pass must not touch its inputs: "
                "the optimiser and other layers still need them. Use out-of-place operations (a + b, a.t()) rather "
                "than in-place ones (a += b, a.t_(), a.mul_())",
                got,
            )


# --- the Jacobian --------------------------------------------------------------------

@points(2)
def test_weight_jacobian_matches_autograd(submission, rng):
    N, d_in, d_out = sizes(rng)
    x, W, b, _ = layer(rng, N, d_in, d_out)
    want = torch.autograd.functional.jacobian(lambda W_: torch.nn.functional.linear(x, W_, b), W)
    expect(submission.weight_jacobian(x, W), f"weight_jacobian (N={N}, d_in={d_in}, d_out={d_out})").to_match(want)


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
    expect(J, "weight_jacobian").to_satisfy(
        torch.allclose(dW, want, rtol=tol, atol=tol),
        f"backprop is the Jacobian contracted with the upstream gradient: dW[p, j] = Σₙₒ grad_y[n, o] J[n, o, p, j]. "
        f"With your J this differs from autograd's dW by up to {worst:.3g}. Output o depends only on row o of W, "
        "so J[n, o, p, j] is x[n, j] when o = p and 0 otherwise",
    )


@points(1)
def test_weight_jacobian_keeps_float32_as_float32(submission, rng):
    x, W, b, _ = layer(rng, 2, 3, 2, torch.float32)
    want = torch.autograd.functional.jacobian(lambda W_: torch.nn.functional.linear(x, W_, b), W)
    expect(submission.weight_jacobian(x, W), "weight_jacobian of float32 tensors").to_match(want)
