"""Classic estimators with the scikit-learn API (fit / predict / transform / score)."""
