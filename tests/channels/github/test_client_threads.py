"""The bot's workers share one `PullRequestBot`; PyGithub's connection is not thread-safe (a client
shared by threads can send one thread's request with another's verb, URL and body:
PyGithub/PyGithub#2052), so each worker thread gets its own client, with the same configuration."""

from __future__ import annotations

import threading

from github import Github

from tests.channels.github.conftest import Harness


def test_each_worker_thread_has_its_own_client_with_the_same_settings(harness: Harness) -> None:
    clients: list[Github] = []

    def take() -> None:
        clients.append(harness.bot.github)
        assert harness.bot.github is clients[-1]  # the same one for the rest of the thread's life

    threads = [threading.Thread(target=take) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client.requester) for client in clients}) == 3
    configured = harness.bot._github.requester  # what serve made: token, retries, write spacing
    for client in clients:
        assert client.requester.kwargs == {**configured.kwargs, "lazy": True}
        assert client.requester.base_url == configured.base_url
