"""skfmnist's benchmarks, run as ``python -m benchmarks.<script>``: see benchmarks/README.md."""
