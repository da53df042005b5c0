"""Edges: test servers that answer as a real product would where it differs from the suite's stand-ins."""
