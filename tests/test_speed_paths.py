"""The fast paths of the engine give the numbers of the plain computation they replace."""

import pytest
import torch

from lib import training
from lib.distributions import NoisyOrthogonalPatterns, OrthogonalPatterns
from lib.samples import training_sets
from lib.xor_network import xor_cnn
from lib.fastpaths import PatternTable, PositionMajor, unique_rows
from lib.models import ConvPool, FullyConnected
from lib.training import TrainingDivergedError, train


def dense_onehot_backward(net, ctx, grad_out):
    """The reference gradient: a dense (R, 2k, n, m) one-hot of the max-pool winners times the
    (position-major) patches."""
    _, values, winners, patches, n = ctx
    R, C, m = values.shape
    coef = grad_out[:, None, :] * net.a[:, :, None] * (values > 0)
    onehot = torch.zeros(R, C, n, m, dtype=values.dtype)
    onehot.scatter_(2, winners.unsqueeze(2), coef.unsqueeze(2))
    return [torch.matmul(onehot.view(R, C, n * m), patches)]


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_gathered_backward_equals_dense_onehot(shared, dtype):
    """Orthogonal-pattern inputs repeat patches (tied scores) and small filters leave channels inactive."""
    dist = OrthogonalPatterns(7, 9, basis="random", seed=2, dtype=dtype)
    X, _ = (
        dist.sample(23, seed=0)
        if shared
        else (torch.stack([dist.sample(23, seed=s)[0] for s in range(4)]), None)
    )
    net = xor_cnn(9, 5, replicas=4, init_std=1.0, seed=3, dtype=dtype)
    g = torch.randn(4, 23, dtype=dtype, generator=torch.Generator().manual_seed(1))
    _, ctx = net.forward_train(X)  # X itself: the general path
    assert (ctx[1] <= 0).any() and (ctx[1] > 0).any()  # both active and inactive channels occur
    tol = 1e-12 if dtype == torch.float64 else 1e-5
    fast_grads, ref_grads = net.backward(ctx, g), dense_onehot_backward(net, ctx, g)
    assert len(fast_grads) == len(ref_grads) == 1  # the fixed second layer has no gradient
    for fast, ref in zip(fast_grads, ref_grads):
        assert torch.allclose(fast, ref, atol=tol)


def test_network_depends_only_on_the_dot_product_tables():
    """With orthogonal patterns N_W(x) = sum_i max_j relu(a_{i, p(j)}) - sum_i max_j relu(b_{i, p(j)}),
    a gather in the tables a = w o^T, b = u o^T at the pattern indices p(j) of x."""
    dist = OrthogonalPatterns(6, 8, basis="random", seed=4, dtype=torch.float64)
    idx, _ = dist.sample_indices(30, seed=1)
    net = xor_cnn(8, 4, replicas=3, init_std=1.0, seed=0, dtype=torch.float64)
    tables = net.tables(dist.patterns)  # (R, 2k, d)
    a, b = tables[:, :4], tables[:, 4:]  # (R, k, d) each
    pooled = [torch.relu(t[:, :, idx].amax(-1)).sum(1) for t in (a, b)]  # (R, m)
    assert torch.allclose(net(dist.to_inputs(idx)), pooled[0] - pooled[1], atol=1e-12)


