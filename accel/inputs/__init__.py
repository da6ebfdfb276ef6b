"""Inputs: photos, digits data, preprocessing, evaluation and benchmark workloads."""
