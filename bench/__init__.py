"""Benchmarks for Kindred's matching library (``python -m bench.matching``)."""
