"""The reference's measurement worker for `cargo xtask bench` (same protocol as og-bench).

Usage: python reference_bench.py INPUT_DIR

Loads the reference SDK's `tee_ohttp.py`, `tee_verify.py` and `tee_ohttp_client.py`
with `og_reference.load()` (by file path, with a stub `tee_registry`; see
xtask/python/og_reference.py). Reads the inputs
`og-bench gen` wrote, runs every operation once and checks its result, prints
`ready {...}`, then answers on stdin:

    time OP ITERS SAMPLES   ->  ok [CPU ns per iteration of each sample, ...]
    mem OP                  ->  ok PEAK_EXTRA_BYTES   (tracemalloc, one call)
    quit

The operations are the reference's own entry points on the same bytes as ours:
`OhttpRelayClient.chat_completion` / `stream_chat_completion` with an in-memory
session (no network), `encapsulate_request`, `decrypt_response`,
`ChunkedResponseDecrypter.push`, `build_inner_request` + `canonical_request_bytes` +
`keccak`, `verify_response`. The pre-sealed answers are sealed for one fixed request
context: the client's `encapsulate_request` still runs for real on every exchange,
its exported secrets are then swapped for the fixed ones (opening costs the same
whichever context it is).
"""

import base64
import gc
import json
import sys
import time
import tracemalloc
from pathlib import Path

# The shared loader of the reference's modules (xtask/python/og_reference.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
import og_reference  # noqa: E402


class FakeResponse:
    """What `requests` returns, for an answer already in memory."""

    ok = True
    status_code = 200

    def __init__(self, content=b"", pieces=()):
        self.content = content
        self._pieces = pieces

    def iter_content(self, chunk_size=8192):
        # One item per network read: each stream piece as it arrived.
        return iter(self._pieces)


class FakeSession:
    def __init__(self):
        self.response = None

    def post(self, url, data=None, headers=None, timeout=None, stream=False):
        return self.response


