"""Drives the reference SDK's own relay client against og-sim over HTTP.

Usage: python reference_client.py RELAY_URL TOKEN TEE_RECORD_JSON_FILE

Loads the reference's client modules with `og_reference.load()` (by file path, with
a stub `tee_registry`; see xtask/python/og_reference.py). Then reads one
JSON request per stdin line, `{"body": {...}, "stream": bool}`, runs it through the
reference `OhttpRelayClient` (encapsulate, post, decrypt, verify) and prints one JSON
line per request: `{"content", "tee_id", "request_hash", "output_hash", "frames"}` or
`{"error": "<type>: <message>"}`.
"""

import json
import sys
from pathlib import Path

# The shared loader of the reference's modules (xtask/python/og_reference.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "xtask" / "python"))
import og_reference  # noqa: E402



def main():
    relay_url, token, record_path = sys.argv[1:4]
    _, _, client_mod, registry = og_reference.load()
    OhttpConfig, TEEEndpoint = registry.OhttpConfig, registry.TEEEndpoint

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
