"""Independent correct solutions, written for bench/similarity.py without looking at the references' code.

Each is what another learner might hand in for the same exercise: the same functions, other
choices (library calls, loops, order of steps). exercise folder -> list of modules.
"""

from __future__ import annotations

ALTERNATIVES: dict[str, list[str]] = {
    "ex02_norms": [
        '''
import math
import numpy as np


def vector_norm(x, p):
    a = np.abs(np.asarray(x, dtype=float))
    if p == 1:
        return float(a.sum())
    if p == math.inf:
        return float(a.max()) if a.size else 0.0
    if p == 2:
        m = a.max() if a.size else 0.0
        if m == 0:
            return 0.0
        return float(m * math.sqrt(float(((a / m) ** 2).sum())))
    raise ValueError("unsupported p")


def frobenius_norm(A):
    return vector_norm(np.ravel(A), 2)


def normalize_rows(X, eps=1e-12):
    lengths = np.array([vector_norm(row, 2) for row in X], dtype=X.dtype)
    return X / np.maximum(lengths, eps)[:, None]


def concentration_ratio(X):
    dists = []
    for i in range(len(X)):
        for j in range(i + 1, len(X)):
            dists.append(np.linalg.norm(X[i] - X[j]))
    return max(dists) / min(dists)


def concentration_curve(dims, n_points, seed):
    gen = np.random.default_rng(seed)
    out = np.empty(len(dims))
    for t, d in enumerate(dims):
        out[t] = concentration_ratio(gen.standard_normal((n_points, d)))
    return out
''',
    ],
    "ex03_matmul": [
        '''
import numpy as np


def matmul_shape(shape_a, shape_b):
    if len(shape_a) < 2 or len(shape_b) < 2:
        raise ValueError("need matrices")
    if shape_a[-1] != shape_b[-2]:
        raise ValueError("inner dimensions differ")
    batch = np.broadcast_shapes(tuple(shape_a[:-2]), tuple(shape_b[:-2]))
    return tuple(batch) + (shape_a[-2], shape_b[-1])


def matmul(A, B):
    out_shape = matmul_shape(A.shape, B.shape)
    A2 = np.broadcast_to(A, out_shape[:-2] + A.shape[-2:])
    B2 = np.broadcast_to(B, out_shape[:-2] + B.shape[-2:])
    return (A2[..., :, :, None] * B2[..., None, :, :]).sum(axis=-2)


def gemm_flops(M, N, K):
    return 2 * M * N * K


def arithmetic_intensity(M, N, K, bytes_per_element):
    total_bytes = bytes_per_element * (M * K + K * N + M * N)
    return gemm_flops(M, N, K) / total_bytes


def collapse_linear_layers(weights, biases):
    W_total = np.eye(weights[0].shape[1])
    b_total = np.zeros(weights[0].shape[1])
    for W, b in zip(weights, biases):
        W_total = W @ W_total
        b_total = W @ b_total + b
    return W_total, b_total
''',
    ],
    "ex04_linear_backprop": [
        '''
import torch


def linear_forward(x, W, b):
    return torch.matmul(x, W.transpose(0, 1)) + b


def linear_backward(x, W, b, grad_y):
    grad_x = torch.matmul(grad_y, W)
    grad_W = torch.einsum("no,ni->oi", grad_y, x)
    grad_b = torch.sum(grad_y, 0)
    return grad_x, grad_W, grad_b


def weight_jacobian(x, W):
    N, d_in = x.shape
    d_out = W.shape[0]
    J = torch.zeros(N, d_out, d_out, d_in, dtype=x.dtype)
    for o in range(d_out):
        J[:, o, o, :] = x
    return J
''',
    ],
    "ex05_power_iteration": [
        '''
import numpy as np


def rayleigh_quotient(A, v):
    return float(np.dot(v, np.dot(A, v)) / np.dot(v, v))


def power_iteration(A, tol=1e-10, max_iter=10000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(A.shape[0])
    x = x / np.linalg.norm(x)
    limit = tol * np.sqrt((A * A).sum())
    for it in range(1, max_iter + 1):
        y = A.dot(x)
        mu = float(x.dot(y))
        residual = np.linalg.norm(y - mu * x)
        if residual <= limit:
            return mu, x, it
        x = y / np.linalg.norm(y)
    return mu, x, max_iter


def spectral_radius(A):
    value, _, _ = power_iteration(A)
    return abs(value)


def second_eigenpair(A, tol=1e-10, max_iter=10000, seed=0):
    first, u, _ = power_iteration(A, tol=tol, max_iter=max_iter, seed=seed)
    B = A - first * u[:, None] * u[None, :]
    second, w, _ = power_iteration(B, tol=tol, max_iter=max_iter, seed=seed)
    return second, w
''',
    ],
    "ex06_truncated_svd": [
        '''
import numpy as np


def truncated_svd(X, k):
    left, sigma, right = np.linalg.svd(X)
    return left[:, :k], sigma[:k], right[:k, :]


def low_rank_approx(X, k):
    Uk, Sk, Vk = truncated_svd(X, k)
    approx = Uk @ np.diag(Sk) @ Vk
    all_s = np.linalg.svd(X, compute_uv=False)
    return approx, float(np.sum(Sk ** 2) / np.sum(all_s ** 2))


def randomized_svd(X, k, oversample=10, n_iter=4, seed=0):
    generator = np.random.default_rng(seed)
    p = min(k + oversample, *X.shape)
    Y = X @ generator.normal(size=(X.shape[1], p))
    for _ in range(n_iter):
        Y = X @ (X.T @ Y)
        Y, _ = np.linalg.qr(Y)
    Q, _ = np.linalg.qr(Y)
    small = Q.T @ X
    u, s, vt = np.linalg.svd(small, full_matrices=False)
    return Q @ u[:, :k], s[:k], vt[:k, :]
''',
    ],
    "ex07_pca": [
        '''
import numpy as np


def fit_pca(X, k):
    mu = np.mean(X, axis=0)
    C = np.cov(X - mu, rowvar=False)
    vals, vecs = np.linalg.eigh(C)
    order = np.argsort(vals)[::-1][:k]
    return mu, vecs[:, order].T, vals[order]


def transform(X, mean, components):
    return np.dot(X - mean, components.T)


def inverse_transform(Z, mean, components):
    return np.dot(Z, components) + mean


def explained_variance_ratio(X):
    centred = X - X.mean(0)
    sv = np.linalg.svd(centred, compute_uv=False)
    var = sv * sv
    return var / np.sum(var)


def choose_k(X, threshold=0.95):
    total = 0.0
    for i, r in enumerate(explained_variance_ratio(X)):
        total += r
        if total >= threshold - 1e-12:
            return i + 1
    return len(explained_variance_ratio(X))
''',
    ],
    "ex08_lora": [
        '''
import torch


def lora_forward(x, W, A, B, alpha, r):
    scale = alpha / r
    base = torch.nn.functional.linear(x, W)
    update = torch.nn.functional.linear(torch.nn.functional.linear(x, A), B)
    return base + scale * update


def merge_lora(W, A, B, alpha, r):
    merged = W.clone()
    merged += torch.matmul(B, A) * (alpha / r)
    return merged


def lora_parameter_count(d_out, d_in, r):
    trainable = r * d_in + d_out * r
    frozen = d_in * d_out
    return trainable, frozen


def best_rank_r_update(delta_W, r):
    u, s, v = torch.svd(delta_W)
    root = torch.sqrt(s[:r])
    return u[:, :r] * root, root[:, None] * v[:, :r].T
''',
    ],
    "ex11_pagerank": [
        '''
import numpy as np


def pagerank(src, dst, n, damping=0.85, tol=1e-10, max_iter=1000):
    outdeg = np.zeros(n)
    np.add.at(outdeg, src, 1)
    r = np.ones(n) / n
    for step in range(1, max_iter + 1):
        incoming = np.zeros(n)
        np.add.at(incoming, dst, r[src] / outdeg[src])
        lost = r[outdeg == 0].sum()
        r_next = (1 - damping) / n + damping * (incoming + lost / n)
        delta = np.sum(np.abs(r_next - r))
        r = r_next
        if delta < tol:
            return r, step
    return r, max_iter
''',
    ],
    "ex13_least_squares": [
        '''
import numpy as np


def condition_number(A):
    sigma = np.linalg.svd(A, compute_uv=False)
    return float(sigma.max() / sigma.min())


def lstsq_normal(A, b):
    G = A.T.dot(A)
    L = np.linalg.cholesky(G)
    y = np.linalg.solve(L, A.T.dot(b))
    return np.linalg.solve(L.T, y)


def lstsq_qr(A, b):
    Q, R = np.linalg.qr(A, mode="reduced")
    rhs = Q.T.dot(b)
    n = R.shape[0]
    x = np.zeros(n)
    for i in reversed(range(n)):
        x[i] = (rhs[i] - R[i, i + 1:].dot(x[i + 1:])) / R[i, i]
    return x


def lstsq_svd(A, b, rcond=1e-12):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    inv = np.where(s > rcond * s.max(), 1.0 / np.where(s == 0, 1, s), 0.0)
    return Vt.T.dot(inv * U.T.dot(b))


def digits_lost(kappa, method):
    factor = {"normal": 2.0, "qr": 1.0, "svd": 1.0}
    if method not in factor:
        raise ValueError(method)
    return factor[method] * np.log10(kappa)
''',
    ],
    "ex14_embeddings": [
        '''
import numpy as np


def one_hot(ids, vocab_size):
    return np.eye(vocab_size)[np.asarray(ids)]


def embed(ids, E):
    ids = np.asarray(ids)
    if ids.size > 0 and not ((ids >= 0).all() and (ids < len(E)).all()):
        raise ValueError("id out of range")
    return np.take(E, ids, axis=0)


def tied_logits(h, E):
    return np.matmul(h, E.T)


def nearest_neighbours(E, ids, k):
    normed = E / np.sqrt((E ** 2).sum(axis=1))[:, None]
    result = []
    for i in ids:
        sims = normed @ normed[i]
        sims[i] = -np.inf
        result.append(np.argsort(-sims, kind="stable")[:k])
    return np.array(result)


def analogy(E, a, b, c):
    normed = E / np.sqrt((E ** 2).sum(axis=1))[:, None]
    target = normed[b] - normed[a] + normed[c]
    best, best_score = -1, -np.inf
    for d in range(len(E)):
        if d in (a, b, c):
            continue
        s = normed[d] @ target
        if s > best_score:
            best, best_score = d, s
    return best
''',
    ],
}

