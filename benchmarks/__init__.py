"""Benchmarks: each one command that prints its numbers and saves them under benchmarks/results/."""
