"""MatrixFactorization and its tools on synthetic ratings from known low-rank factors: it must beat the
baselines, recover the planted item groups, handle cold start, and refuse bad input with clear errors."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.models import MatrixFactorization
from chainrule.recommender import (
    BiasBaseline,
    GlobalMean,
    Ratings,
    fit_ratings,
    mae,
    ranking_metrics,
    rmse,
    split_by_time,
    split_random,
    synthetic_ratings,
)


@pytest.fixture(scope="module")
def trained():
    data, groups = synthetic_ratings(n_users=300, n_items=400, n_ratings=30_000, n_groups=8, noise=0.5, seed=1)
    rest, test = split_random(data, 0.2, seed=0)
    train, val = split_random(rest, 0.1, seed=1)
    model = MatrixFactorization(data.n_users, data.n_items, dim=16)
    cr.manual_seed(0)
    history = fit_ratings(model, train, val, seed=0)
    return {"data": data, "groups": groups, "train": train, "val": val, "test": test, "model": model,
            "history": history}


def test_beats_global_mean_and_bias_baseline_on_held_out_ratings(trained):
    train, test, model = trained["train"], trained["test"], trained["model"]
    mf = model.predict(test.users, test.items)
    mean = GlobalMean().fit(train).predict(test.users, test.items)
    bias = BiasBaseline().fit(train).predict(test.users, test.items)
    assert rmse(mf, test.ratings) < rmse(bias, test.ratings) - 0.05 < rmse(mean, test.ratings) - 0.1
    assert mae(mf, test.ratings) < mae(bias, test.ratings) < mae(mean, test.ratings)
    h = trained["history"].history
    assert len(h["val_loss"]) < 40 and min(h["val_loss"]) < h["val_loss"][0]  # it learned, and stopped early


def test_items_planted_as_similar_come_back_as_nearest_neighbours(trained):
    model, groups, train = trained["model"], trained["groups"], trained["train"]
    counts = np.bincount(train.items, minlength=train.n_items)
    queries = np.argsort(-counts)[:40]  # items with enough ratings to have learned embeddings
    same = [np.mean(groups[model.similar_items(int(q), k=5)[0]] == groups[q]) for q in queries]
    assert np.mean(same) > 0.7  # chance: about 1/8


def test_ranking_metrics_beat_a_random_ranking(trained):
    train, test, model = trained["train"], trained["test"], trained["model"]
    got = ranking_metrics(model.scores, train, test, k=10)
    rng = np.random.default_rng(0)
    chance = ranking_metrics(lambda u: rng.random(train.n_items), train, test, k=10)
    for key in ("precision@10", "recall@10", "ndcg@10"):
        assert 0 <= chance[key] < got[key] <= 1
    assert got["users"] == chance["users"] > 100


def test_forward_is_dot_product_plus_biases():
    model = MatrixFactorization(4, 5, dim=3)
    with cr.no_grad():
        model.user_bias.weight.normal_()
        model.item_bias.weight.normal_()
        model.global_bias.fill_(3.5)
    pairs = np.array([[0, 1], [3, 4], [2, 0]])
    P, Q = model.user_factors.weight.detach().numpy(), model.item_factors.weight.detach().numpy()
    bu, bi = model.user_bias.weight.detach().numpy()[:, 0], model.item_bias.weight.detach().numpy()[:, 0]
    expected = (P[pairs[:, 0]] * Q[pairs[:, 1]]).sum(1) + bu[pairs[:, 0]] + bi[pairs[:, 1]] + 3.5
    np.testing.assert_allclose(model(cr.tensor(pairs)).detach().numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(pairs[:, 0], pairs[:, 1]), expected, rtol=1e-6)
    plain = MatrixFactorization(4, 5, dim=3, biases=False)
    assert [n for n, _ in plain.named_parameters()] == ["user_factors.weight", "item_factors.weight"]
    out = plain(cr.tensor(pairs))
    out.sum().backward()
    assert plain.user_factors.weight.grad is not None


def test_recommend_leaves_out_seen_items_and_is_sorted():
    data = Ratings([0, 0, 1, 1, 2], [0, 1, 1, 2, 3], [5.0, 4.0, 3.0, 5.0, 2.0], 4, 5)
    model = MatrixFactorization(4, 5, dim=2).remember(data)
    items, scores = model.recommend(0, k=2)
    assert set(items.tolist()) <= {2, 3} and len(items) == 2  # not 0, 1 (seen) nor 4 (no ratings)
    assert np.all(np.diff(scores) <= 0)
    assert sorted(model.recommend(0, k=4, exclude_seen=False)[0].tolist()) == [0, 1, 2, 3]


def test_cold_start_user_and_item_get_answers_not_index_errors():
    data = Ratings([0, 0, 1, 1], [0, 1, 1, 2], [5.0, 1.0, 4.0, 5.0], 3, 4)  # user 2 and item 3: no ratings
    model = MatrixFactorization(3, 4, dim=2)
    fit_ratings(model, data, epochs=3, patience=None)
    _, _, mu = model._bias_arrays()
    bi = model.item_bias.weight.detach().numpy()[:, 0]
    np.testing.assert_allclose(model.predict([2], [1]), mu + bi[1], rtol=1e-6)  # the new user: mu + b_i
    np.testing.assert_allclose(model.predict([2], [3]), mu, rtol=1e-6)  # nothing known: the mean
    items, scores = model.recommend(2, k=3)  # a new user gets the best-liked items
    assert items.tolist() == list(np.argsort(-bi[:3], kind="stable")) and not model.known_users[2]
    with pytest.raises(ValueError, match="item 3 had no ratings in the training data"):
        model.similar_items(3)


def test_bad_input_names_the_value():
    model = MatrixFactorization(3, 4, dim=2)
    with pytest.raises(ValueError, match="user id 7 is out of range; the model knows users 0 to 2"):
        model(cr.tensor([[7, 0]]))
    with pytest.raises(ValueError, match="item id -1 is out of range"):
        model.predict([0], [-1])
    with pytest.raises(ValueError, match="user id 3 is out of range"):
        model.recommend(3)
    with pytest.raises(ValueError, match=r"recommend: k=5 is larger than the number of candidates: user 0 has 4"):
        model.recommend(0, k=5)
    with pytest.raises(ValueError, match="k=4 is larger.*3 other items"):
        model.similar_items(0, k=4)
    with pytest.raises(ValueError, match="k must be a positive int, got 0"):
        model.recommend(0, k=0)
    with pytest.raises(ValueError, match=r"expected \(N, 2\) \[user, item\] pairs, got shape \(3,\)"):
        model(cr.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="n_users must be a positive int, got 0"):
        MatrixFactorization(0, 4, 2)


def test_bad_rating_tables():
    with pytest.raises(ValueError, match=r"row 1: rating nan is not a finite number"):
        Ratings([0, 1], [0, 1], [4.0, np.nan])
    with pytest.raises(ValueError, match=r"row 0: user id 5 is out of range; expected 0 to 2"):
        Ratings([5], [0], [4.0], n_users=3, n_items=2)
    with pytest.raises(ValueError, match="differ in length"):
        Ratings([0, 1], [0], [4.0])
    empty = Ratings([], [], [], 3, 3)
    with pytest.raises(ValueError, match="the training ratings are empty"):
        fit_ratings(MatrixFactorization(3, 3, 2), empty)
    with pytest.raises(ValueError, match="the table is empty"):
        rmse([], [])
    with pytest.raises(ValueError, match="k must be an int from 1 to the number of items"):
        ranking_metrics(lambda u: np.zeros(3), Ratings([0], [0], [5.0], 1, 3), Ratings([0], [1], [5.0], 1, 3), k=4)
    too_small = MatrixFactorization(1, 1, 2)
    with pytest.raises(ValueError, match="have 1 users and 3 items, the model only 1 and 1"):
        fit_ratings(too_small, Ratings([0], [2], [5.0], 1, 3))


def test_splits_random_and_by_time():
    data, _ = synthetic_ratings(n_users=50, n_items=60, n_ratings=1500, seed=0)
    data.timestamps = np.random.default_rng(0).permutation(len(data)) // 3  # ties too
    train, test = split_random(data, 0.25, seed=3)
    n_test = round(len(data) * 0.25)
    assert (len(train), len(test)) == (len(data) - n_test, n_test)
    key = lambda r: set(zip(r.users.tolist(), r.items.tolist()))  # noqa: E731
    assert key(train) | key(test) == key(data) and not key(train) & key(test)
    early, late = split_by_time(data, 0.2)
    assert len(late) == round(len(data) * 0.2) and early.timestamps.max() <= late.timestamps.min()
    assert split_by_time(data, 0.2)[1].ratings.tolist() == late.ratings.tolist()  # deterministic
    with pytest.raises(ValueError, match="no timestamps"):
        split_by_time(Ratings([0], [0], [1.0]))
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\), got 1.5"):
        split_random(data, 1.5)


def test_bias_baseline_without_shrinkage_is_least_squares():
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 6, 60), rng.integers(0, 5, 60)
    ratings = 3 + 0.5 * users - 0.3 * items + rng.normal(0, 0.1, 60)
    data = Ratings(users, items, ratings, 6, 5)
    model = BiasBaseline(reg_items=0, reg_users=0, epochs=500).fit(data)
    X = np.concatenate([np.eye(6)[users], np.eye(5)[items]], axis=1)
    coef = np.linalg.lstsq(X, ratings.astype(np.float32) - data.mean(), rcond=None)[0]
    best = np.mean((X @ coef + data.mean() - data.ratings) ** 2)
    assert np.mean((model.predict(users, items) - data.ratings) ** 2) == pytest.approx(best, rel=1e-4)


def test_ranking_metrics_by_hand():
    train = Ratings([0, 1, 1, 1, 1], [0, 0, 1, 2, 3], [5.0, 5.0, 1.0, 1.0, 1.0], 2, 5)
    test = Ratings([0, 0, 1], [1, 2, 4], [5.0, 4.0, 2.0], 2, 5)  # user 1's only test item is not relevant
    scores = {0: np.array([9.0, 0.0, 1.0, 3.0, 2.0])}  # candidates 1, 2, 3 (0 seen, 4 unknown): 3, 2, 1
    got = ranking_metrics(lambda u: scores[u], train, test, k=3, threshold=4.0)  # item 4: no training ratings
    assert got["users"] == 1
    assert got["precision@3"] == pytest.approx(2 / 3) and got["recall@3"] == 1.0
    assert got["ndcg@3"] == pytest.approx((1 / np.log2(3) + 1 / np.log2(4)) / (1 + 1 / np.log2(3)))


def test_forward_and_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    model = MatrixFactorization(5, 6, dim=4)
    with cr.no_grad():
        model.user_bias.weight.normal_()
        model.item_bias.weight.normal_()
        model.global_bias.fill_(3.0)
    pairs = np.array([[0, 1], [3, 5], [0, 1], [4, 0], [3, 2]])  # repeated rows: gradients must accumulate
    target = np.array([4.0, 2.0, 5.0, 1.0, 3.0], dtype=np.float32)
    loss = cr.nn.MSELoss()(model(cr.tensor(pairs)), cr.tensor(target))
    loss.backward()
    weights = {n: torch.tensor(p.detach().numpy().astype(np.float64), requires_grad=True)
               for n, p in model.named_parameters()}
    u, i = torch.tensor(pairs[:, 0]), torch.tensor(pairs[:, 1])
    pred = ((weights["user_factors.weight"][u] * weights["item_factors.weight"][i]).sum(-1)
            + weights["user_bias.weight"][u, 0] + weights["item_bias.weight"][i, 0] + weights["global_bias"])
    expected = torch.nn.functional.mse_loss(pred, torch.tensor(target, dtype=torch.float64))
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), weights[name].grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_defaults_also_beat_the_bias_baseline_on_a_small_table():
    # the default weight decay scales with 1 / the number of ratings: a fixed one under-regularised this table
    data, _ = synthetic_ratings(n_users=200, n_items=150, n_ratings=8000, min_per_user=10, seed=7)
    rest, test = split_random(data, 0.2, seed=0)
    train, val = split_random(rest, 0.05, seed=1)
    model = MatrixFactorization(data.n_users, data.n_items, dim=32)
    cr.manual_seed(0)
    fit_ratings(model, train, val)
    bias = BiasBaseline().fit(train).predict(test.users, test.items)
    assert rmse(model.predict(test.users, test.items), test.ratings) < rmse(bias, test.ratings) - 0.005
