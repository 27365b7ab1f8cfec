"""The capacity fit: the vectorised fit of many series is the scalar fit of each; binning keeps the answer."""

from __future__ import annotations

import numpy as np

from patrol.history import forecast as fc


def _series(rng: np.random.Generator, n: int, reset: bool) -> tuple[np.ndarray, np.ndarray]:
    days = np.sort(rng.choice(np.arange(400.0), n, replace=False)) + rng.random()  # gaps, not at midnight
    used = 30 + 0.1 * days + rng.normal(0, 1, n)
    if reset:
        used[n // 2 :] -= 15  # a clean-up: only the last segment is fitted
    return days, used


def test_many_series_at_once_equal_each_series_alone() -> None:
    rng = np.random.default_rng(5)
    series = [_series(rng, int(rng.integers(3, 250)), k % 4 == 0) for k in range(120)]
    series.append((np.array([0.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 9.0]), np.linspace(50, 60, 9)))  # same time twice
    days, used = np.concatenate([d for d, _ in series]), np.concatenate([u for _, u in series])
    hi = np.cumsum([len(d) for d, _ in series])
    lo = hi - [len(d) for d, _ in series]
    keys = [("h", "volume", f"/v{k}") for k in range(len(series))]
    many = fc._fit_many(keys, lo, hi, days, used, 85.0, 365)
    alone = [fc._fit(d - d[0], u, 85.0, key, 365) for (d, u), key in zip(series, keys, strict=True)]
    assert many == alone
    assert {f.status for f in many} >= {"ok", "too_few_points"}


def test_binning_keeps_days_to_threshold() -> None:
    rng = np.random.default_rng(7)
    days = np.arange(365.0)
    used = 20 + 0.1 * days + rng.normal(0, 0.5, len(days))
    binned = fc._fit(days, used, 85.0, ("h", "volume", "/v"), 3650)
    assert binned.points == 365  # observations, not bins
    x, y = days, used
    exact = np.median(fc._pairwise_slopes(x, y))  # Theil-Sen over every pair
    level = float(np.median(y - exact * x)) + exact * x[-1]
    assert binned.days is not None and abs(binned.days - (85 - level) / exact) <= 0.02 * binned.days
    assert binned.days_low is not None and binned.days_high is not None
    assert binned.days_low <= binned.days <= binned.days_high


def test_series_points_are_put_in_time_order() -> None:
    offsets = np.array([0, 3, 6])
    stamps = np.array([3, 1, 2, 5, 6, 7])
    values = np.array([30.0, 10.0, 20.0, 5.0, 6.0, 7.0])
    sorted_stamps, sorted_values = fc._by_time(offsets, stamps, values)
    assert sorted_stamps.tolist() == [1, 2, 3, 5, 6, 7] and sorted_values.tolist() == [10, 20, 30, 5, 6, 7]
    same = fc._by_time(offsets, sorted_stamps, sorted_values)
    assert same[0] is sorted_stamps  # already sorted: no copy
