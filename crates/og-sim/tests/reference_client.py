"""Drives the reference SDK's own relay client against og-sim over HTTP.

Usage: python reference_client.py RELAY_URL TOKEN TEE_RECORD_JSON_FILE

Loads `opengradient/client/tee_ohttp.py`, `tee_verify.py` and `tee_ohttp_client.py`
by file path (the package's `__init__` imports web3 & co., which are not needed),
with a stub `tee_registry` that only carries the two record types. Then reads one
JSON request per stdin line, `{"body": {...}, "stream": bool}`, runs it through the
reference `OhttpRelayClient` (encapsulate, post, decrypt, verify) and prints one JSON
line per request: `{"content", "tee_id", "request_hash", "output_hash", "frames"}` or
`{"error": "<type>: <message>"}`.
"""

import importlib.util
import json
import sys
import types
from dataclasses import dataclass
from typing import NamedTuple, Optional



def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main():
    relay_url, token, record_path = sys.argv[1:4]
    # find_spec locates the package without running its __init__ (which imports web3).
    base = importlib.util.find_spec("opengradient").submodule_search_locations[0] + "/client/"

    pkg = types.ModuleType("ogref")
    pkg.__path__ = []
    sys.modules["ogref"] = pkg

    registry = types.ModuleType("ogref.tee_registry")

    class OhttpConfig(NamedTuple):
        key_id: int
        kem_id: int
        kdf_id: int
        aead_id: int
        public_key: bytes
        key_config: bytes = b""

    @dataclass
    class TEEEndpoint:
        tee_id: str
        endpoint: str
        tls_cert_der: bytes
        payment_address: str
        signing_public_key_der: bytes = b""
        ohttp_config: Optional[OhttpConfig] = None
        pcr_hash: str = ""

    registry.OhttpConfig = OhttpConfig
    registry.TEEEndpoint = TEEEndpoint
    sys.modules["ogref.tee_registry"] = registry

    _load("ogref.tee_ohttp", base + "tee_ohttp.py")
    _load("ogref.tee_verify", base + "tee_verify.py")
    client_mod = _load("ogref.tee_ohttp_client", base + "tee_ohttp_client.py")

    from cryptography.hazmat.primitives import serialization

    record = json.load(open(record_path))
    key = serialization.load_pem_public_key(record["signing_public_key"].encode())
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    o = record["ohttp"]
    tee = TEEEndpoint(
        tee_id=record["tee_id"],
        endpoint=record["endpoint"],
        tls_cert_der=b"",
        payment_address="",
        signing_public_key_der=der,
        ohttp_config=OhttpConfig(
            o["key_id"], o["kem_id"], o["kdf_id"], o["aead_id"], bytes.fromhex(o["public_key"])
        ),
    )
    client = client_mod.OhttpRelayClient(
        relay_url,
        tee,
        auth_headers=lambda: {"Authorization": f"Bearer {token}"},
        timeout=20,
    )
    print("READY", flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        try:
            if job.get("stream"):
                r = client.stream_chat_completion(job["body"])
            else:
                r = client.chat_completion(job["body"])
            out = {
                "content": r.content,
                "tee_id": r.proof.tee_id,
                "request_hash": r.proof.request_hash,
                "output_hash": r.proof.output_hash,
                "frames": r.stream_frames,
            }
        except Exception as e:  # the test compares the type name
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
