"""Channels adapt the outside world to the agent: `cli` (a terminal session on a working tree)."""
