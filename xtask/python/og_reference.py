"""Loads the reference SDK's OHTTP client modules for the Python oracles.

`load()` imports `opengradient/client/tee_ohttp.py`, `tee_verify.py` and
`tee_ohttp_client.py` by file path, as the package `ogref`: the package's `__init__`
imports web3 & co., which these modules do not need. `tee_registry` (which imports
web3 too) is replaced by a stub that carries only the two record types the client
uses, `OhttpConfig` and `TEEEndpoint`, with the reference's fields.

Used by crates/og-sim/tests/reference_client.py and xtask/bench/reference_bench.py;
the venv `cargo xtask test` / `cargo xtask bench` prepare has the reference installed.
"""

import importlib.util
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


def load():
    """Returns the modules `(tee_ohttp, tee_verify, tee_ohttp_client, tee_registry stub)`."""
    # find_spec locates the package without running its __init__.
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
    ohttp = _load("ogref.tee_ohttp", base + "tee_ohttp.py")
    verify = _load("ogref.tee_verify", base + "tee_verify.py")
    client = _load("ogref.tee_ohttp_client", base + "tee_ohttp_client.py")
    return ohttp, verify, client, registry
