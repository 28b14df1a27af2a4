"""PASETO v4.public for the integration tests, independent of reel's C code:
the pre-authentication encoding in Python, Ed25519 signing and verifying by
the openssl CLI."""

import base64
import json
import os
import struct
import subprocess
import time


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pae(pieces):
    out = struct.pack("<Q", len(pieces))
    for p in pieces:
        out += struct.pack("<Q", len(p)) + p
    return out


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def claims_of(token):
    """The (unverified) JSON claims of a v4.public token."""
    return json.loads(b64d(token.split(".")[2])[:-64])


def sign(tmp, pem, kid, claims):
    """A v4.public token of CLAIMS with footer {"kid": KID}, signed with the PEM key."""
    m = json.dumps(claims, separators=(",", ":")).encode()
    f = json.dumps({"kid": kid}, separators=(",", ":")).encode()
    path = os.path.join(tmp, "pae.bin")
    with open(path, "wb") as fp:
        fp.write(pae([b"v4.public.", m, f, b""]))
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", pem, "-rawin", "-in", path],
                         check=True, capture_output=True).stdout
    return "v4.public." + b64u(m + sig) + "." + b64u(f)


def verifies(tmp, token, pub_pem):
    """Does TOKEN's signature verify with the openssl CLI against the public key PUB_PEM (text)?"""
    parts = token.split(".")
    body = b64d(parts[2])
    footer = b64d(parts[3]) if len(parts) > 3 else b""
    paths = {n: os.path.join(tmp, n) for n in ("pae.bin", "sig.bin", "pub.pem")}
    with open(paths["pae.bin"], "wb") as f:
        f.write(pae([b"v4.public.", body[:-64], footer, b""]))
    with open(paths["sig.bin"], "wb") as f:
        f.write(body[-64:])
    with open(paths["pub.pem"], "w") as f:
        f.write(pub_pem)
    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["pub.pem"],
                        "-rawin", "-in", paths["pae.bin"], "-sigfile", paths["sig.bin"]],
                       capture_output=True, text=True)
    return r.returncode == 0 and "Signature Verified Successfully" in r.stdout
