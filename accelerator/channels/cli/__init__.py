"""The terminal channel: the `accelerator` commands on a working tree.

`app` (shared options, output, exit codes), `inputs` (the user's config, ERD and policy files),
`project` (init with `scaffold`, check, generate, plan), `chat` (a conversation on the working tree,
mirrored by `worktree`) and `memory` (sessions, memory ...). Each module declares its own commands;
the root `accelerator.cli` assembles them into the `accelerator` program.
"""
