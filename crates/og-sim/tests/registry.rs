//! The registry against a real EVM node: anvil on 127.0.0.1 with the mock
//! `TEERegistry` (contracts/), read by og-relay's `registry` module, then used end to
//! end through the simulated relay and enclave.
//!
//! anvil comes from npm (`cargo xtask test` installs it into target/evm-tools and sets
//! `OG_ANVIL`); without it these tests fail and say how to install it.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use og_relay::registry::{
    DropReason, Refresh, Registry, RegistryLimits, Resolver, Selection, TeeType, Unusable,
};
use og_relay::{BearerToken, ChatOptions, ConfidentialClient, Error, PcrHash, TeeId};
use og_sim::chain::{ARTIFACT, Anvil, MockRegistry, TeeRecord};
use og_sim::{EnclaveKeys, Sim};

fn anvil() -> Anvil {
    Anvil::start().unwrap_or_else(|e| panic!("{e}"))
}

fn keys() -> EnclaveKeys {
    EnclaveKeys::generate(1).expect("keys")
}

fn registry(anvil: &Anvil, mock: &MockRegistry<'_>) -> Registry {
    Registry::new(anvil.url(), &mock.address()).expect("registry config")
}

fn message(text: &str) -> Vec<og_relay::Value> {
    vec![og_canon::parse(&format!(r#"{{"role": "user", "content": "{text}"}}"#)).unwrap()]
}

/// A port nothing listens on (bound, then released).
fn refusing_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

fn by_id(
    tees: &[og_relay::registry::RegisteredTee],
    id: [u8; 32],
) -> &og_relay::registry::RegisteredTee {
    tees.iter()
        .find(|t| t.tee_id().as_bytes() == &id)
        .unwrap_or_else(|| panic!("tee {} not listed", hex::encode(id)))
}

#[test]
fn mock_abi_matches_the_spec_abi() {
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../../og-relay/abi/TEERegistry.abi.json")).unwrap();
    let artifact: serde_json::Value = serde_json::from_str(ARTIFACT).unwrap();
    let mock = artifact["abi"].as_array().unwrap();
    let functions = spec.as_array().unwrap();
    assert_eq!(functions.len(), 6);
    for f in functions {
        let name = f["name"].as_str().unwrap();
        let entry = mock
            .iter()
            .find(|m| m["name"] == f["name"])
            .unwrap_or_else(|| panic!("the mock lacks {name}"));
        assert_eq!(
            entry, f,
            "the mock's ABI entry for {name} differs from the spec's"
        );
        // Selector: keccak of the canonical signature from the spec's ABI, against the
        // compiler's method identifiers for the mock.
        let inputs: Vec<&str> = f["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["type"].as_str().unwrap())
            .collect();
        let signature = format!("{name}({})", inputs.join(","));
        let selector = hex::encode(&og_canon::keccak256(signature.as_bytes())[..4]);
        assert_eq!(
            artifact["selectors"][&signature].as_str(),
            Some(selector.as_str()),
            "{signature}"
        );
    }
    // The two the client calls, as NOTES.md records them.
    assert_eq!(artifact["selectors"]["getActiveTEEs(uint8)"], "4b6014da");
    assert_eq!(artifact["selectors"]["getTEE(bytes32)"], "418b207d");
}

#[test]
fn the_abi_copy_is_byte_identical_to_the_spec() {
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/registry/TEERegistry.abi.json");
    let Ok(spec) = std::fs::read(&spec) else {
        // Outside the project's checkout layout there is nothing to compare with.
        eprintln!("no ../shared beside the checkout; skipped");
        return;
    };
    assert_eq!(
        spec,
        include_bytes!("../../og-relay/abi/TEERegistry.abi.json").to_vec()
    );
}

/// Several TEEs of both types, each malformed in one way, decoded per PROTOCOL §6.
#[test]
fn decodes_and_classifies_every_record() {
    let anvil = anvil();
    let mock = MockRegistry::deploy(&anvil).unwrap();
    let (k1, k2, k3, k4, k5, k6) = (keys(), keys(), keys(), keys(), keys(), keys());

    let good = TeeRecord::for_keys(&k1, "https://good.example");
    let good_id = mock.set_tee(&good, true).unwrap();

    let no_ohttp = TeeRecord {
        ohttp: None,
        ..TeeRecord::for_keys(&k2, "https://no-ohttp.example")
    };
    let no_ohttp_id = mock.set_tee(&no_ohttp, true).unwrap();

    let mut short = TeeRecord::for_keys(&k3, "https://short.example");
    let o = short.ohttp.as_mut().unwrap();
    o.public_key.truncate(31);
    o.key_config.clear();
    let short_id = mock.set_tee(&short, true).unwrap();

    let mut disagree = TeeRecord::for_keys(&k4, "https://disagree.example");
    disagree.ohttp.as_mut().unwrap().key_id = 9; // the keyConfig blob says 1
    let disagree_id = mock.set_tee(&disagree, true).unwrap();

    let empty_endpoint = TeeRecord::for_keys(&k5, "");
    let empty_id = mock.set_tee(&empty_endpoint, true).unwrap();

    let no_tls = TeeRecord {
        tls_certificate: Vec::new(),
        ..TeeRecord::for_keys(&k6, "https://no-tls.example")
    };
    let no_tls_id = mock.set_tee(&no_tls, true).unwrap();

    let validator = TeeRecord {
        tee_type: 1,
        ..TeeRecord::for_keys(&k2, "https://validator.example")
    };
    // Same key as no_ohttp: give it its own id.
    mock.set_tee_as([0x77; 32], &validator, true).unwrap();

    let inactive = TeeRecord::for_keys(&keys(), "https://inactive.example");
    mock.set_tee(&inactive, false).unwrap();

    let registry = registry(&anvil, &mock);
    let tees = registry.active_tees_blocking(TeeType::LlmProxy).unwrap();
    assert_eq!(
        tees.len(),
        6,
        "the inactive and the validator are not listed"
    );

    let g = by_id(&tees, good_id);
    let endpoint = g.endpoint().expect("the good record is usable");
    assert_eq!(endpoint.endpoint(), "https://good.example");
    assert_eq!(g.tee_id(), k1.tee_id(), "tee_id = keccak256(publicKey)");
    assert_eq!(endpoint.pcr_hash(), Some(&PcrHash::from_bytes([0xaa; 32])));
    assert_eq!(endpoint.payment_address(), Some(&[0x11; 20]));
    assert_eq!(endpoint.ohttp().public_key, k1.ohttp_config().public_key);
    assert!(g.ohttp_capable());
    assert_eq!(g.ohttp_key_id(), Some(1));
    assert_eq!(g.tee_type(), TeeType::LlmProxy);
    assert_eq!(g.last_heartbeat_at(), 1_795_000_000);

    let n = by_id(&tees, no_ohttp_id);
    assert_eq!(n.endpoint().unwrap_err(), &Unusable::NoOhttpKey);
    assert!(!n.ohttp_capable());
    assert_eq!(n.ohttp_key_id(), None);

    let s = by_id(&tees, short_id);
    assert!(!s.ohttp_capable());
    match s.endpoint().unwrap_err() {
        Unusable::Invalid(m) => assert!(m.contains("31 bytes"), "{m}"),
        other => panic!("{other:?}"),
    }

    match by_id(&tees, disagree_id).endpoint().unwrap_err() {
        Unusable::Invalid(m) => assert!(m.contains("key id 1") && m.contains("key id is 9"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        by_id(&tees, empty_id).endpoint().unwrap_err(),
        &Unusable::EmptyEndpoint
    );
    assert_eq!(
        by_id(&tees, no_tls_id).endpoint().unwrap_err(),
        &Unusable::NoTlsCertificate
    );

    let validators = registry.active_tees_blocking(TeeType::Validator).unwrap();
    assert_eq!(validators.len(), 1);
    assert_eq!(validators[0].url(), "https://validator.example");
    assert_eq!(validators[0].tee_type(), TeeType::Validator);

    // getTEE reads one record, active or not; an unknown id is the contract's revert.
    let one = registry.tee_blocking(k1.tee_id()).unwrap();
    assert_eq!(one.url(), "https://good.example");
    let missing = registry
        .tee_blocking(&TeeId::from_bytes([5; 32]))
        .unwrap_err();
    assert_eq!(missing.category(), "rpc");
    assert!(missing.to_string().contains("TEE not found"), "{missing}");

    // Selection: only the good one is usable, whatever the draw.
    for _ in 0..10 {
        let chosen = Selection::new().choose(&tees, &[]).unwrap();
        assert_eq!(chosen.tee_id(), k1.tee_id());
    }
}

#[test]
fn pins_select_or_refuse_clearly() {
    let anvil = anvil();
    let mock = MockRegistry::deploy(&anvil).unwrap();
    let (a, b, c) = (keys(), keys(), keys());
    let ra = TeeRecord::for_keys(&a, "https://a.example");
    let rb = TeeRecord {
        pcr_hash: [0xbb; 32],
        ..TeeRecord::for_keys(&b, "https://b.example")
    };
    let rc = TeeRecord {
        ohttp: None,
        pcr_hash: [0xbb; 32],
        ..TeeRecord::for_keys(&c, "https://c.example")
    };
    for r in [&ra, &rb, &rc] {
        mock.set_tee(r, true).unwrap();
    }
    let tees = registry(&anvil, &mock)
        .active_tees_blocking(TeeType::LlmProxy)
        .unwrap();

    // Unpinned: both usable TEEs get picked over enough draws.
    let mut seen = std::collections::HashSet::new();
    for _ in 0..64 {
        seen.insert(*Selection::new().choose(&tees, &[]).unwrap().tee_id());
    }
    assert_eq!(seen, [*a.tee_id(), *b.tee_id()].into_iter().collect());

    // PCR pin: match.
    let pcr_b = Selection::new().pin_pcr(PcrHash::from_bytes([0xbb; 32]));
    for _ in 0..10 {
        assert_eq!(pcr_b.choose(&tees, &[]).unwrap().tee_id(), b.tee_id());
    }
    // PCR pin: miss, and the message lists what the registry has.
    let err = Selection::new()
        .pin_pcr(PcrHash::from_bytes([0xcc; 32]))
        .choose(&tees, &[])
        .unwrap_err();
    assert!(matches!(err, Error::NoTee(_)), "{err:?}");
    let m = err.to_string();
    assert!(m.contains(&format!("0x{}", "cc".repeat(32))), "{m}");
    assert!(m.contains(&format!("0x{}", "bb".repeat(32))), "{m}");

    // tee_id pin: match, unknown, and pinned but unusable.
    let pin_a = Selection::new().pin_tee_id(*a.tee_id());
    assert_eq!(pin_a.choose(&tees, &[]).unwrap().tee_id(), a.tee_id());
    let unknown = Selection::new()
        .pin_tee_id(TeeId::from_bytes([3; 32]))
        .choose(&tees, &[])
        .unwrap_err();
    assert!(unknown.to_string().contains("is not among"), "{unknown}");
    let unusable = Selection::new()
        .pin_tee_id(*c.tee_id())
        .choose(&tees, &[])
        .unwrap_err();
    assert!(unusable.to_string().contains("no OHTTP key"), "{unusable}");
    // Both pins: a tee_id whose PCR is not the pinned one.
    let both = Selection::new()
        .pin_tee_id(*a.tee_id())
        .pin_pcr(PcrHash::from_bytes([0xbb; 32]))
        .choose(&tees, &[])
        .unwrap_err();
    assert!(
        both.to_string().contains("which is not the pinned"),
        "{both}"
    );
}

#[test]
fn resolver_follows_rotations() {
    let anvil = anvil();
    let mock = MockRegistry::deploy(&anvil).unwrap();
    let a = keys();
    let record = TeeRecord::for_keys(&a, "https://a.example");
    let id = mock.set_tee(&record, true).unwrap();
    let resolver = Resolver::new(registry(&anvil, &mock), Selection::new());
    let r = og_relay::registry::BlockingResolver::new(resolver);

    assert_eq!(r.refresh().unwrap(), Refresh::Selected(*a.tee_id()));
    assert_eq!(r.refresh().unwrap(), Refresh::Kept(*a.tee_id()));

    // The OHTTP key rotates (same signing key): dropped, re-selected with the new key.
    let fresh = keys();
    let mut rotated = record.clone();
    rotated.ohttp = TeeRecord::for_keys(&fresh, "").ohttp;
    mock.set_tee(&rotated, true).unwrap();
    assert_eq!(
        r.refresh().unwrap(),
        Refresh::Replaced {
            old: *a.tee_id(),
            reason: DropReason::OhttpKeyChanged,
            new: *a.tee_id()
        }
    );
    assert_eq!(
        r.current().unwrap().ohttp().public_key,
        fresh.ohttp_config().public_key
    );

    // The key id changes (same key bytes, blob dropped so it cannot disagree).
    let mut rekeyed = rotated.clone();
    let o = rekeyed.ohttp.as_mut().unwrap();
    o.key_id = 2;
    o.key_config.clear();
    mock.set_tee(&rekeyed, true).unwrap();
    match r.refresh().unwrap() {
        Refresh::Replaced { reason, .. } => assert_eq!(reason, DropReason::KeyIdChanged),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.current().unwrap().ohttp().key_id, 2);

    // The signing key rotates: the old tee_id leaves, a new one appears at the same
    // endpoint.
    let b = keys();
    mock.remove(id).unwrap();
    mock.set_tee(&TeeRecord::for_keys(&b, "https://a.example"), true)
        .unwrap();
    assert_eq!(
        r.refresh().unwrap(),
        Refresh::Replaced {
            old: *a.tee_id(),
            reason: DropReason::SigningKeyChanged,
            new: *b.tee_id()
        }
    );

    // Deactivated with another TEE available: NoLongerActive, the other selected.
    let c = keys();
    mock.set_tee(&TeeRecord::for_keys(&c, "https://c.example"), true)
        .unwrap();
    mock.set_active(*b.tee_id().as_bytes(), false).unwrap();
    assert_eq!(
        r.refresh().unwrap(),
        Refresh::Replaced {
            old: *b.tee_id(),
            reason: DropReason::NoLongerActive,
            new: *c.tee_id()
        }
    );

    // Nothing left: the TEE is dropped and the error says so.
    mock.set_active(*c.tee_id().as_bytes(), false).unwrap();
    let err = r.refresh().unwrap_err();
    assert_eq!(err.category(), "no_tee");
    assert!(r.current().is_none());
}

#[test]
fn endpoint_rereads_after_the_interval_and_keeps_the_cache_when_the_node_fails() {
    let anvil = anvil();
    let mock = MockRegistry::deploy(&anvil).unwrap();
    let (a, b) = (keys(), keys());
    mock.set_tee(&TeeRecord::for_keys(&a, "https://a.example"), true)
        .unwrap();
    let interval = Duration::from_secs(1);
    let resolver =
        Resolver::new(registry(&anvil, &mock), Selection::new()).refresh_interval(interval);
    let r = og_relay::registry::BlockingResolver::new(resolver);
    assert_eq!(r.endpoint().unwrap().tee_id(), a.tee_id());
    let read_at = Instant::now();

    mock.set_active(*a.tee_id().as_bytes(), false).unwrap();
    mock.set_tee(&TeeRecord::for_keys(&b, "https://b.example"), true)
        .unwrap();
    // Within the interval: cached, no read.
    assert!(
        read_at.elapsed() < interval,
        "the transactions took too long"
    );
    assert_eq!(r.endpoint().unwrap().tee_id(), a.tee_id());
    std::thread::sleep(interval.saturating_sub(read_at.elapsed()) + Duration::from_millis(50));
    // After it: re-read, a is gone.
    assert_eq!(r.endpoint().unwrap().tee_id(), b.tee_id());

    // The node goes away: the cached TEE is kept, and the failed re-read is not
    // repeated on every call until another interval has passed.
    drop(mock);
    drop(anvil);
    std::thread::sleep(interval + Duration::from_millis(50));
    assert_eq!(r.endpoint().unwrap().tee_id(), b.tee_id());
    let again = Instant::now();
    for _ in 0..1000 {
        assert_eq!(r.endpoint().unwrap().tee_id(), b.tee_id());
    }
    assert!(
        again.elapsed() < Duration::from_millis(100),
        "{:?}",
        again.elapsed()
    );
}

#[test]
fn a_node_that_is_down_is_a_clear_error_without_a_hang() {
    let url = refusing_url();
    let registry = Registry::with_limits(
        &url,
        og_relay::registry::DEFAULT_REGISTRY_ADDRESS,
        RegistryLimits {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            ..Default::default()
        },
    )
    .unwrap();
    let start = Instant::now();
    let err = registry
        .active_tees_blocking(TeeType::LlmProxy)
        .unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(&err, Error::Rpc { url: u, .. } if *u == url),
        "{err:?}"
    );
    assert!(err.is_retryable());

    // And the one-call client says so at build time.
    let err = ConfidentialClient::builder("http://127.0.0.1:9")
        .registry(registry)
        .build()
        .unwrap_err();
    assert_eq!(err.category(), "rpc", "{err}");
}

/// registry -> resolver -> relay client -> simulated enclave, verified; the first TEE
/// refuses connections, the client fails over to the second.
#[test]
fn end_to_end_with_failover() {
    let anvil = anvil();
    let mock = MockRegistry::deploy(&anvil).unwrap();
    let sim = Sim::start().unwrap();

    // TEE "dead": registered, routed by the relay to a port that refuses connections.
    let dead = keys();
    let dead_url = refusing_url();
    mock.set_tee(&TeeRecord::for_keys(&dead, &dead_url), true)
        .unwrap();
    sim.route(dead.tee_id(), &dead_url);

    let client = ConfidentialClient::builder(&sim.relay_url())
        .registry(registry(&anvil, &mock))
        .auth(BearerToken::new(og_sim::DEFAULT_TOKEN))
        .build()
        .unwrap();
    assert_eq!(
        client.tee().unwrap().tee_id(),
        dead.tee_id(),
        "only one to pick"
    );

    // The live enclave joins the registry.
    mock.set_tee(&TeeRecord::for_keys(sim.keys(), &sim.enclave_url()), true)
        .unwrap();

    let answer = client
        .chat(
            "openai/gpt-4.1",
            &message("hello registry"),
            &ChatOptions::default(),
        )
        .unwrap();
    assert_eq!(answer.content(), "You said: hello registry");
    assert_eq!(answer.proof().tee_id(), sim.keys().tee_id().to_string());
    assert_eq!(answer.proof().tee_host(), Some(sim.enclave_url().as_str()));
    assert_eq!(
        client.tee().unwrap().tee_id(),
        sim.keys().tee_id(),
        "failed over"
    );

    // Streamed through the same client, verified whole.
    let streamed = client
        .chat(
            "gpt-4.1",
            &message("stream it"),
            &ChatOptions {
                stream: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(streamed.content(), "You said: stream it");
    assert!(streamed.stream_frames().is_some_and(|f| f.len() > 1));

    // A tampered answer is never returned, and not retried as if it were transport.
    sim.set_fault(Some(og_sim::Fault::SignDifferentOutput));
    let err = client
        .chat("gpt-4.1", &message("tamper"), &ChatOptions::default())
        .unwrap_err();
    assert_eq!(err.category(), "output_hash_mismatch", "{err}");
}
