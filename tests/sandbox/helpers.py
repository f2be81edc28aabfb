"""Setup shared by the sandbox's tests and the tests that run the bot against a sandbox: PyGithub acting as a
user, an App's RSA key, a port nothing listens on. No import of the sandbox itself, so a test can import
these before it starts one."""

from __future__ import annotations

import socket

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from github import Auth, Github


def github_as(api_url: str, login: str) -> Github:
    """PyGithub acting as `login` (the sandbox takes a login as its token), without retries or pacing."""
    return Github(
        base_url=api_url,
        auth=Auth.Token(login),
        retry=None,
        seconds_between_requests=None,  # PyGithub paces GitHub.com writes at 1 s; the sandbox needs none
        seconds_between_writes=None,
    )


def rsa_private_key() -> str:
    """A new 2048-bit RSA key in PEM (traditional OpenSSL), as an App's private key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def closed_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago and that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
