"""Known-wrong variants of ex14, each with the feedback it earns."""

import numpy as np

from grader.checking.misconceptions import Misconception, sibling_reference

ref = sibling_reference(__file__)

transposed_one_hot = Misconception(
    "one-hot matrix transposed",
    "your one-hot matrix has one column per id, shape (V, n), instead of one row per id, shape (n, V). "
    "Row i must be the one-hot vector of ids[i], so that one_hot(ids) @ E stacks the rows E[ids[i]].",
)


@transposed_one_hot
def one_hot(ids, vocab_size):
    return np.eye(vocab_size)[:, ids]


upcast = Misconception(
    "float32 embedding turned into float64",
    "a float32 E came back as float64 rows. A one-hot matrix built with np.eye or np.zeros is float64, and "
    "float64 @ float32 is float64. Build it with dtype=E.dtype, or better, index: E[ids] selects the same rows "
    "without multiplying by V zeros per row.",
)


@upcast
def embed(ids, E):
    ids = np.asarray(ids)
    if ids.min() < 0 or ids.max() >= E.shape[0]:
        raise ValueError("id outside the vocabulary")
    return (np.eye(E.shape[0])[ids.reshape(-1)] @ E).reshape(*ids.shape, E.shape[1])


logits_transposed = Misconception(
    "logits transposed",
    "your logits have shape (V, n), one row per vocabulary word. A language model's output layer gives one "
    "row of V scores per position: logits = h @ E.T, shape (n, V).",
)


@logits_transposed
def tied_logits(h, E):
    return E @ h.T


probabilities = Misconception(
    "softmax instead of logits",
    "you returned probabilities (a softmax), but tied_logits should return the raw scores h Eᵀ. The "
    "softmax belongs to the loss (cross-entropy works on logits for numerical stability).",
)


@probabilities
def tied_logits(h, E):
    z = h @ E.T
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


dot_product = Misconception(
    "dot product instead of cosine",
    "you ranked words by the raw dot product E[i]·E[j], which favours long vectors (frequent words often "
    "have long embeddings) over ones pointing the same way. Normalise the rows to unit length first; then "
    "the dot product is the cosine.",
)


@dot_product
def nearest_neighbours(E, ids, k):
    ids = np.asarray(ids)
    S = E[ids] @ E.T
    S[np.arange(len(ids)), ids] = -np.inf
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


@dot_product
def analogy(E, a, b, c):
    scores = E @ (E[b] - E[a] + E[c])
    scores[[a, b, c]] = -np.inf
    return int(np.argmax(scores))


includes_self = Misconception(
    "the word is its own nearest neighbour",
    "every word has cosine 1 with itself, so without excluding it, it heads its own list. Set S[i, ids[i]] "
    "to -inf (or drop that index) before sorting.",
)


@includes_self
def nearest_neighbours(E, ids, k):
    ids = np.asarray(ids)
    U = ref._unit_rows(E)
    S = U[ids] @ U.T
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


in_place = Misconception(
    "E normalised in place",
    "E /= norms (or E[:] = ...) overwrites the caller's embedding matrix: after one query the model's "
    "weights are gone. Write U = E / np.linalg.norm(E, axis=1, keepdims=True) into a new array.",
)


@in_place
def nearest_neighbours(E, ids, k):
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    return ref.nearest_neighbours(E, ids, k)


keeps_query_words = Misconception(
    "analogy answers a query word",
    "the target Ê[b] − Ê[a] + Ê[c] stays close to b and c, so the best-scoring row is nearly always b or c "
    "itself. Exclude a, b and c (set their scores to -inf) before taking the argmax.",
)


@keeps_query_words
def analogy(E, a, b, c):
    U = ref._unit_rows(E)
    return int(np.argmax(U @ (U[b] - U[a] + U[c])))


raw_offsets = Misconception(
    "analogy on raw vectors",
    "you added the raw vectors E[b] − E[a] + E[c]. Their lengths differ a lot (rare and frequent words), so "
    "the longest one dominates the sum. Normalise each row to unit length first: t = Ê[b] − Ê[a] + Ê[c].",
)


@raw_offsets
def analogy(E, a, b, c):
    U = ref._unit_rows(E)
    scores = U @ (E[b] - E[a] + E[c])
    scores[[a, b, c]] = -np.inf
    return int(np.argmax(scores))
