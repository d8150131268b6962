"""Benchmark tooling: a large-forum generator and a server benchmark. Not shipped."""
