"""The faster paths of the heavy analyses give the very numbers of the plain ones.

- the silhouette of :func:`score_ks` measured on distances computed once
  (:class:`SilhouetteSample`) equals scikit-learn's ``silhouette_score``, bit for bit;
- the scenario's shift (:func:`_shift_to`, a bisection that skips the steps whose
  verdict a bracket around the root decides) equals the plain bisection on
  ``np.average``, bit for bit;
- importing the clustering module does not load scikit-learn.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from cxresearch.analyses import clustering
from cxresearch.analyses.clustering import SilhouetteSample, silhouette
from cxresearch.analyses.driver_model import _shift_to


def plain_shift(ratings, weights, target, top):
    """The scenario's shift as first written: 50 bisection steps on np.average."""
    if not np.isfinite(target) or np.average(ratings, weights=weights) >= target:
        return 0.0
    low, high = 0.0, float(top - ratings.min())
    for _ in range(50):
        middle = (low + high) / 2
        if np.average(np.minimum(top, ratings + middle), weights=weights) < target:
            low = middle
        else:
            high = middle
    return high


def shift_cases(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        top = float(rng.choice([5.0, 7.0, 10.0]))
        n = int(rng.integers(1, 400))
        ratings = rng.integers(0 if top == 10 else 1, int(top) + 1, n).astype(float)
        if rng.random() < 0.2:  # ratings off the scale points, e.g. means of items
            ratings = np.round(rng.uniform(1, top, n), 3)
        weights = rng.multinomial(n, np.full(n, 1 / n)) * rng.uniform(0.2, 3, n)
        weights[rng.integers(n)] += 1  # at least one respondent counts
        mean = np.average(ratings, weights=weights)
        target = rng.choice([top, np.nextafter(top, 0), mean + (top - mean) * rng.random()])
        yield ratings, weights, float(target), top


@pytest.mark.parametrize("seed", [0, 1])
def test_the_bracketed_bisection_finds_the_plain_bisections_shift_bit_for_bit(seed):
    for ratings, weights, target, top in shift_cases(seed, 400):
        assert _shift_to(ratings, weights, target, top) == plain_shift(
            ratings, weights, target, top
        )


def test_a_goal_already_reached_or_unknown_needs_no_shift():
    ratings, weights = np.array([3.0, 4.0, 5.0]), np.ones(3)
    assert _shift_to(ratings, weights, 3.5, 5.0) == 0.0
    assert _shift_to(ratings, weights, np.nan, 5.0) == 0.0
    # the top as the goal: everyone raised to it
    assert _shift_to(ratings, weights, 5.0, 5.0) == plain_shift(ratings, weights, 5.0, 5.0) == 2.0


def blobs(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (4, 5))
    return centres[rng.integers(0, 4, n)] + rng.normal(size=(n, 5))


@pytest.mark.parametrize("n, sample", [(300, 5_000), (240, 100)])
def test_the_silhouette_on_shared_distances_is_scikit_learns_bit_for_bit(n, sample, monkeypatch):
    monkeypatch.setattr(clustering, "SILHOUETTE_SAMPLE", sample)  # 100: a subsample
    z = blobs(n, seed=n)
    shared = SilhouetteSample(z, random_state=3)
    for k in range(2, 7):
        labels = KMeans(n_clusters=k, n_init=2, random_state=k).fit_predict(z)
        expected = silhouette_score(z, labels, sample_size=min(sample, n), random_state=3)
        assert silhouette(z, labels, 3, shared) == float(expected)
        assert silhouette(z, labels, 3) == float(expected)


def test_one_segment_scores_zero_without_computing_distances():
    z = blobs(50, seed=1)
    shared = SilhouetteSample(z, random_state=0)
    assert silhouette(z, np.zeros(50, dtype=int), 0, shared) == 0.0
    assert "distances" not in vars(shared)


def test_importing_the_clustering_module_does_not_load_scikit_learn():
    code = (
        "import sys, cxresearch.analyses.clustering as c; "
        "assert not [m for m in sys.modules if m.startswith('sklearn')], 'sklearn loaded'; "
        "from cxresearch.analyses.clustering import RespondentCentring; "
        "assert RespondentCentring.__module__ == c.__name__; "
        "assert 'sklearn.base' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_estimators_defined_on_first_use_pickle_and_clone():
    import pickle

    from sklearn.base import clone

    from cxresearch.analyses.clustering import AgglomerativeSegmenter, RespondentCentring

    centring = RespondentCentring(("a", "b"), ((1, 5), (1, 5)))
    assert type(pickle.loads(pickle.dumps(centring))) is RespondentCentring
    assert clone(AgglomerativeSegmenter(n_clusters=3)).get_params() == {"n_clusters": 3}
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        clustering.Nothing  # noqa: B018
