"""Ed25519 keys and signatures of message envelopes (``cryptography``). No Django."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .messages import canonical


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def write_private_key(key: Ed25519PrivateKey, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    path.write_bytes(data)
    path.chmod(0o600)


def read_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 private key")
    return key


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as base64 of its 32 raw bytes (what the directory lists)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_from_text(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except Exception as exc:  # binascii.Error, ValueError
        raise ValueError("not a base64 Ed25519 public key of 32 bytes") from exc


def sign(key: Ed25519PrivateKey, envelope: dict) -> str:
    return base64.b64encode(key.sign(canonical(envelope))).decode("ascii")


def sign_bytes(key: Ed25519PrivateKey, data: bytes) -> str:
    return base64.b64encode(key.sign(data)).decode("ascii")


def verify_bytes(public: str, data: bytes, signature: str) -> bool:
    try:
        public_from_text(public).verify(base64.b64decode(signature or "", validate=True), data)
        return True
    except (InvalidSignature, ValueError):
        return False


def verify(public: str, envelope: dict, signature: str) -> bool:
    return verify_bytes(public, canonical(envelope), signature)
