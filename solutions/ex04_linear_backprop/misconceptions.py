"""Known-wrong variants of ex04, each with the feedback it earns."""

import torch

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


dw_mean = Misconception(
    "averaged the weight gradient over the batch",
    "you divided dW by the batch size N. Every row of the batch uses the same W, so their contributions ADD UP: "
    "dW = grad_yᵀ x, a sum over n. (If the loss is a mean over the batch, its 1/N is already inside grad_y: "
    "dividing again counts it twice.)",
)


@dw_mean
def linear_backward(x, W, b, grad_y):
    dx, dW, db = ref.linear_backward(x, W, b, grad_y)
    return dx, dW / x.shape[0], db


db_wrong_axis = Misconception(
    "summed the bias gradient over the wrong axis",
    "grad_y.sum(dim=1) adds up each example's outputs, giving one number per example (N,). b has one entry per "
    "OUTPUT, so db adds up over the batch, the examples: grad_y.sum(dim=0), of shape (d_out,).",
)


@db_wrong_axis
def linear_backward(x, W, b, grad_y):
    dx, dW, _ = ref.linear_backward(x, W, b, grad_y)
    return dx, dW, grad_y.sum(dim=1)


transposed_in_place = Misconception(
    "transposed grad_y in place",
    "grad_y.t_() transposes the caller's own tensor: after your backward pass, whoever passed grad_y in holds a "
    "(d_out, N) tensor. grad_y.T (or grad_y.t()) gives a transposed view and leaves grad_y alone.",
)


@transposed_in_place
def linear_backward(x, W, b, grad_y):
    dx = grad_y @ W
    db = grad_y.sum(dim=0)
    dW = grad_y.t_() @ x
    return dx, dW, db


jacobian_layout = Misconception(
    "Jacobian in the wrong layout",
    "J must be indexed J[n, o, p, j] = ∂y[n, o] / ∂W[p, j]: the output's indices first (n, o), then W's (p, j), "
    "shape (N, d_out, d_out, d_in), the layout torch.autograd.functional.jacobian uses. Yours put W's column "
    "index j before its row index p.",
)


@jacobian_layout
def weight_jacobian(x, W):
    return ref.weight_jacobian(x, W).permute(0, 1, 3, 2).contiguous()


jacobian_of_w = Misconception(
    "Jacobian filled with W instead of x",
    "∂y[n, o]/∂W[o, j] is x[n, j]: y[n, o] = Σⱼ x[n, j] W[o, j], and what multiplies W[o, j] there is x[n, j]. "
    "W is what multiplies x, so it belongs in the Jacobian with respect to x, not this one.",
)


@jacobian_of_w
def weight_jacobian(x, W):
    d_out = W.shape[0]
    eye = torch.eye(d_out, dtype=x.dtype)
    return (eye[None, :, :, None] * W[None, :, None, :]).expand(x.shape[0], -1, -1, -1).clone()


jacobian_float64 = Misconception(
    "Jacobian built in float64",
    "you made the identity with dtype=torch.float64, so float32 inputs gave a float64 Jacobian (the product "
    "promotes to the wider type). Take the dtype from the inputs: torch.eye(d_out, dtype=x.dtype).",
)


@jacobian_float64
def weight_jacobian(x, W):
    eye = torch.eye(W.shape[0], dtype=torch.float64)
    return eye[None, :, :, None] * x[:, None, None, :]
