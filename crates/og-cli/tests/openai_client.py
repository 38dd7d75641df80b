"""The official `openai` SDK against `og dev` (run by tests/openai_sdk.rs).

Environment: OPENAI_BASE_URL (the proxy's /v1), OG_RELAY_URL (the simulated relay,
for its /_sim/fault control), OG_TEE_ID (the simulated TEE). The simulator was
started with a script whose first two answers are tool calls; then it echoes.
Prints one line per check; exits non-zero on the first failure.
"""

import json
import os
import sys
import urllib.request

import openai

BASE = os.environ["OPENAI_BASE_URL"]
RELAY = os.environ["OG_RELAY_URL"]
TEE_ID = os.environ["OG_TEE_ID"]

try:  # keccak256 from pycryptodome (in xtask/python-requirements.txt)
    from Crypto.Hash import keccak

    def keccak256_hex(data: bytes) -> str:
        return keccak.new(digest_bits=256, data=data).hexdigest()
except ImportError:  # pragma: no cover
    keccak256_hex = None

client = openai.OpenAI(base_url=BASE, api_key="og-local", max_retries=0, timeout=60)


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def check_headers(headers, what):
    check(headers.get("x-opengradient-verified") == "true", f"{what}: X-OpenGradient-Verified")
    check(headers.get("x-opengradient-tee-id") == TEE_ID, f"{what}: X-OpenGradient-TEE-Id")


def check_output_hash(headers, signed_output, what):
    if keccak256_hex is None:
        print(f"skip: {what}: output hash (no pycryptodome)")
        return
    check(
        keccak256_hex(signed_output.encode("utf-8")) == headers.get("x-opengradient-output-hash"),
        f"{what}: the content is the signed output",
    )


def fault(text):
    method = "DELETE" if text is None else "POST"
    req = urllib.request.Request(
        RELAY + "/_sim/fault", data=(text or "").encode(), method=method
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]

# 1. A tool-call chat (the script's first answer), not streamed.
raw = client.chat.completions.with_raw_response.create(
    model="gpt-4.1", messages=ASK, tools=TOOLS, tool_choice="auto"
)
check_headers(raw.headers, "tool call")
c = raw.parse()
check(c.choices[0].finish_reason == "tool_calls", "tool call: finish_reason")
call = c.choices[0].message.tool_calls[0]
check(call.function.name == "get_weather", "tool call: function name")
check(json.loads(call.function.arguments) == {"city": "Paris"}, "tool call: arguments")

# 2. The same, streamed (the script's second answer): fragments folded by index.
raw = client.chat.completions.with_raw_response.create(
    model="gpt-4.1", messages=ASK, tools=TOOLS, stream=True
)
check_headers(raw.headers, "streamed tool call")
calls = {}
finish = None
for chunk in raw.parse():
    if not chunk.choices:
        continue
    ch = chunk.choices[0]
    finish = ch.finish_reason or finish
    for tc in ch.delta.tool_calls or []:
        slot = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
        slot["id"] = tc.id or slot["id"]
        if tc.function is not None:
            slot["name"] += tc.function.name or ""
            slot["arguments"] += tc.function.arguments or ""
check(finish == "tool_calls", "streamed tool call: finish_reason")
check(calls[0]["name"] == "get_weather", "streamed tool call: name")
check(json.loads(calls[0]["arguments"]) == {"city": "Paris"}, "streamed tool call: arguments")

# The tool's result goes back; the model (now echoing) answers in text.
follow = ASK + [
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": "get_weather", "arguments": call.function.arguments}}
        ],
    },
    {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
    {"role": "user", "content": "Thanks!"},
]
c = client.chat.completions.create(model="gpt-4.1", messages=follow, tools=TOOLS)
check(c.choices[0].message.content == "You said: Thanks!", "tool result round trip")

# 3. A plain chat, not streamed: the body carries opengradient_verification.
raw = client.chat.completions.with_raw_response.create(
    model="gpt-4.1", messages=[{"role": "user", "content": "Hello from Python"}]
)
check_headers(raw.headers, "chat")
c = raw.parse()
answer = c.choices[0].message.content
check(answer == "You said: Hello from Python", "chat: answer")
v = (c.model_extra or {}).get("opengradient_verification")
check(isinstance(v, dict) and v.get("verified") is True, "chat: opengradient_verification.verified")
check(v.get("tee_id") == TEE_ID, "chat: opengradient_verification.tee_id")
check(v.get("output_hash") == raw.headers.get("x-opengradient-output-hash"), "chat: output hash header")
check_output_hash(raw.headers, answer, "chat")

# 4. Streamed: the content reassembled from the deltas is the verified content.
raw = client.chat.completions.with_raw_response.create(
    model="gpt-4.1", messages=[{"role": "user", "content": "Stream from Python"}], stream=True
)
check_headers(raw.headers, "stream")
content = "".join(
    (chunk.choices[0].delta.content or "") for chunk in raw.parse() if chunk.choices
)
check(content == "You said: Stream from Python", "stream: reassembled content")
check_output_hash(raw.headers, content, "stream")

# 5. An attachment (image_url data URL).
png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
raw = client.chat.completions.with_raw_response.create(
    model="gpt-4.1",
    messages=[
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this image?"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}},
            ],
        }
    ],
)
check_headers(raw.headers, "attachment")
check(
    raw.parse().choices[0].message.content == "You said: What is in this image? [image_url]",
    "attachment: answer",
)

# 6. A tampered answer: the proxy refuses it with 502 and no model text.
MARKER = "okapi-marker-9931"
for fault_text in ["sign-other-output", "flip-bit:40"]:
    for stream in [False, True]:
        fault(fault_text)
        try:
            r = client.chat.completions.create(
                model="gpt-4.1", messages=[{"role": "user", "content": MARKER}], stream=stream
            )
            if stream:
                for _ in r:
                    pass
            check(False, f"{fault_text} stream={stream}: must be refused")
        except openai.APIStatusError as e:
            body = e.response.text
            check(e.status_code == 502, f"{fault_text} stream={stream}: status 502")
            check(MARKER not in body and "You said" not in body, f"{fault_text} stream={stream}: no model text")
            check(e.response.headers.get("x-opengradient-verified") is None, f"{fault_text} stream={stream}: no verified header")
        finally:
            fault(None)

print("all openai SDK checks passed", flush=True)
