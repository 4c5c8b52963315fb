"""Benchmarks: they print figures and never pass or fail (`make bench`, `python -m bench`)."""
