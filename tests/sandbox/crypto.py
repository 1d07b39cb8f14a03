"""Key material of the sandbox: the TLS CA/certificate and the password-encryption key.

Both are generated once per process (key generation dominates start-up time) and
written to each sandbox's own state directory.
"""

from __future__ import annotations

import base64
import binascii
import functools
from pathlib import Path

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: Names the server certificate is valid for.
CERT_NAMES = (
    "i.instagram.com",
    "b.i.instagram.com",
    "*.instagram.com",
    "instagram.com",
    "*.cdninstagram.com",  # the image CDN (cdn.py)
    "127.0.0.1",
    "localhost",
)

#: `ig-set-password-encryption-key-id` handed out with the public key.
PASSWORD_KEY_ID = 41

_GCM_IV = 12
_GCM_TAG = 16


@functools.cache
def _tls_material() -> tuple[bytes, bytes, bytes]:
    ca = trustme.CA(organization_name="ig_autoliker sandbox CA")
    cert = ca.issue_cert(*CERT_NAMES)
    chain = b"".join(blob.bytes() for blob in cert.cert_chain_pems)
    return ca.cert_pem.bytes(), chain, cert.private_key_pem.bytes()


def write_tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """Write ca.pem, server.pem and server.key into `directory`; return their paths."""
    ca_pem, chain, key = _tls_material()
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
    )
    ca_path.write_bytes(ca_pem)
    cert_path.write_bytes(chain)
    key_path.write_bytes(key)
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


@functools.cache
def _password_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def password_public_key_header() -> str:
    """`ig-set-password-encryption-pub-key`: base64 of the PEM public key."""
    pem = (
        _password_key()
        .public_key()
        .public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return base64.b64encode(pem).decode()


def decrypt_password(enc_password: str) -> str | None:
    """Recover the password from Instagram's `#PWD_INSTAGRAM:<v>:<time>:<payload>`.

    Version 0 carries the password in clear; version 4 is what instagrapi sends:
    0x01, key id, 12-byte IV, 2-byte little-endian RSA length, RSA-PKCS1v15(session
    key), 16-byte GCM tag, AES-256-GCM(password) with the timestamp as associated data.
    Returns None when the value cannot be decrypted.
    """
    parts = enc_password.split(":", 3)
    if len(parts) != 4 or parts[0] not in {"#PWD_INSTAGRAM", "#PWD_INSTAGRAM_BROWSER"}:
        return None
    _, version, timestamp, payload = parts
    if version == "0":
        return payload
    try:
        raw = base64.b64decode(payload, validate=True)
        if raw[0] != 1 or raw[1] != PASSWORD_KEY_ID:
            return None
        iv = raw[2 : 2 + _GCM_IV]
        offset = 2 + _GCM_IV
        size = int.from_bytes(raw[offset : offset + 2], "little")
        offset += 2
        session_key = _password_key().decrypt(
            raw[offset : offset + size], padding.PKCS1v15()
        )
        offset += size
        tag, ciphertext = raw[offset : offset + _GCM_TAG], raw[offset + _GCM_TAG :]
        plain = AESGCM(session_key).decrypt(iv, ciphertext + tag, timestamp.encode())
        return plain.decode("utf-8")
    except ValueError, IndexError, binascii.Error, UnicodeDecodeError:
        return None
    except Exception:  # noqa: BLE001  (cryptography raises InvalidTag etc.)
        return None
