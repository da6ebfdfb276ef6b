"""Backends: the Runner interface, the registry, and one folder per runtime."""
