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


int_one_hot = Misconception(
    "one-hot matrix of integers",
    "your one-hot matrix holds integers (np.eye(V, dtype=int), or np.zeros of an int dtype). It is the matrix "
    "that multiplies E, so it must be float64: np.zeros((n, V)) (float64 by default), then X[np.arange(n), ids] = 1.0.",
)


@int_one_hot
def one_hot(ids, vocab_size):
    return np.eye(vocab_size, dtype=np.int64)[np.asarray(ids)]


no_range_check = Misconception(
    "ids not checked against the vocabulary",
    "E[ids] accepts a negative id: numpy reads E[-1] as the last row, so a bad id silently becomes another "
    "word. Check 0 <= ids < V before indexing (ids.min() < 0 or ids.max() >= V) and raise ValueError.",
)


@no_range_check
def embed(ids, E):
    return E[np.asarray(ids)]


logits_untransposed = Misconception(
    "h @ E instead of h @ E.T",
    "h @ E multiplies h (..., d) by E (V, d), whose inner sizes d and V differ. The score of word j is h · E[j], "
    "a row of E, so the logits are h @ E.T, of shape (..., V).",
)


@logits_untransposed
def tied_logits(h, E):
    return h @ E


ascending = Misconception(
    "neighbours sorted least similar first",
    "np.argsort sorts in ascending order, so your lists start with the least similar words (and the word "
    "itself, whose score you set to -inf). Sort the negated scores, np.argsort(-S, axis=1, kind='stable'), "
    "to put the most similar first.",
)


@ascending
def nearest_neighbours(E, ids, k):
    ids = np.asarray(ids)
    U = ref._unit_rows(E)
    S = U[ids] @ U.T
    S[np.arange(len(ids)), ids] = -np.inf
    return np.argsort(S, axis=1, kind="stable")[:, :k]


ties_reversed = Misconception(
    "ties broken towards the higher index",
    "reversing an ascending sort (np.argsort(S)[:, ::-1]) puts the most similar first but also reverses the "
    "order of equal scores, so the higher index comes first among ties. Sort the negated scores with a stable "
    "sort, np.argsort(-S, axis=1, kind='stable'): equal scores then keep the lower index first.",
)


@ties_reversed
def nearest_neighbours(E, ids, k):
    ids = np.asarray(ids)
    U = ref._unit_rows(E)
    S = U[ids] @ U.T
    S[np.arange(len(ids)), ids] = -np.inf
    return np.argsort(S, axis=1, kind="stable")[:, ::-1][:, :k]


columns_normalised = Misconception(
    "columns normalised instead of rows",
    "np.linalg.norm(E, axis=0) gives the length of each column (one per dimension), not of each word: the rows "
    "keep their different lengths, so long words still win. Each word is a row: divide by "
    "np.linalg.norm(E, axis=1, keepdims=True).",
)


@columns_normalised
def nearest_neighbours(E, ids, k):
    ids = np.asarray(ids)
    U = E / np.linalg.norm(E, axis=0, keepdims=True)
    S = U[ids] @ U.T
    S[np.arange(len(ids)), ids] = -np.inf
    return np.argsort(-S, axis=1, kind="stable")[:, :k]


offset_reversed = Misconception(
    "analogy offset taken the wrong way",
    "a : b :: c : ? moves c by the offset that takes a to b, so the target is Ê[b] − Ê[a] + Ê[c]. You used "
    "Ê[a] − Ê[b] + Ê[c], which moves c the opposite way (king − man + woman, not man − king + woman).",
)


@offset_reversed
def analogy(E, a, b, c):
    U = ref._unit_rows(E)
    scores = U @ (U[a] - U[b] + U[c])
    scores[[a, b, c]] = -np.inf
    return int(np.argmax(scores))
