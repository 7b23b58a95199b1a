"""Whether a Redis or MongoDB URL would send data in plain text to another machine.

With REQUIRE_TLS (on in the Docker image) settings refuse such a URL at start, naming the
variable: the specification requires TLS to both. Loopback and unix sockets never leave the host."""
from __future__ import annotations

import ipaddress
from urllib.parse import parse_qs, urlsplit

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hosts(netloc: str) -> list[str]:
    """Host names of a URL's netloc, credentials and ports left out (MongoDB may list several)."""
    hosts = []
    for entry in netloc.rsplit("@", 1)[-1].split(","):
        if entry.startswith("["):
            hosts.append(entry[1:entry.index("]")])
        else:
            hosts.append(entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry)
    return [h for h in hosts if h]


def _flag(query: dict[str, list[str]], *names: str) -> bool | None:
    for name in names:
        for key, values in query.items():
            if key.lower() == name.lower() and values:
                return values[-1].lower() in ("true", "1", "yes")
    return None


def plain_text_problems(redis_url: str | None, mongodb_uri: str | None) -> list[str]:
    """One line per URL that would cross the network unencrypted. Unset URLs (the embedded
    services) and loopback hosts are fine. Only host names are named, never credentials."""
    problems = []
    if redis_url and redis_url.startswith("redis://"):
        remote = [h for h in _hosts(urlsplit(redis_url).netloc) if not is_loopback(h)] or []
        if remote or not _hosts(urlsplit(redis_url).netloc):
            where = remote[0] if remote else "the default host"
            problems.append(f"REDIS_URL: plain-text redis:// to {where} is refused because REQUIRE_TLS is on; "
                            "use rediss:// (or set REQUIRE_TLS=false)")
    if mongodb_uri:
        parts = urlsplit(mongodb_uri)
        tls = _flag(parse_qs(parts.query), "tls", "ssl")
        encrypted = tls if tls is not None else parts.scheme == "mongodb+srv"  # +srv turns TLS on by default
        remote = [h for h in _hosts(parts.netloc) if not is_loopback(h)]
        if not encrypted and remote:
            problems.append(f"MONGODB_URI: plain-text connection to {remote[0]} is refused because REQUIRE_TLS is "
                            "on; add tls=true (mongodb+srv:// has it by default) or set REQUIRE_TLS=false")
    return problems
