"""Channels adapt the outside world to the agent: `cli` (the terminal, on a working tree)."""
