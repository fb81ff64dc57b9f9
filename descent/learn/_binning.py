"""Quantile binning: every feature mapped to at most `max_bins` small integer codes.

Histogram-based trees (LightGBM, Ke et al. 2017; scikit-learn's HistGradientBoosting)
search splits over bins rather than over sorted values: a node's gradient statistics
per bin are one `np.bincount`, and a split "after bin b" is a cumulative sum. With
thresholds at quantiles, each bin holds about the same number of samples.
"""
import numpy as np

SUBSAMPLE = 200_000  # rows used to place the thresholds, as in scikit-learn


def find_bin_thresholds(X, max_bins, rng):
    """Per feature, the sorted thresholds between bins (a list of 1-D float arrays).

    X : (n_samples, n_features). A feature with at most `max_bins` distinct values gets
    the midpoints between consecutive values (every value its own bin); otherwise the
    thresholds are the quantiles at 1/max_bins, 2/max_bins, ... (the "averaged inverted
    cdf": halfway between order statistics where the cdf is flat, as scikit-learn does).
    A value x falls in bin b when thresholds[b-1] < x <= thresholds[b].
    """
    if not isinstance(max_bins, (int, np.integer)) or not 2 <= max_bins <= 255:
        raise ValueError(f"binning: max_bins must be an int in [2, 255], got {max_bins!r}.")
    if len(X) > SUBSAMPLE:
        X = X[rng.choice(len(X), SUBSAMPLE, replace=False)]
    quantiles = np.linspace(0, 100, max_bins + 1)[1:-1] / 100
    thresholds = []
    for column in X.T:
        ordered = np.sort(column)                           # one sort serves both cases
        distinct = ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]
        if len(distinct) <= max_bins:
            cuts = (distinct[:-1] + distinct[1:]) / 2
        else:
            cuts = np.unique(_averaged_inverted_cdf(ordered, quantiles))
        thresholds.append(cuts)
    return thresholds


def _averaged_inverted_cdf(ordered, quantiles):
    """Quantiles of sorted data, `np.percentile(..., method="averaged_inverted_cdf")`
    (Hyndman & Fan's type 2) without sorting again: the order statistic at n*q, or the
    mean of the two around it when n*q is a whole number."""
    n = len(ordered)
    position = n * quantiles - 1
    below = np.floor(position)
    whole = position == below
    low = ordered[np.clip(below, 0, n - 1).astype(np.intp)]
    high = ordered[np.clip(below + 1, 0, n - 1).astype(np.intp)]
    # high - (high - low) / 2 is how NumPy interpolates halfway, to the last bit.
    return np.where(whole, high - (high - low) * 0.5, high)


def apply_bins(X, thresholds):
    """(n_features, n_samples) uint8 bin codes of X (n_samples, n_features), feature-major
    so that one feature's codes for a set of rows are a contiguous gather."""
    codes = np.empty((X.shape[1], X.shape[0]), dtype=np.uint8)
    for j, cuts in enumerate(thresholds):
        codes[j] = np.searchsorted(cuts, X[:, j], side="left")
    return codes
