"""Checks for ex15: a matrix-multiplication kernel in Triton.

Everything is built and judged here, in the grader's process; the learner's gemm.py holds
only its kernel and ``matmul(a, b)``. Each input is a view that the check lays out itself
(contiguous, transposed, a slice of a wider matrix, an offset into a larger storage) inside
a storage full of NaN, and the codec carries it to the learner's process as that same view,
padding included: a load outside a matrix shows up as NaN in C instead of passing by luck.
The check then judges C (shape, dtype, values against a float64 product) and the inputs as
the call left them, every byte of their storages, so a kernel that writes into A or B (or
hands back C inside one of them) shows too. What the learner's process reports about its
inputs can be forged, but only to hide its own mistake.

That C was computed by the learner's kernel, and not by numpy or torch, is the static scan's
verdict (exercise.yaml: kernel_rules): a matmul that does anything else than allocate, read
sizes and strides, and launch its kernels earns nothing here.

Without a CUDA GPU the kernels run in Triton's interpreter (one program at a time, with
numpy), so sizes stay small; the speed checks need a GPU and are skipped without one.
"""

from __future__ import annotations

import os

import pytest
import torch

from grader.checking import CheckFailure, advice, expect, expect_error, fail, points, stage
from grader.checking.speed import race
from grader.sandbox.failures import NotImplementedYet

GPU = torch.cuda.is_available()
DEVICE = "cuda" if GPU else "cpu"
if not GPU:
    # The reference and the misconceptions run Triton kernels in this process too:
    # the interpreter must be chosen before they import triton.
    os.environ.setdefault("TRITON_INTERPRET", "1")

needs_gpu = pytest.mark.skipif(not GPU, reason="speed is graded on a CUDA GPU only, and this machine has none")

# NaN elements beyond every edge of a matrix: more than any BLOCK_K up to 64 reads past the K
# tail, so an unmasked load meets poison, not another matrix's numbers.
PAD = 64


# --- inputs, laid out by the grader ----------------------------------------------------------

def size(rng, lo, hi):
    """A size in [lo, hi] that is not a multiple of 16, so that any power-of-two block needs masks."""
    return int(rng.choice([n for n in range(lo, hi + 1) if n % 16]))


def matrix(rng, rows, cols, dtype, offset=True):
    """Entries of both signs, with a random scale (and offset), rounded to dtype."""
    x = torch.from_numpy(rng.standard_normal((rows, cols))) * rng.uniform(0.5, 2.0)
    if offset:
        x += rng.uniform(-0.5, 0.5)
    return x.to(dtype)


def lay_out(x, layout):
    """``x`` (rows, cols) copied into a storage full of NaN, returned as a view with the layout asked for."""
    rows, cols = x.shape
    nan = dict(fill_value=float("nan"), dtype=x.dtype, device=DEVICE)
    if layout == "contiguous":  # row-major, strides (cols, 1), NaN after the last element
        storage = torch.full((rows * cols + PAD * (cols + PAD),), **nan)
        view = storage[: rows * cols].view(rows, cols)
    elif layout == "transposed":  # column-major, strides (1, rows + PAD): the .t() of a stored matrix
        storage = torch.full((cols + PAD, rows + PAD), **nan)
        view = storage[:cols, :rows].t()
    elif layout == "sliced":  # a block of a wider, taller matrix: strides (cols + 2 PAD, 1), an offset
        storage = torch.full((rows + 2 * PAD, cols + 2 * PAD), **nan)
        view = storage[PAD : PAD + rows, PAD : PAD + cols]
    elif layout == "offset":  # row-major, starting PAD rows and 7 elements into a flat storage
        start = PAD * cols + 7
        storage = torch.full((start + rows * cols + PAD * (cols + PAD),), **nan)
        view = storage[start : start + rows * cols].view(rows, cols)
    else:
        raise ValueError(f"unknown layout {layout!r}")
    view.copy_(x.to(DEVICE))
    return view


def pair(rng, m, k, n, dtype=torch.float32, layouts=("contiguous", "contiguous"), offset=True):
    a = lay_out(matrix(rng, m, k, dtype, offset), layouts[0])
    b = lay_out(matrix(rng, k, n, dtype, offset), layouts[1])
    return a, b


def whole_storage(t):
    """Every element of t's storage, padding included, as raw bits (NaN compares equal to itself)."""
    n = t.untyped_storage().nbytes() // t.element_size()
    flat = t.as_strided((n,), (1,), 0)
    return flat.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


