"""Known-wrong variants of ex04, each with the feedback it earns."""

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)

no_bias = Misconception(
    "forgot the bias in the forward pass",
    "y = x Wᵀ + b: you returned x Wᵀ. The bias b (d_out,) broadcasts over the batch and is added to every row.",
)


@no_bias
def linear_forward(x, W, b):
    return x @ W.T


w_not_transposed = Misconception(
    "multiplied by W instead of Wᵀ",
    "W has shape (d_out, d_in) (PyTorch's nn.Linear layout), so a row x (d_in,) meets W's ROWS: y = x Wᵀ + b. "
    "With a square W, x @ W runs without an error and silently gives the wrong numbers.",
)


@w_not_transposed
def linear_forward(x, W, b):
    return x @ W + b


dw_transposed = Misconception(
    "dW transposed",
    "you computed xᵀ grad_y, which has shape (d_in, d_out): the transpose of dW. A gradient has the shape of its "
    "parameter, W (d_out, d_in), so dW = grad_yᵀ x.",
)


@dw_transposed
def linear_backward(x, W, b, grad_y):
    dx, _, db = ref.linear_backward(x, W, b, grad_y)
    return dx, x.T @ grad_y, db


db_mean = Misconception(
    "averaged the bias gradient over the batch",
    "b is added to every row of the batch, so every row's gradient reaches it: db = Σₙ grad_y[n], a sum, not a "
    "mean. (If the loss is a mean over the batch, the 1/N is already inside grad_y.)",
)


@db_mean
def linear_backward(x, W, b, grad_y):
    dx, dW, _ = ref.linear_backward(x, W, b, grad_y)
    return dx, dW, grad_y.mean(dim=0)


dx_with_w_transposed = Misconception(
    "dx used Wᵀ instead of W",
    "y = x Wᵀ, so ∂L/∂x = grad_y (Wᵀ)ᵀ = grad_y W, of shape (N, d_out)·(d_out, d_in) = (N, d_in). grad_y Wᵀ only "
    "runs when W is square, and then gives the wrong numbers.",
)


@dx_with_w_transposed
def linear_backward(x, W, b, grad_y):
    _, dW, db = ref.linear_backward(x, W, b, grad_y)
    return grad_y @ W.T, dW, db


jacobian_without_delta = Misconception(
    "Jacobian without the Kronecker delta",
    "you filled J[n, o, p, j] with x[n, j] for every o and p, but output o only uses row o of W: changing row p ≠ o "
    "leaves y[n, o] alone. J[n, o, p, j] = δₒₚ x[n, j]: multiply by torch.eye(d_out)[None, :, :, None].",
)


@jacobian_without_delta
def weight_jacobian(x, W):
    d_out = W.shape[0]
    return x[:, None, None, :].expand(x.shape[0], d_out, d_out, x.shape[1]).clone()
