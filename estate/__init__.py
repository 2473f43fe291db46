"""Operator tooling for the estate: offline plan, checks, diff, graph, doctor, backend."""