@pytest.mark.parametrize("n", [1, 7, 300])
def test_general_path_pools_like_a_plain_max(n):
    """Position-major scores, max and first arg-max (ties included) equal torch.max over positions;
    NaN filters give NaN values and in-range winners."""
    g = torch.Generator().manual_seed(n)
    X = torch.randn(2, 9, n, 4, generator=g)
    X[:, :, n // 2] = X[:, :, 0]  # tied positions: the first must win
    net = xor_cnn(4, 3, replicas=2, init_std=1.0, seed=1)
    values, winners, _, _ = net.pooled(X)
    ref_values, ref_winners = torch.einsum("rcd,rsjd->rcsj", net.W.detach(), X).max(dim=3)
    assert torch.allclose(values, ref_values, atol=1e-6) and torch.equal(winners, ref_winners)
    with torch.no_grad():
        net.W[0, 0, 0] = float("nan")
    values, winners, _, _ = net.pooled(X)
    assert values[0, 0].isnan().all() and ((winners >= 0) & (winners < n)).all()


def test_pattern_table_is_built_for_inputs_with_few_distinct_patches():
    X, _ = OrthogonalPatterns(5, 7).sample(20, seed=0)
    for inputs in (
        X,
        # orthonormal, not the standard basis
        OrthogonalPatterns(5, 7, basis="random", seed=1).sample(20, seed=0)[0],
        X * 2,  # scaled patterns
    ):
        table = PatternTable.of(inputs.unsqueeze(0))
        assert table.patterns.shape == (7, 7) and table.presence.shape == (1, 7, 20)
        # the distinct patches
        assert torch.equal(torch.unique(inputs.reshape(-1, 7), dim=0), table.patterns)
        # pattern p is present in point s iff some patch of s equals patterns[p]
        equal = (inputs[:, :, None, :] == table.patterns[None, None]).all(-1).any(1)  # (m, U)
        assert torch.equal(table.presence[0].T, equal)
    noisy = NoisyOrthogonalPatterns(5, 7, noise=0.1).sample(60, seed=0)[0]  # 300 distinct patches
    assert PatternTable.of(noisy.unsqueeze(0)) is None and PatternTable.MAX_PATTERNS < 300
    assert isinstance(xor_cnn(7, 2, pattern_search=False).prepare(X), PositionMajor)
    assert isinstance(xor_cnn(7, 2).prepare(X), PatternTable)


@pytest.fixture
def subset_calls(monkeypatch):
    """Counts the pattern-table path's passes through the subsets of the patterns (2^U <= n m / 2)."""
    calls = []
    original = ConvPool._pool_subsets

    def spy(self, by_pattern, index):
        calls.append(by_pattern.shape[1])  # U
        return original(self, by_pattern, index)

    monkeypatch.setattr(ConvPool, "_pool_subsets", spy)
    return calls


@pytest.mark.parametrize("d, subsets", [(11, False), (5, True)])
@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pattern_search_pools_like_the_general_path(shared, dtype, d, subsets, subset_calls):
    """Same max-pooled values (bit for bit), the same winning pattern, and the same gradients, both
    patch by patch (2^11 subsets of 11 patterns: more than the patches) and through the subsets."""
    dist = OrthogonalPatterns(9, d, dtype=dtype)
    X = dist.sample(40, seed=0)[0] if shared else training_sets(dist, 40, 0, 5)[0]
    net = xor_cnn(d, 6, replicas=5, init_std=1.0, seed=3, dtype=dtype)
    values, winners, patches, n = net.pooled(X)
    table = net.prepare(X)
    assert isinstance(table, PatternTable)
    with torch.no_grad():
        fast, best = net.pooled_patterns(table)
    assert bool(subset_calls) == subsets
    assert torch.equal(fast, values)
    idx = X.argmax(-1).expand(5, 40, 9)  # basis index of each patch
    basis_of_row = table.patterns.argmax(-1)  # basis index of each row of the table
    assert torch.equal(
        basis_of_row[best],
        torch.gather(idx.unsqueeze(1).expand(5, 12, 40, 9), 3, winners.unsqueeze(3))[..., 0],
    )
    g = torch.randn(5, 40, dtype=dtype, generator=torch.Generator().manual_seed(1))
    fast_ctx = (torch.relu(fast), fast, best, table.patterns)
    general_ctx = (torch.relu(values), values, winners, patches, n)
    for a, b in zip(net.backward(fast_ctx, g), net.backward(general_ctx, g), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("copies, subsets", [(2, False), (8, True)])
def test_pattern_search_breaks_ties_by_pattern_index(copies, subsets, subset_calls):
    """Two present patterns with equal scores: the lower index in the table wins (the value is the same),
    patch by patch and through the subsets (2^4 subsets: at most half the patches of 8 copies)."""
    # points {e2, e1, e3} and {e1, e0}, `copies` times: the patches repeat, so the table path is taken
    X = torch.eye(4)[torch.tensor([[2, 1, 3], [1, 1, 0]]).repeat(copies, 1)]
    net = xor_cnn(4, 1, replicas=2)
    with torch.no_grad():
        net.W[:, 0].copy_(torch.tensor([0.5, 0.5, 0.5, 0.5]))  # w: every pattern ties
        net.W[:, 1].copy_(torch.tensor([0.2, 0.2, 0.1, 0.0]))  # u: e0 and e1 tie at the top
    table = net.prepare(X)
    with torch.no_grad():
        values, best = net.pooled_patterns(table)
    rows = table.patterns.argmax(-1).tolist()  # basis index of each table row
    assert sorted(rows) == [0, 1, 2, 3]
    present = [{2, 1, 3}, {1, 0}]
    for c in range(2):
        scores = net.W[0, c].detach()
        for s in range(2):
            top = max(float(scores[b]) for b in present[s])
            expected = min(rows.index(b) for b in present[s] if float(scores[b]) == top)
            assert int(best[0, c, s]) == expected
    # not the basis order
    assert best[0, :, :2].tolist() != [
        [rows.index(1), rows.index(0)],
        [rows.index(1), rows.index(0)],
    ]
    assert torch.equal(values, net.pooled(X)[0])
    assert bool(subset_calls) == subsets


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_pattern_search_trains_bit_identically_to_the_general_path(shared, batch_size):
    dist = OrthogonalPatterns(8, 12)
    X, y = dist.sample(60, seed=0) if shared else training_sets(dist, 60, 0, 4)
    a, b = (
        train(
            xor_cnn(12, 6, replicas=4, seed=1, pattern_search=ps),
            X,
            y,
            lr=0.05,
            steps=150,
            batch_size=batch_size,
            record_every=50,
            loss="hinge",
        )
        for ps in (True, False)
    )
    _same_result(a, b)
    assert a.fitted.any()


def _same_result(a, b):
    assert a.steps_run == b.steps_run
    assert torch.equal(a.loss, b.loss) and torch.equal(a.steps_to_fit, b.steps_to_fit)
    assert [s for s, _ in a.snapshots] == [s for s, _ in b.snapshots]
    for (_, pa), (_, pb) in zip(a.snapshots, b.snapshots):
        assert all(torch.equal(pa[k], pb[k]) for k in pa)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(steps=400),  # early stop of every replica
        dict(steps=5),  # step limit first
        dict(steps=60, early_stop=False, batch_size=8),
        dict(steps=400, record_every=3),
    ],
)
def test_deferred_syncs_change_nothing(monkeypatch, kwargs):
    """Checking the stop condition every 7 steps (as on a GPU) gives the same run as every step."""
    dist = OrthogonalPatterns(5, 8)
    X, y = dist.sample(30, seed=0)
    results = []
    for every in (1, 7):
        monkeypatch.setitem(training.SYNC_EVERY, "cpu", every)
        net = xor_cnn(8, 6, replicas=3, seed=2)
        results.append(train(net, X, y, lr=[0.05, 0.1, 0.3], loss="hinge", **kwargs))
        if every == 1:
            params = net.W.clone()
    assert torch.equal(params, net.W)
    _same_result(*results)
    if kwargs["steps"] == 400 and "batch_size" not in kwargs:
        assert results[0].fitted.all() and results[0].steps_run % 7 != 0  # the trim was exercised


