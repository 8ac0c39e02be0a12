"""skfmnist's benchmarks: ``python -m benchmarks.scaling`` (see benchmarks/README.md)."""
