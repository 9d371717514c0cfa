"""A proxmoxer client from the same environment variables as the Pulumi provider."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from proxmoxer import ProxmoxAPI

from components.errors import ConfigError


@dataclass(frozen=True)
class Credentials:
    """Where the API is and how to log in: an API token, or a user and password (ticket)."""

    host: str
    port: int
    token: str | None = None
    """``user@realm!tokenid=secret``, the provider's ``PROXMOX_VE_API_TOKEN`` format."""
    username: str | None = None
    password: str | None = None
    verify: bool | str = True
    """Verify TLS (``True``), don't (``False``), or trust this CA bundle file."""

    def __repr__(self) -> str:  # never print the secrets
        return f"Credentials(host={self.host!r}, port={self.port}, verify={self.verify!r})"

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, ca_file: str | None = None
    ) -> Credentials:
        """Read ``PROXMOX_VE_ENDPOINT``, ``PROXMOX_VE_API_TOKEN`` (or ``_USERNAME`` and
        ``_PASSWORD``) and ``PROXMOX_VE_INSECURE``."""
        env = os.environ if env is None else env
        endpoint = env.get("PROXMOX_VE_ENDPOINT", "")
        url = urlsplit(endpoint)
        if url.scheme != "https" or not url.hostname:
            raise ConfigError(
                "PROXMOX_VE_ENDPOINT", f"{endpoint!r} is not an https URL", "https://host:8006/"
            )
        token = env.get("PROXMOX_VE_API_TOKEN") or None
        username = env.get("PROXMOX_VE_USERNAME") or None
        password = env.get("PROXMOX_VE_PASSWORD") or None
        if token is not None and ("!" not in token or "=" not in token):
            raise ConfigError("PROXMOX_VE_API_TOKEN", "malformed token", "user@realm!id=secret")
        if token is None and (username is None or password is None):
            raise ConfigError(
                "PROXMOX_VE_API_TOKEN",
                "no credentials",
                "PROXMOX_VE_API_TOKEN, or PROXMOX_VE_USERNAME and PROXMOX_VE_PASSWORD",
            )
        insecure = env.get("PROXMOX_VE_INSECURE", "").lower() in ("1", "true", "yes")
        verify: bool | str = ca_file if ca_file else not insecure
        return cls(url.hostname, url.port or 8006, token, username, password, verify)

    def connect(self, timeout: float = 10.0) -> ProxmoxAPI:
        """A proxmoxer client; a ticket login happens here, a token is sent on each request."""
        common = {"port": self.port, "verify_ssl": self.verify, "timeout": timeout}
        if self.token is not None:
            user_token, secret = self.token.split("=", 1)
            user, token_name = user_token.split("!", 1)
            return ProxmoxAPI(
                self.host, user=user, token_name=token_name, token_value=secret, **common
            )
        return ProxmoxAPI(self.host, user=self.username, password=self.password, **common)