# The idiomatic approach, as a learner who knows numpy/torch would write it unprompted: for short
# exercises this is close to the reference by necessity (where a detector cannot tell, and a
# person reviewing the pair should not either).
IDIOMATIC: dict[str, list[str]] = {
    "ex04_linear_backprop": [
        '''
import torch


def linear_forward(x, W, b):
    y = x @ W.T
    return y + b


def linear_backward(x, W, b, grad_y):
    grad_b = grad_y.sum(0)
    grad_W = grad_y.T @ x
    grad_x = grad_y @ W
    return grad_x, grad_W, grad_b


def weight_jacobian(x, W):
    n, d_in = x.shape
    d_out = W.shape[0]
    I = torch.eye(d_out, dtype=x.dtype)
    return torch.einsum("op,nj->nopj", I, x)
''',
    ],
    "ex06_truncated_svd": [
        '''
import numpy as np


def truncated_svd(X, k):
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    U = U[:, :k]
    s = s[:k]
    Vt = Vt[:k, :]
    return U, s, Vt


def low_rank_approx(X, k):
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    Xk = U[:, :k] @ np.diag(s[:k]) @ Vt[:k, :]
    energy = np.sum(s[:k] ** 2) / np.sum(s ** 2)
    return Xk, float(energy)


def randomized_svd(X, k, oversample=10, n_iter=4, seed=0):
    rng = np.random.default_rng(seed)
    l = min(k + oversample, min(X.shape))
    G = rng.standard_normal((X.shape[1], l))
    Q, _ = np.linalg.qr(X @ G)
    for i in range(n_iter):
        Z, _ = np.linalg.qr(X.T @ Q)
        Q, _ = np.linalg.qr(X @ Z)
    Uh, s, Vt = np.linalg.svd(Q.T @ X, full_matrices=False)
    U = Q @ Uh
    return U[:, :k], s[:k], Vt[:k, :]
''',
    ],
    "ex07_pca": [
        '''
import numpy as np


def fit_pca(X, k):
    mean = np.mean(X, axis=0)
    Xc = X - mean
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    variance = s ** 2 / (len(X) - 1)
    return mean, Vt[:k], variance[:k]


def transform(X, mean, components):
    return (X - mean) @ components.T


def inverse_transform(Z, mean, components):
    return Z @ components + mean


def explained_variance_ratio(X):
    Xc = X - np.mean(X, axis=0)
    s = np.linalg.svd(Xc, compute_uv=False)
    return s ** 2 / np.sum(s ** 2)


def choose_k(X, threshold=0.95):
    ratios = explained_variance_ratio(X)
    total = np.cumsum(ratios)
    k = np.searchsorted(total, threshold - 1e-12) + 1
    return int(min(k, len(ratios)))
''',
    ],
    "ex08_lora": [
        '''
import torch


def lora_forward(x, W, A, B, alpha, r):
    scaling = alpha / r
    return x @ W.T + scaling * (x @ A.T @ B.T)


def merge_lora(W, A, B, alpha, r):
    return W + (alpha / r) * B @ A


def lora_parameter_count(d_out, d_in, r):
    return r * d_in + r * d_out, d_in * d_out


def best_rank_r_update(delta_W, r):
    U, S, Vh = torch.linalg.svd(delta_W, full_matrices=False)
    B = U[:, :r] @ torch.diag(S[:r])
    A = Vh[:r, :]
    return B, A
''',
    ],
    "ex13_least_squares": [
        '''
import numpy as np


def condition_number(A):
    s = np.linalg.svd(A, compute_uv=False)
    return float(s.max() / s.min())


def lstsq_normal(A, b):
    AtA = A.T @ A
    Atb = A.T @ b
    return np.linalg.solve(AtA, Atb)


def lstsq_qr(A, b):
    Q, R = np.linalg.qr(A)
    return np.linalg.solve(R, Q.T @ b)


def lstsq_svd(A, b, rcond=1e-12):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    s_inv = np.zeros_like(s)
    mask = s > rcond * s.max()
    s_inv[mask] = 1 / s[mask]
    return Vt.T @ (s_inv * (U.T @ b))


def digits_lost(kappa, method):
    if method == "normal":
        return 2 * np.log10(kappa)
    elif method in ("qr", "svd"):
        return np.log10(kappa)
    else:
        raise ValueError("unknown method " + method)
''',
    ],
    "ex14_embeddings": [
        '''
import numpy as np


def one_hot(ids, vocab_size):
    out = np.zeros((len(ids), vocab_size))
    out[np.arange(len(ids)), ids] = 1.0
    return out


def embed(ids, E):
    ids = np.asarray(ids)
    if ids.size and (ids.min() < 0 or ids.max() >= E.shape[0]):
        raise ValueError("ids out of range")
    return E[ids]


def tied_logits(h, E):
    return h @ E.T


def nearest_neighbours(E, ids, k):
    U = E / np.linalg.norm(E, axis=1, keepdims=True)
    sims = U[ids] @ U.T
    sims[np.arange(len(ids)), ids] = -np.inf
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def analogy(E, a, b, c):
    U = E / np.linalg.norm(E, axis=1, keepdims=True)
    sims = U @ (U[b] - U[a] + U[c])
    sims[[a, b, c]] = -np.inf
    return int(np.argmax(sims))
''',
    ],
}
