"""The demo: an embedded stack, a realistic corpus, the worker, and a summary."""
