"""Quality: drift, accuracy, thresholds and gates (arrays in, verdicts out; no runner imports)."""