def test_deferred_syncs_report_the_first_diverged_step(monkeypatch):
    dist = OrthogonalPatterns(4, 8)
    X, y = dist.sample(30, seed=0)
    messages = []
    for every in (1, 5):
        monkeypatch.setitem(training.SYNC_EVERY, "cpu", every)
        net = FullyConnected(32, 64, depth=3, replicas=2, seed=0)
        with pytest.raises(TrainingDivergedError) as exc:
            train(net, X * 1e6, y, lr=[1e-9, 1e10], steps=100, loss="logistic", early_stop=False)
        messages.append(str(exc.value))
    assert messages[0] == messages[1] and "replicas [1]" in messages[0]


@pytest.mark.parametrize("data", ["orthogonal", "noisy"])
def test_bench_baselines_train_the_same_models(data):
    """`python -m lib.bench` compares with a plain nn.Module (one seed at a time, torch.optim.Adam)
    and its torch.func.vmap batching: the same networks from the same weights, on the same
    minibatches, so the same training losses as the trainer (pattern-table and general path)."""
    from lib.bench import NaiveConvPool, Workload, _data, _model, measure

    w = Workload("tiny", data, 5, 8, 6, 80, 3, 6, 4)
    X, y = _data(w, "cpu")
    net = _model(w, "cpu")
    with torch.no_grad():
        naive = torch.stack([NaiveConvPool(net.W[r], net.a[r])(X[r]) for r in range(3)])
        assert torch.allclose(naive, net(X), atol=1e-6)
    rows = measure(w, "cpu")
    assert [r.impl for r in rows] == ["trainer", "nn.Module", "vmap"]
    assert all(r.loss_gap < 1e-5 for r in rows[1:]), [r.loss_gap for r in rows]
    assert all(r.seconds > 0 and r.flops > 0 for r in rows)


