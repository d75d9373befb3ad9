"""The kernel every room may use: settings, the clock, the database, read-only rows and the HTTP kernel.

It imports no room and nothing of the composition root (``meiji``).
"""