# --- calling the learner's matmul --------------------------------------------------------

STUB = "matmul still raises NotImplementedError: write matmul_kernel and matmul in gemm.py."
TOUCHED_INPUTS = (
    "A or B, or the NaN padding around them in memory, changed during matmul: a GEMM only reads its "
    "inputs, and writes C, a tensor of its own."
)
UNCHANGED = "A and B left unchanged (every byte of their storages)"
DTYPE = (
    "C is allocated in the inputs' dtype (dtype=a.dtype); the float32 accumulator is converted when it is "
    "stored (acc.to(c_ptr.dtype.element_ty))."
)
ALL_NAN = (
    "every entry of C is NaN or inf. A and B sit in storages full of NaN, so a NaN in C comes from a load "
    "that read outside A or B, or from memory C was allocated with and no program wrote."
)
SOME_NAN = (
    "C holds NaN or inf at {count} of {total} places ({where}). A and B sit in storages full of NaN, so a NaN "
    "in C comes from a load that read outside A or B, or from memory C was allocated with and no program wrote."
)
BLOCKS = (16, 32, 64, 128, 256)  # the block sizes a kernel may use: evidence is looked for with each
ALIGNED = 128  # M and N multiples of this are multiples of every block up to 128: no tile sticks out
ONE_STEP = 32  # K of the checks that are not about K: one whole step of the usual BLOCK_K


def run(submission, a, b):
    """C = the learner's matmul(a, b); fails if A or B (padding included) came back changed."""
    try:
        c, after, _ = submission.inputs_after("matmul", a, b)
    except NotImplementedYet:
        fail(STUB)
    with stage(UNCHANGED):
        if len(after) != 2:
            fail("A and B: " + TOUCHED_INPUTS, c)
        for name, sent, back in zip("AB", (a, b), after):
            same = (
                isinstance(back, torch.Tensor)
                and back.dtype == sent.dtype
                and back.shape == sent.shape
                and back.stride() == sent.stride()
                and back.untyped_storage().nbytes() == sent.untyped_storage().nbytes()
                and torch.equal(whole_storage(back).cpu(), whole_storage(sent).cpu())
            )
            if not same:
                fail(f"{name}: " + TOUCHED_INPUTS, c)
    return c


def spans(indices):
    """[0, 1, 2, 5, 7, 8] -> '0–2, 5, 7–8'."""
    out, start, prev = [], None, None
    for i in sorted(set(int(i) for i in indices)):
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}–{prev}" if prev > start else str(start))
            start = prev = i
    if start is not None:
        out.append(f"{start}–{prev}" if prev > start else str(start))
    text = ", ".join(out)
    return text if len(text) < 60 else text[:57] + "..."


def where(bad):
    rows, cols = bad.nonzero(as_tuple=True)
    return f"rows {spans(rows.tolist())}, columns {spans(cols.tolist())}"


# --- evidence: what C would be under each known cause, compared with the learner's C -------------------

