"""CPython oracle for og-canon's differential test (tests/cpython_diff.rs).

One long-lived process. Each request is one line `<kind> <hex payload>`; each answer
is one line. A line `F` flushes the answers written so far. Kinds:

  J  payload = JSON text bytes. Answer `OK <json.dumps(v, sort_keys=True)>\t<json.dumps(v)>`
     or `ERR <exception type>` (v = json.loads(payload.decode("utf-8"))).
  R  payload = an OpenAI request body (JSON). Answer, from the reference SDK's own
     build_inner_request: `OK <json.dumps(wire)>\t<json.dumps(canonical, sort_keys=True)>\t
     <json.dumps({**wire, "stream": True})>`, `UNSUP <json message>` for its
     UnsupportedRequestError, or `CRASH <exception type>`.
  S  payload = a JSON list of hex-encoded decrypted SSE frames. Answer: the reference's
     stream accumulation (OhttpRelayClient.stream_chat_completion's loop, with the SDK's
     own _iter_sse_objects / _delta_content / _accumulate_tool_calls / _finish_reason):
     `OK <json>`, `MISSING <json>`, `RELAY <frame> <json message>` or `FAIL <frame> <type>`
     (frame -1: after the last frame).

The SDK (`pip install --no-deps opengradient==1.1.4`) is loaded by file path: its
package __init__ pulls in web3 & co., which the tested functions do not need. Imports
the tested functions never use (cryptography, eth_hash, requests, pyhpke, web3) are
stubbed when they are not installed.
"""

import importlib.util
import json
import os
import sys
import types

PKG = "_og_reference"


def _stub(name, **attrs):
    if name in sys.modules:
        return sys.modules[name]
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(_stub(parent), child, module)
    return module


def _importable(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def _stub_unused_imports():
    if not _importable("cryptography.hazmat.primitives.asymmetric.rsa"):
        for name in [k for k in sys.modules if k == "cryptography" or k.startswith("cryptography.")]:
            del sys.modules[name]

        class InvalidSignature(Exception):
            pass

        _stub("cryptography.exceptions", InvalidSignature=InvalidSignature)
        for sub in ("hashes", "serialization", "hmac"):
            _stub("cryptography.hazmat.primitives." + sub)
        _stub("cryptography.hazmat.primitives.asymmetric.padding")
        _stub("cryptography.hazmat.primitives.asymmetric.rsa", RSAPublicKey=type("RSAPublicKey", (), {}))
    if not _importable("eth_hash.auto"):

        def keccak(_data):
            raise RuntimeError("eth_hash is stubbed in the oracle")

        _stub("eth_hash.auto", keccak=keccak)
    if not _importable("requests"):
        _stub("requests", Session=object)


def _load(client_dir, name):
    path = os.path.join(client_dir, name + ".py")
    spec = importlib.util.spec_from_file_location(PKG + "." + name, path)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = PKG
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load_reference():
    spec = importlib.util.find_spec("opengradient")
    if spec is None or not spec.submodule_search_locations:
        return None, None
    client_dir = os.path.join(list(spec.submodule_search_locations)[0], "client")
    _stub_unused_imports()
    package = types.ModuleType(PKG)
    package.__path__ = [client_dir]
    sys.modules[PKG] = package
    verify = _load(client_dir, "tee_verify")
    # tee_ohttp_client imports these names; the accumulation helpers never use them.
    _stub(PKG + ".tee_ohttp", ChunkedResponseDecrypter=object, encapsulate_request=None)
    _stub(PKG + ".tee_registry", TEEEndpoint=object)
    client = _load(client_dir, "tee_ohttp_client")
    return verify, client


VERIFY, CLIENT = None, None


def h_json(data):
    try:
        value = json.loads(data.decode("utf-8"))
    except Exception as exc:  # noqa: BLE001 - the type is the answer
        return "ERR " + type(exc).__name__
    return "OK " + json.dumps(value, sort_keys=True) + "\t" + json.dumps(value)


def h_request(data):
    body = json.loads(data.decode("utf-8"))
    try:
        wire, canonical = VERIFY.build_inner_request(body)
        answer = [json.dumps(wire), json.dumps(canonical, sort_keys=True), json.dumps({**wire, "stream": True})]
    except VERIFY.UnsupportedRequestError as exc:
        return "UNSUP " + json.dumps(str(exc))
    except Exception as exc:  # noqa: BLE001
        return "CRASH " + type(exc).__name__
    return "OK " + "\t".join(answer)


def h_stream(data):
    frames = [bytes.fromhex(h) for h in json.loads(data.decode("utf-8"))]
    full_content = ""
    tool_calls = {}
    final_frame = None
    final_index = None
    counts = []
    for index, raw in enumerate(frames):
        text = raw.decode("utf-8", errors="replace")
        n = 0
        try:
            for parsed in CLIENT._iter_sse_objects(text):
                n += 1
                full_content += CLIENT._delta_content(parsed)
                CLIENT._accumulate_tool_calls(tool_calls, parsed)
                if isinstance(parsed.get("tee_signature"), str) or isinstance(parsed.get("tee_output_hash"), str):
                    final_frame = parsed
                    final_index = index
        except CLIENT.RelayError as exc:
            return "RELAY %d %s" % (index, json.dumps(exc.message))
        except Exception as exc:  # noqa: BLE001
            return "FAIL %d %s" % (index, type(exc).__name__)
        counts.append(n)
    try:
        calls = [tool_calls[i] for i in sorted(tool_calls)] if tool_calls else None
        if final_frame is None:
            return "MISSING " + json.dumps({"content": full_content, "tool_calls": calls, "counts": counts})
        if CLIENT._finish_reason(final_frame) == "tool_calls" and tool_calls:
            signed = json.dumps(calls, sort_keys=True)
        else:
            signed = full_content
        finish = CLIENT._finish_reason(final_frame)
        result = {
            "content": full_content,
            "tool_calls": calls,
            "final_index": final_index,
            "final_event": final_frame,
            "finish_reason": finish if isinstance(finish, str) else None,
            "signed": signed,
            "counts": counts,
        }
        return "OK " + json.dumps(result)
    except Exception as exc:  # noqa: BLE001
        return "FAIL -1 " + type(exc).__name__


HANDLERS = {"J": h_json, "R": h_request, "S": h_stream}


def main():
    global VERIFY, CLIENT
    out = sys.stdout
    try:
        VERIFY, CLIENT = load_reference()
    except Exception as exc:  # noqa: BLE001
        out.write("MISSING the reference SDK failed to load: %s: %s\n" % (type(exc).__name__, exc))
        out.flush()
        return 1
    if VERIFY is None:
        out.write("MISSING the reference SDK (opengradient 1.1.4) is not installed\n")
        out.flush()
        return 1
    out.write("READY python %s, sdk %s\n" % (sys.version.split()[0], VERIFY.__file__))
    out.flush()
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line == "F":
            out.flush()
            continue
        kind, _, payload = line.partition(" ")
        handler = HANDLERS.get(kind)
        if handler is None:
            answer = "BAD unknown kind"
        else:
            try:
                answer = handler(bytes.fromhex(payload))
            except Exception as exc:  # noqa: BLE001
                answer = "BAD %s: %s" % (type(exc).__name__, exc)
        out.write(answer.replace("\n", "\\n") + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
