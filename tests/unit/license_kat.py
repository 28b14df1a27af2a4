#!/usr/bin/env python3
"""Known-answer vector for the license key wrap (common/license.h), computed
with pyca/cryptography rather than OpenSSL's EVP calls in common/license.c.
Prints the C initializers that tests/unit/test_license.c embeds in test_kat();
run it by hand (python3-cryptography) after a deliberate change of the scheme."""

import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw

# RFC 7748 section 6.1: Alice is the device, Bob the ephemeral key.
device_priv = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
eph_priv = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
nonce = bytes(range(0xC0, 0xCC))
content_key = bytes(range(0x00, 0x10))
lid, title, ckid = b"lic-0001", b"big-buck-bunny", b"ck:bbb:1"

device_pub = X25519PrivateKey.from_private_bytes(device_priv).public_key().public_bytes(*RAW)
eph = X25519PrivateKey.from_private_bytes(eph_priv)
epk = eph.public_key().public_bytes(*RAW)
shared = eph.exchange(X25519PrivateKey.from_private_bytes(device_priv).public_key())
assert shared.hex() == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + device_pub,
           info=b"reel-license-v1 key wrap" + lid).derive(shared)
ct = AESGCM(kek).encrypt(nonce, content_key, lid + b"\0" + title + b"\0" + ckid)


def c_bytes(name, b):
    body = ", ".join("0x%02x" % x for x in b)
    return "static const uint8_t %s[%d] = {%s};" % (name, len(b), body)


for name, b in [("kat_device_priv", device_priv), ("kat_device_pub", device_pub),
                ("kat_dkh", hashlib.sha256(device_pub).digest()), ("kat_epk", epk),
                ("kat_nonce", nonce), ("kat_ct", ct), ("kat_content_key", content_key)]:
    print(c_bytes(name, b))
