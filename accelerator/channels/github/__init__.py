"""The GitHub channel: every pull request is one conversation, handled exactly once and in order.

- `events.py`: the registry from `event.action` to a handler (Probot style), the one `Context` each
  handler gets, and who and what the bot answers (addressed commands, never bots, never itself);
- `settings.py`: the environment (`GITHUB_WEBHOOK_SECRET`, `GITHUB_TOKEN`, `GITHUB_API_URL`, ...);
- `client.py`: the PyGithub client (writes spaced per installation, rate limits honoured) and the
  collaborator permission check;
- `snapshot.py`: a PR head read through the API into a scratch tree (config, ERDs, policy, history);
- `commits.py`: one commit per turn through the Git Data API, fast-forward only, its trailer;
- `merge.py`: a three-way line merge of a hand edit that landed while a turn was being committed;
- `checks.py`: the check run `accelerator/governance` and its annotations, in batches of 50;
- `summary.py`: the sticky summary comment and the replies, found by hidden markers;
- `pipeline.py`: the turns (a push, a command comment, a close) on top of `ConversationSession`;
- `intake.py` and `workers.py`: `accelerator serve` (signed webhooks stored in the deliveries
  queue, answered 202; workers that claim each conversation's deliveries in arrival order);
- `command.py`: the `serve` command (webhook server) and the `bot` command (one Actions event).
"""