def test_bench_quick_prints_every_workload(capsys):
    """`python -m lib.bench --quick` runs end to end and prints the three runs of every workload, whose
    losses agree with the trainer's (Algorithm 1 in float64 included)."""
    from lib.bench import IMPLS, main, workloads

    assert main(["--quick", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    for w in workloads(True):
        lines = [line.split() for line in out.splitlines() if line.startswith(w.name + " ")]
        assert [line[1] for line in lines] == list(IMPLS), w.name
        assert all(float(line[-1]) < 1e-4 for line in lines[1:]), (w.name, lines)
    assert "plain torch.mm: float32" in out and "targets:" in out
    # the exact SVM's line: Fig. 3c's first training set at the quick size, a hard margin at optimum
    (svm,) = [line.split() for line in out.splitlines() if line.startswith("svm ")]
    assert svm[1] == "500" and svm[2] == "hard" and float(svm[3]) > 0 and float(svm[4]) <= 1e-9


def test_table_path_needs_repeated_patches_whatever_the_replica_count():
    """All-distinct patches (noise, or too few points) take the general path, alone or in a batch."""
    dist = NoisyOrthogonalPatterns(6, 10, noise=0.3)
    for replicas in (1, 8):
        X, _ = training_sets(dist, 40, 0, replicas)
        assert isinstance(xor_cnn(10, 2, replicas=replicas).prepare(X), PositionMajor)
    X, _ = OrthogonalPatterns(6, 10).sample(40, seed=0)
    assert isinstance(xor_cnn(10, 2).prepare(X), PatternTable)


@pytest.mark.parametrize(
    "make",
    [
        lambda: OrthogonalPatterns(6, 7).sample(300, seed=1)[0],
        lambda: OrthogonalPatterns(10, 20, basis="random", seed=2).sample(500, seed=1)[0],
        lambda: NoisyOrthogonalPatterns(4, 5, noise=0.5, basis="random", seed=3).sample(50, seed=1)[
            0
        ],
        lambda: torch.tensor(
            [[0.0, 1.0], [-1.0, 2.0], [0.0, 1.0], [-1.0, -2.0], [-1.0, 2.0]]
        ).unsqueeze(0),
    ],
)
def test_unique_rows_is_torch_unique(make):
    rows = make().reshape(-1, make().shape[-1])
    want, want_inverse = torch.unique(rows, dim=0, return_inverse=True)
    got, inverse = unique_rows(rows)
    assert torch.equal(got, want) and torch.equal(inverse, want_inverse)


def test_pattern_search_in_chunks_of_points_equals_one_pass(monkeypatch):
    """The pattern-table path gathers at most ConvPool.PATTERN_SCORES scores at a time (large
    evaluations go in chunks of points): the values and winners do not depend on the chunk."""
    dist = OrthogonalPatterns(6, 8)
    X = training_sets(dist, 50, 0, 3)[0]
    net = xor_cnn(8, 5, replicas=3, init_std=1.0, seed=2)
    table = net.prepare(X)
    whole = net.pooled_patterns(table)
    monkeypatch.setattr(type(net), "PATTERN_SCORES", 3 * 6 * 10 * 7)  # 7 points per chunk
    chunked = net.pooled_patterns(table)
    assert all(torch.equal(a, b) for a, b in zip(whole, chunked, strict=True))
    with torch.no_grad():
        net.W[0, 0, 0] = float("nan")
    best = net.pooled_patterns(table)[1]
    assert ((best >= 0) & (best < table.patterns.shape[0])).all()


def test_pattern_subsets_within_their_memory_cap(monkeypatch, subset_calls):
    """Through the subsets only when the R 2^U k subset maxima fit ConvPool.SUBSET_SCORES, and without
    autograd; patch by patch otherwise, with the same values and winners. A NaN score stays a NaN
    value with a valid winner."""
    X = training_sets(OrthogonalPatterns(6, 4), 50, 0, 3)[0]
    net = xor_cnn(4, 5, replicas=3, init_std=1.0, seed=2)
    table = net.prepare(X)
    with torch.no_grad():
        subsets = net.pooled_patterns(table)
        monkeypatch.setattr(type(net), "SUBSET_SCORES", 3 * 16 * 10 - 1)
        rows = net.pooled_patterns(table)
    assert subset_calls == [4] and all(
        torch.equal(a, b) for a, b in zip(subsets, rows, strict=True)
    )
    monkeypatch.setattr(type(net), "SUBSET_SCORES", 1 << 25)
    assert all(torch.equal(a, b) for a, b in zip(net.pooled_patterns(table), rows, strict=True))
    assert subset_calls == [4]  # autograd on: patch by patch
    with torch.no_grad():
        net.W[0, 0, 0] = float("nan")
        values, best = net.pooled_patterns(table)
    assert subset_calls == [4, 4]
    assert values[0, 0].isnan().any() and ((best >= 0) & (best < 4)).all()