class Evidence:
    """The learner's C beside the exact product, and what C would be under each known cause; an advice is
    said only when C is that (values close, NaN where it has NaN)."""

    def __init__(self, c, a, b, rtol, atol):
        self.sent = (a, b)  # as laid out: their storages, strides and offsets
        self.a, self.b = a.detach().cpu(), b.detach().cpu()
        self.m, self.k = a.shape
        self.n = b.shape[1]
        self.rtol, self.atol = rtol, atol
        self.c = c.detach().cpu().double() if isinstance(c, torch.Tensor) and tuple(c.shape) == (self.m, self.n) else None
        self.exact = self.a.double() @ self.b.double()
        self.right = None if self.c is None else self.close(self.c, self.exact)

    def close(self, c, want):
        """Entrywise: c within tolerance of want, NaN where want is NaN."""
        both_nan = torch.isnan(c) & torch.isnan(want)
        return both_nan | ((c - want).abs() <= self.atol + self.rtol * want.abs().nan_to_num(0.0))

    def is_(self, want):
        """The learner's C is ``want`` everywhere, and ``want`` is not the right product (nor all NaN)."""
        if self.c is None or want is None or bool(torch.isnan(want).all()) or bool(self.close(want, self.exact).all()):
            return False
        return bool(self.close(self.c, want).all())

    def right_exactly_on(self, region):
        """C is right on ``region`` (a boolean mask, not empty and not everything) and wrong everywhere else."""
        if self.c is None or not bool(region.any()) or bool(region.all()):
            return False
        return bool(torch.equal(self.right, region))

    @staticmethod
    def gather(t, rows, cols, index):
        """t's storage read at ``index`` (a (rows, cols) tensor of element offsets); NaN outside the storage."""
        flat = t.as_strided((t.untyped_storage().nbytes() // t.element_size(),), (1,), 0).double().cpu()
        inside = (index >= 0) & (index < flat.numel())
        out = torch.full((rows, cols), float("nan"), dtype=torch.float64)
        out[inside] = flat[index[inside]]
        return out

    # -- the causes ------------------------------------------------------------------------------

    def k_steps_dropped(self):
        """The K the sum stopped at, if C is the sum over whole BLOCK_K steps only (the partial last one left out)."""
        for bk in BLOCKS:
            kept = (self.k // bk) * bk
            if 0 < kept < self.k and self.is_(self.a[:, :kept].double() @ self.b[:kept].double()):
                return kept
        return None

    def last_step_only(self):
        """The first k of the last step, if C holds only the last BLOCK_K terms of each sum."""
        for bk in BLOCKS:
            start = ((self.k - 1) // bk) * bk
            if start > 0 and self.is_(self.a[:, start:].double() @ self.b[start:].double()):
                return start
        return None

    def read_past_k(self):
        """Every entry NaN on contiguous inputs whose M and N are whole tiles and whose K is not: only a read
        along K, past its end, reaches the NaN that follows each row of A and each column of B there."""
        a, b = self.sent
        return (self.c is not None and bool(torch.isnan(self.c).all()) and self.k % 16 != 0
                and a.is_contiguous() and b.is_contiguous() and self.m % ALIGNED == 0 and self.n % ALIGNED == 0)

    def strides_from_shapes(self):
        """C is what A and B would give read as contiguous row-major matrices from where they start."""
        a, b = self.sent
        if a.is_contiguous() and b.is_contiguous():
            return False

        def as_row_major(t):
            rows, cols = t.shape
            index = t.storage_offset() + torch.arange(rows)[:, None] * cols + torch.arange(cols)[None, :]
            return self.gather(t, rows, cols, index)
        return self.is_(as_row_major(a) @ as_row_major(b))

    def k_step_in_elements(self):
        """C is what moving the pointers BLOCK_K elements along memory per K step gives, not BLOCK_K steps along K."""
        a, b = self.sent
        (sam, sak), (sbk, sbn) = a.stride(), b.stride()
        if sak == 1 and sbk == 1:
            return False
        k = torch.arange(self.k)
        for bk in BLOCKS:
            if self.k <= bk:
                continue
            shift = (k // bk) * bk  # where the pointers stand after each step, in elements
            a_index = a.storage_offset() + torch.arange(self.m)[:, None] * sam + ((k % bk) * sak + shift)[None, :]
            b_index = b.storage_offset() + ((k % bk) * sbk + shift)[:, None] + torch.arange(self.n)[None, :] * sbn
            got = self.gather(a, self.m, self.k, a_index) @ self.gather(b, self.k, self.n, b_index)
            if self.is_(got):
                return True
        return False

    def floor_grid(self):
        """The rows and columns C is right on, if they are exactly the whole tiles (M // BLOCK_M by N // BLOCK_N)."""
        rows, cols = torch.arange(self.m)[:, None], torch.arange(self.n)[None, :]
        for bm in BLOCKS:
            for bn in BLOCKS:
                rm, rn = (self.m // bm) * bm, (self.n // bn) * bn
                if self.right_exactly_on((rows < rm) & (cols < rn)):
                    return rm, rn
        return None

    def swapped_ids(self):
        """C is right exactly on the tiles a grid (tiles along M, tiles along N) covers when the kernel reads
        pid_m from its second axis and pid_n from its first."""
        rows, cols = torch.arange(self.m)[:, None], torch.arange(self.n)[None, :]
        for bm in BLOCKS:
            for bn in BLOCKS:
                tiles_m, tiles_n = -(-self.m // bm), -(-self.n // bn)
                if tiles_m != tiles_n and self.right_exactly_on((rows < tiles_n * bm) & (cols < tiles_m * bn)):
                    return True
        return False

    def store_overhang(self):
        """The wrong entries are all at the start of rows after the first, no more columns than a tile sticks out
        past N (fewer than N): the last tile's columns past N written into the next row."""
        if self.c is None or bool(self.right.all()):
            return False
        wrong = ~self.right
        rows, cols = wrong.nonzero(as_tuple=True)
        for bn in BLOCKS:
            overhang = bn - self.n % bn
            if self.n % bn and overhang < self.n and int(rows.min()) >= 1 and int(cols.max()) < overhang:
                return True
        return False

    def float16_sum(self):
        """C is nearer a sum kept in float16 (rounded after each BLOCK_K step) than the exact one."""
        if self.c is None or self.a.dtype != torch.float16 or bool(torch.isnan(self.c).any()):
            return False
        for bk in BLOCKS:
            if self.k <= bk:
                continue
            acc = torch.zeros(self.m, self.n, dtype=torch.float16)
            for k0 in range(0, self.k, bk):
                acc = (acc + (self.a[:, k0:k0 + bk].float() @ self.b[k0:k0 + bk].float()).half()).half()
            near, far = (self.c - acc.double()).abs().mean(), (self.c - self.exact).abs().mean()
            if near < 0.5 * far:
                return True
        return False

    def advice(self):
        """Each known cause, said only where this C shows it (computed on a failure only)."""
        kept, start, grid = self.k_steps_dropped(), self.last_step_only(), self.floor_grid()
        rm, rn = grid or (0, 0)
        return [
            advice("Every sum reads past the end of K: the NaN after each row of A and each column of B is in every "
                   "entry, while M and N here are whole tiles. Mask the loads of the K loop on the k still left, "
                   "offs_k < K - k0 (a mask on offs_k < K alone holds on every step once K > BLOCK_K), with other=0.0.",
                   when=self.read_past_k()),
            advice(f"Your C is the sum over the first {kept} of the K = {self.k} terms, whole BLOCK_K steps only: the "
                   "last, partial step never ran. Loop over tl.cdiv(K, BLOCK_K) steps (range(0, K, BLOCK_K)) and mask "
                   "that step's loads on offs_k < K - k0.",
                   when=kept is not None),
            advice(f"Your C holds only the last BLOCK_K terms of each sum (from k = {start} on): each step replaced "
                   "the accumulator instead of adding to it. Use acc += tl.dot(a, b), or acc = tl.dot(a, b, acc).",
                   when=start is not None),
            advice("Your C is what A and B give read as contiguous row-major matrices, with strides (K, 1) and "
                   "(N, 1): the strides came from the shapes. Pass a.stride(0), a.stride(1), b.stride(0), b.stride(1) "
                   "to the kernel and address every element through them.",
                   when=self.strides_from_shapes()),
            advice("Your C is what moving the pointers by BLOCK_K elements after each K step gives: that is BLOCK_K "
                   "steps along K only where the stride along K is 1. Move them by BLOCK_K * stride_ak and "
                   "BLOCK_K * stride_bk.",
                   when=self.k_step_in_elements()),
            advice(f"Your C is right on its first {rm} rows and {rn} columns, whole tiles, and wrong everywhere else: "
                   "the last, partial tiles were never computed. Size the grid with triton.cdiv (// rounds down) and "
                   "let the masks handle the overhang.",
                   when=grid is not None),
            advice("Your C is right exactly on the tiles whose row index is below the number of tiles along N and "
                   "whose column index is below the number along M: the kernel reads pid_m and pid_n from the "
                   "wrong axes of the grid (or the grid has them the other way round).",
                   when=self.swapped_ids()),
            advice("Only entries at the start of rows are wrong, no more columns than the last tile sticks out past "
                   "N: those columns were stored anyway and landed in the next row. Mask the store with "
                   "(offs_m[:, None] < M) & (offs_n[None, :] < N).",
                   when=self.store_overhang()),
            advice("Your C is nearer a sum kept in float16, rounded after every BLOCK_K step, than the exact sum: "
                   "keep the accumulator in float32 (tl.zeros(..., dtype=tl.float32), acc = tl.dot(a, b, acc)) and "
                   "round to float16 once, when storing.",
                   when=self.float16_sum()),
        ]


def check_product(c, a, b, facts):
    """C is A @ B in the inputs' dtype, to the accuracy of a float32 accumulator. ``facts`` says what is
    special about these inputs; a cause is added only where C shows it (Evidence)."""
    m, k = a.shape
    n = b.shape[1]
    exact = a.double() @ b.double()
    expected = exact.to(a.dtype)
    if not isinstance(c, torch.Tensor):
        fail(f"matmul returned {type(c).__name__}; expected a torch tensor of shape ({m}, {n})", c)
    expect(c, "C").to_have_shape((m, n))
    if c.dtype != a.dtype:
        fail(f"C came back as {str(c.dtype).removeprefix('torch.')} for {str(a.dtype).removeprefix('torch.')} "
             "inputs. " + DTYPE, c)
    eps = torch.finfo(torch.float32).eps
    scale = float((a.double().abs() @ b.double().abs()).max())
    # float32: any order of summation stays within K·eps·Σ|a||b|; float16: one final rounding (rtol) and a
    # float32 sum underneath. TF32 (tl.dot's default for float32 on NVIDIA GPUs) is about 1000 times coarser.
    rtol, atol = (2e-6, k * eps * scale) if a.dtype == torch.float32 else (1e-3, 1e-5 + 4 * eps * scale)
    ev = Evidence(c, a, b, rtol, atol)
    c = c.to(exact.device)
    nan = ~torch.isfinite(c.double())
    if nan.all():
        fail(f"{ALL_NAN}\n{facts}", c, advice=ev.advice())
    if nan.any():
        fail(SOME_NAN.format(count=int(nan.sum()), total=m * n, where=where(nan)) + f"\n{facts}", c, advice=ev.advice())
    try:
        expect(c, "C").to_match(expected, rtol=rtol, atol=atol)
    except CheckFailure as exc:
        err = (c.double() - exact).abs()
        off = err > atol + rtol * exact.abs()
        said = [item.text for item in ev.advice() if item.applies(c)]
        raise CheckFailure("\n".join([f"{exc}\nthe wrong entries are in {where(off)}.\n{facts}", *said])) from None


def product(submission, rng, m, k, n, facts, dtype=torch.float32, layouts=("contiguous", "contiguous"), offset=True):
    a, b = pair(rng, m, k, n, dtype, layouts, offset)
    check_product(run(submission, a, b), a, b, facts(a, b) if callable(facts) else facts)


def strides_of(a, b):
    return f"A ({a.shape[0]}, {a.shape[1]}) has strides {a.stride()} and B ({b.shape[0]}, {b.shape[1]}) strides {b.stride()}"


# --- correctness (any machine) ------------------------------------------------------------
# Each check is about one part: the tiles and the K loop on whole blocks, the partial last step along K, the
# partial tiles along M and N, strides, a storage offset, float16 out, a float32 sum, the smallest shapes, the
# size check, and the tile order. Sizes that are not its subject are whole blocks (M, N multiples of 128; K = 32,
# one step of the usual BLOCK_K), so one wrong line costs the points of its part.

@points(2)
def test_float32_products_of_whole_blocks_sum_every_k_step(submission, rng):
    m, n, k = 2 * ALIGNED, ALIGNED, 2 * ALIGNED
    product(submission, rng, m, k, n, f"M = {m}, N = {n} and K = {k} are multiples of every block size up to "
            "128: no tile sticks out of C, and each sum runs over whole BLOCK_K steps.")


@points(3)
def test_the_partial_last_step_along_k_is_masked(submission, rng):
    k = size(rng, 130, 250)
    product(submission, rng, ALIGNED, k, ALIGNED, f"M = N = {ALIGNED} are whole tiles; K = {k} is not a multiple of "
            "16, so the last step along K is partial: only K - k0 of its BLOCK_K terms exist.")


@points(3)
def test_the_partial_tiles_along_m_and_n_are_computed_and_stored_within_c(submission, rng):
    m, n = size(rng, 70, 120), size(rng, 70, 120)
    product(submission, rng, m, ONE_STEP, n, f"M = {m} and N = {n} are not multiples of 16, so the last tiles "
            f"along M and N stick out of C; K = {ONE_STEP}, a single step of a BLOCK_K of 32 or more.")


@points(2)
def test_float32_products_of_any_size_are_right(submission, rng):
    m, k, n = (size(rng, 33, 63) for _ in range(3))
    product(submission, rng, m, k, n, f"none of M = {m}, N = {n}, K = {k} is a multiple of 16: the last tiles stick "
            "out of C in both directions, and the last step along K is partial.")


@points(2)
def test_transposed_inputs_are_read_through_their_strides(submission, rng):
    m, k, n = (size(rng, 33, 63) for _ in range(3))
    product(submission, rng, m, k, n, lambda a, b: f"A and B are transposed views (column-major): {strides_of(a, b)}; "
            "no size is a multiple of 16.", layouts=("transposed", "transposed"))


@points(2)
def test_slices_of_larger_matrices_are_read_through_their_strides(submission, rng):
    product(submission, rng, ALIGNED, ONE_STEP, ALIGNED, lambda a, b: f"A and B are slices of wider matrices, each "
            f"row {2 * PAD} elements longer than the slice: {strides_of(a, b)}.", layouts=("sliced", "sliced"))


@points(1)
def test_inputs_at_an_offset_into_their_storage_are_read_in_place(submission, rng):
    product(submission, rng, ALIGNED, ONE_STEP, ALIGNED, lambda a, b: f"A and B start {a.storage_offset()} and "
            f"{b.storage_offset()} elements into their storages, with NaN before and after them.",
            layouts=("offset", "offset"))


@points(2)
def test_float16_inputs_give_a_float16_product(submission, rng):
    product(submission, rng, ALIGNED, ONE_STEP, ALIGNED, f"float16 A and B ({ALIGNED}, {ONE_STEP}) and "
            f"({ONE_STEP}, {ALIGNED}): C is float16 too, the exact product rounded once.", dtype=torch.float16)


@points(2)
def test_float16_products_over_a_long_k_are_summed_in_float32(submission, rng):
    k = 4 * ALIGNED
    product(submission, rng, ALIGNED, k, ALIGNED, f"float16 A and B with K = {k}: the sum over K is kept in float32 "
            "and rounded once, so C is expected within one float16 rounding (rtol 1e-3) of the exact product.",
            dtype=torch.float16, offset=False)


@points(2)
def test_a_single_row_a_single_column_and_k_of_one_work(submission, rng):
    cases = (((1, ONE_STEP, ALIGNED), "M = 1: a single row, a tile almost all overhang along M"),
             ((ALIGNED, ONE_STEP, 1), "N = 1: a single column, a tile almost all overhang along N"),
             ((ALIGNED, 1, ALIGNED), "K = 1: a single term per sum, one step almost all beyond K"))
    for (m, k, n), facts in cases:
        product(submission, rng, m, k, n, facts)


@points(1)
def test_mismatched_inner_sizes_raise_a_value_error(submission, rng):
    # A right product first: a matmul that raises ValueError whatever it gets earns nothing here.
    with stage("a product of matching sizes"):
        product(submission, rng, ALIGNED, ONE_STEP, ALIGNED, "sizes that match, whole tiles")
    m, k, n = ALIGNED, ONE_STEP, ALIGNED
    a = lay_out(matrix(rng, m, k, torch.float32), "contiguous")
    b = lay_out(matrix(rng, k + 1, n, torch.float32), "contiguous")
    why = f"A is ({m}, {k}) and B is ({k + 1}, {n}): there is no A @ B (a.shape[1] != b.shape[0])"
    expect_error(lambda: submission.matmul(a, b), "ValueError", why=why)


@points(2)
def test_tall_and_wide_products_cover_every_tile(submission, rng):
    long, short = 3 * ALIGNED, ALIGNED
    for m, n in ((long, short), (short, long)):
        product(submission, rng, m, ONE_STEP, n, f"C is ({m}, {n}): it has {'more' if m > n else 'fewer'} tiles "
                "along M than along N, and every one of them is computed once.")


# --- speed (CUDA GPU only) ----------------------------------------------------------------
# The grader times each call itself, around a whole matmul in the learner's process, against the
# reference's kernel in a process of its own: interleaved rounds, fresh inputs every round, the
# other side frozen while one runs, every output verified (grader.checking.speed.race). A call also
# carries its inputs and C through the codec, so the inputs here are large GEMMs stored small: rows
# that overlap in memory, X[i, j] = x[i + j] (strides (1, 1)), a few hundred kilobytes for 2 * M * N * K
# = 0.55 TFLOP of kernel work. C (2 MB of float16) still crosses each call; that transfer is the same
# on both sides, and it makes the ratio measured here a little closer to 1 than the kernels' own.

SPEED_M = SPEED_N = 1024
SPEED_K = 1 << 18
SPEED_ROUNDS = 3
SPEED_SAMPLES = 16  # rows and columns of C checked each round, chosen after the call
_measured: dict[int, tuple[object, float]] = {}


def overlapping(rng, rows, cols, device=DEVICE):
    """A float16 (rows, cols) matrix with X[i, j] = x[i + j]: dense work, rows + cols - 1 stored elements."""
    x = torch.from_numpy(rng.uniform(-1.0, 1.0, rows + cols - 1)).to(torch.float16).to(device)
    return x.as_strided((rows, cols), (1, 1))


def speed_inputs(rng, m=SPEED_M, n=SPEED_N, k=SPEED_K, device=DEVICE):
    return overlapping(rng, m, k, device), overlapping(rng, k, n, device)


def judge_sampled(rng, samples=SPEED_SAMPLES):
    """A race's judge: C right on rows and columns drawn after the call (so no part can be skipped)."""

    def judge(out, reference_out, args):
        a, b = args
        m, k = a.shape
        n = b.shape[1]
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (m, n) or out.dtype != a.dtype:
            fail(f"matmul returned {out!r:.80} for float16 ({m}, {k}) @ ({k}, {n}); expected a float16 ({m}, {n}) tensor")
        rows = torch.from_numpy(rng.choice(m, size=min(samples, m), replace=False)).to(a.device)
        cols = torch.from_numpy(rng.choice(n, size=min(samples, n), replace=False)).to(a.device)
        exact = a.index_select(0, rows).double() @ b.index_select(1, cols).double()
        got = out.to(a.device).index_select(0, rows).index_select(1, cols).double()
        tol = 2e-3 * exact.abs() + 1e-3 * k**0.5  # a float16 rounding of a float32 sum
        bad = ~((got - exact).abs() <= tol)
        if bool(bad.any()):
            fail(
                f"on the timed float16 ({m}, {k}) @ ({k}, {n}) products, C is wrong at {int(bad.sum())} of the "
                f"{bad.numel()} entries the grader checked (largest error {float((got - exact).abs().max()):.3g}): "
                "only a right C counts for speed.",
                out,
            )

    return judge


def speed_ratio(submission, reference_process, rng, *, m=SPEED_M, n=SPEED_N, k=SPEED_K, limit=1.25, device=DEVICE):
    """The best (learner time / reference time) over up to SPEED_ROUNDS rounds; once per grading."""
    hit = _measured.get(id(submission))
    if hit is not None and hit[0] is submission:
        return hit[1]
    judge = judge_sampled(rng)
    for side in (submission, reference_process):  # compile and autotune, untimed, on the same layout
        warm = speed_inputs(rng, m, n, k, device)
        judge(side.matmul(*warm), None, warm)
    result = race(
        submission, reference_process, "matmul", lambda: speed_inputs(rng, m, n, k, device),
        limit=limit, rounds=SPEED_ROUNDS, judge=judge,
    )
    ratio = result.best.ratio
    _measured.clear()
    _measured[id(submission)] = (submission, ratio)
    return ratio


def check_speed(submission, reference_process, rng, limit):
    try:
        ratio = speed_ratio(submission, reference_process, rng)
    except NotImplementedYet:
        fail(STUB)
    expect(ratio, "time / reference time").to_satisfy(
        ratio <= limit,
        f"your matmul took {ratio:.2f} times as long as the reference's kernel on float16 ({SPEED_M}, {SPEED_K}) @ "
        f"({SPEED_K}, {SPEED_N}) products (best of up to {SPEED_ROUNDS} rounds, timed by the grader); this check "
        f"asks for at most {limit:g} times. Try tiles of 64×64 to 128×128 with BLOCK_K 32–64, num_warps 4–8 and "
        "num_stages 3–4 in a triton.autotune over a few configs.",
    )


@needs_gpu
@points(2)
def test_float16_speed_is_within_twice_the_reference_kernel(submission, reference_process, rng):
    check_speed(submission, reference_process, rng, 2.0)


@needs_gpu
@points(2)
def test_float16_speed_is_within_1_5_times_the_reference_kernel(submission, reference_process, rng):
    check_speed(submission, reference_process, rng, 1.5)


@needs_gpu
@points(2)
def test_float16_speed_is_within_1_25_times_the_reference_kernel(submission, reference_process, rng):
    check_speed(submission, reference_process, rng, 1.25)
