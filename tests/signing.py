"""Content Credentials for tests, made at run time: a throwaway certificate chain
(``cryptography``) and images signed with it (``c2pa-python``), so every validation
state is tested on files nobody else made."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
CAMERA = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


@dataclass(frozen=True)
class Chain:
    root_pem: str  # what a trust list holds
    chain_pem: str  # signing certificate, then the root
    key_pem: str


def _name(common: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GR"),
        ]
    )


def _usage(*, sign_certs: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not sign_certs,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign_certs,
        crl_sign=sign_certs,
        encipher_only=False,
        decipher_only=False,
    )


def make_chain(org: str = "Example News Agency", *, expired: bool = False) -> Chain:
    """A root CA and a signing certificate of ``org`` under it (ES256, valid 30 days;
    ``expired``: the signing certificate's days ended yesterday)."""
    now = dt.datetime.now(dt.UTC)
    leaf_from, leaf_until = (
        (now - dt.timedelta(days=20), now - dt.timedelta(days=1))
        if expired
        else (now - dt.timedelta(days=1), now + dt.timedelta(days=30))
    )
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{org} Test Root", org)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(sign_certs=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{org} Signing", org))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(leaf_from)
        .not_valid_after(leaf_until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign_certs=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )

    def pem(cert: x509.Certificate) -> str:
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return Chain(root_pem=pem(root), chain_pem=pem(leaf) + pem(root), key_pem=key_pem)


def sign(
    data: bytes,
    chain: Chain,
    *,
    mime: str = "image/jpeg",
    source_type: str = CAMERA,
    actions: tuple[str, ...] = (),
    tool: str = "Example Editor",
    ingredients: tuple[str, ...] = (),
) -> bytes:
    """``data`` with a C2PA manifest: created (with ``source_type``), then ``actions``."""
    manifest: dict[str, Any] = {
        "claim_generator_info": [{"name": tool, "version": "1.0"}],
        "title": "photo",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [{"action": "c2pa.created", "digitalSourceType": source_type}]
                    + [{"action": f"c2pa.{a}"} for a in actions]
                },
            }
        ],
    }
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(
            c2pa.C2paSigningAlg.ES256, chain.chain_pem.encode(), chain.key_pem.encode(), None
        )
    )
    out = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        for title in ingredients:
            builder.add_ingredient({"title": title, "format": mime}, mime, io.BytesIO(data))
        builder.sign(signer, mime, io.BytesIO(data), out)
    return out.getvalue()


def tamper(signed: bytes) -> bytes:
    """The signed JPEG with pixels changed after signing (a byte of its scan data)."""
    edited = bytearray(signed)
    edited[len(edited) - 400] ^= 0x5A
    return bytes(edited)


def _leaf_der(chain: Chain) -> bytes:
    leaf = x509.load_pem_x509_certificates(chain.chain_pem.encode())[0]
    return leaf.public_bytes(serialization.Encoding.DER)


def forge_signer(signed: bytes, chain: Chain, org: str) -> tuple[bytes, Chain]:
    """The signed file with its signing certificate swapped for another of ``org``'s (of
    the same length, so every offset holds): a forger claiming someone else's name."""
    original = _leaf_der(chain)
    while True:
        other = make_chain(org)
        forged = _leaf_der(other)
        if len(forged) == len(original):
            return signed.replace(original, forged), other
