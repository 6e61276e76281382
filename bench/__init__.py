"""Benchmarks of llmkg at scale: a generator of synthetic records (``python -m bench.generate``)
and the benchmark runner (``python -m bench``). See bench/README.md and bench/RESULTS.md."""
