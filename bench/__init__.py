"""Benchmarks (not timed tests): run them by hand, report their figures in the README."""