class Bench:
    def __init__(self, directory):
        self.dir = directory
        ohttp, verify, client_mod, registry = og_reference.load()
        self.ohttp, self.verify, self.client_mod = ohttp, verify, client_mod
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
        from eth_hash.auto import keccak

        self.keccak = keccak
        m = json.load(open(f"{directory}/manifest.json"))
        self.m = m
        self.public_key = bytes.fromhex(m["public_key"])
        self.enc = bytes.fromhex(m["enc"])
        self.response_secret = bytes.fromhex(m["response_secret"])
        self.chunked_secret = bytes.fromhex(m["chunked_response_secret"])
        self.pem = m["signing_key_pem"]
        self.tee_id = m["tee_id"]
        read = lambda name: open(f"{directory}/{name}", "rb").read()
        body = lambda name: json.loads(read(name))
        self.chat = body("chat_200b.json")
        self.tools = body("tools_30k.json")
        self.conversation = body("conversation_40k.json")
        self.attachment = body("attachment_5mib.json")
        self.one_kib = b"x" * 1024
        self.exchange_response = read("exchange_response.bin")
        self.open_1m_data = read("open_1m.bin")
        stream = read("stream_1000.bin")
        self.stream_pieces, at = [], 0
        for n in m["stream_pieces"]:
            self.stream_pieces.append(stream[at : at + n])
            at += n
        self.chunked_64x16k_data = read("chunked_64x16k.bin")
        self.chunked_16m_data = read("chunked_16m.bin")
        self.chunked_64m_data = read("chunked_64m.bin")

        # The reference client, with an in-memory session and the fixed context.
        der = serialization.load_pem_public_key(self.pem.encode()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        tee = registry.TEEEndpoint(
            tee_id=self.tee_id,
            endpoint=m["tee_host"],
            tls_cert_der=b"",
            payment_address="",
            signing_public_key_der=der,
            ohttp_config=registry.OhttpConfig(m["key_id"], 0x0020, 0x0001, 0x0003, self.public_key),
        )
        self.session = FakeSession()
        self.client = client_mod.OhttpRelayClient("http://relay.invalid/api/v1/chat/ohttp", tee, session=self.session)
        real = ohttp.encapsulate_request
        fixed = (self.enc, self.response_secret, self.chunked_secret)

        def encapsulate_for_fixed_answer(public_key_raw, plaintext, **ids):
            e = real(public_key_raw, plaintext, **ids)  # the real work, fresh ephemeral key
            return ohttp.EncapsulatedRequest(
                wire=e.wire, enc=fixed[0], response_secret=fixed[1], chunked_response_secret=fixed[2]
            )

        client_mod.encapsulate_request = encapsulate_for_fixed_answer
        self.exchange_response_obj = FakeResponse(content=self.exchange_response)
        self.stream_response_obj = FakeResponse(pieces=self.stream_pieces)

        # verify.json cases.
        vectors = json.load(open(m["vectors"] + "/verify.json"))
        self.cases = {}
        for c in vectors["cases"]:
            if c.get("name") in ("ok_text_2048", "ok_text_4096"):
                self.cases[c["name"]] = dict(
                    canonical=json.loads(c["canonical_text"]),
                    response=json.loads(c["response_body_text"]),
                    content=c["response_content"],
                    pem=c["signing_key_pem"],
                    tee_id=json.loads(c["response_body_text"])["tee_id"],
                )

        # Raw primitives of the reference (OpenSSL through `cryptography`).
        sealed = self.open_1m_data
        key, nonce = ohttp._derive_response_keys(self.response_secret, self.enc, sealed[:32])
        self.raw_aead = ChaCha20Poly1305(key)
        self.raw_nonce = nonce
        self.raw_ct = sealed[32:]
        c = self.cases["ok_text_2048"]
        r = c["response"]
        self.rsa_key = serialization.load_pem_public_key(c["pem"].encode())
        self.rsa_sig = base64.b64decode(r["tee_signature"])
        self.rsa_msg = keccak(
            bytes.fromhex(r["tee_request_hash"]) + bytes.fromhex(r["tee_output_hash"]) + int(r["tee_timestamp"]).to_bytes(32, "big")
        )
        self.rsa_pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        self.sha256 = hashes.SHA256()

    # -- operations ------------------------------------------------------------------

    def exchange(self):
        self.session.response = self.exchange_response_obj
        return self.client.chat_completion(self.chat).content

    def encap_1k(self):
        return self.ohttp.encapsulate_request(self.public_key, self.one_kib).wire

    def open_1m(self):
        return self.ohttp.decrypt_response(self.response_secret, self.enc, self.open_1m_data)

    def stream_1000(self):
        self.session.response = self.stream_response_obj
        return self.client.stream_chat_completion(self.chat).content

    def _chunked(self, data):
        d = self.ohttp.ChunkedResponseDecrypter(self.chunked_secret, self.enc)
        return sum(len(f) for f in d.push(data, done=True))

    def chunked_64x16k(self):
        return self._chunked(self.chunked_64x16k_data)

    def chunked_16m(self):
        return self._chunked(self.chunked_16m_data)

    def chunked_64m(self):
        return self._chunked(self.chunked_64m_data)

    def _canon(self, body):
        _, canonical = self.verify.build_inner_request(body)
        return self.keccak(self.verify.canonical_request_bytes(canonical))

    def canon_chat(self):
        return self._canon(self.chat)

    def canon_tools(self):
        return self._canon(self.tools)

    def canon_conv(self):
        return self._canon(self.conversation)

    def canon_attach(self):
        return self._canon(self.attachment)

    def wire_attach(self):
        # chat_completion's first two lines.
        wire, _ = self.verify.build_inner_request(self.attachment)
        return self.ohttp.encapsulate_request(self.public_key, json.dumps(wire).encode("utf-8")).wire

    def _verify(self, name):
        c = self.cases[name]
        return self.verify.verify_response(
            canonical_request=c["canonical"],
            response_body=c["response"],
            response_content=c["content"],
            signing_key_pem=c["pem"],
            expected_tee_id=c["tee_id"],
            tee_host="https://tee.example",
        )

    def verify_2048(self):
        return self._verify("ok_text_2048")

    def verify_4096(self):
        return self._verify("ok_text_4096")

    def raw_open_1m_openssl(self):
        return self.raw_aead.decrypt(self.raw_nonce, self.raw_ct, b"")

    def raw_rsa2048_openssl(self):
        return self.rsa_key.verify(self.rsa_sig, self.rsa_msg, self.rsa_pad, self.sha256)

    OPS = [
        "exchange", "encap_1k", "open_1m", "stream_1000", "chunked_64x16k", "chunked_16m",
        "chunked_64m", "canon_chat", "canon_tools", "canon_conv", "canon_attach", "wire_attach",
        "verify_2048", "verify_4096", "raw_open_1m_openssl", "raw_rsa2048_openssl",
    ]

    def check(self):
        for name in self.OPS:
            getattr(self, name)()
        assert self.exchange() == self.m["exchange_content"], "exchange content"
        assert self.stream_1000() == self.m["stream_content"], "stream content"
        assert self.chunked_64x16k() == 64 * 16384, "chunked"
        assert len(self.open_1m()) == 1 << 20, "open"


def main():
    bench = Bench(sys.argv[1])
    bench.check()
    import platform

    print("ready " + json.dumps({"python": platform.python_version()}), flush=True)
    for line in sys.stdin:
        words = line.split()
        try:
            if words == ["quit"]:
                break
            if len(words) == 4 and words[0] == "time":
                op = getattr(bench, words[1])
                iters, samples = int(words[2]), int(words[3])
                out = []
                for _ in range(samples):
                    # CPU time of this thread, as og-bench measures (CLOCK_THREAD_CPUTIME_ID).
                    start = time.thread_time_ns()
                    for _ in range(iters):
                        op()
                    out.append((time.thread_time_ns() - start) / iters)
                print("ok " + json.dumps(out), flush=True)
            elif len(words) == 2 and words[0] == "mem":
                op = getattr(bench, words[1])
                gc.collect()
                tracemalloc.start()
                op()
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                print(f"ok {peak}", flush=True)
            else:
                print(f"err unknown command {line.strip()!r}", flush=True)
        except Exception as e:  # report, keep serving
            print(f"err {type(e).__name__}: {e}", flush=True)


if __name__ == "__main__":
    main()
