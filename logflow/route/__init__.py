"""The route room: which daily index (and which copies) a finished document goes to.

May import: ``logflow.event``, ``logflow.errors``, ``logflow.config`` and the stages before it.
"""
