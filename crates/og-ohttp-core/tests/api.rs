//! Behaviour through the public API: whole exchanges, the relay's calling pattern, limits,
//! tampering, and the zeroization contract.

use og_ohttp_core::testing::ReplayRng;
use og_ohttp_core::{
    ChunkLimits, ChunkedDecrypter, ClientRequest, Error, KeyConfig, Recipient, ResponseContext,
    ServerResponse, Suite,
};
use proptest::prelude::*;
use zeroize::{Zeroize, ZeroizeOnDrop};

const SUITES: [Suite; 3] = [
    Suite::X25519_SHA256_CHACHA20POLY1305,
    Suite::X25519_SHA256_AES128GCM,
    Suite::X25519_SHA256_AES256GCM,
];

/// `encapsulate` (operating-system randomness) with the `std` feature, else the rng path.
fn seal_request(client: &ClientRequest, plaintext: &[u8]) -> (Vec<u8>, ResponseContext) {
    #[cfg(feature = "std")]
    let sealed = client.encapsulate(plaintext);
    #[cfg(not(feature = "std"))]
    let sealed = client.encapsulate_with_rng(&mut ReplayRng::new(plaintext), plaintext);
    sealed.unwrap()
}

/// A gateway and one sealed request to it.
fn exchange(suite: Suite, plaintext: &[u8]) -> (Vec<u8>, ResponseContext, ServerResponse) {
    let gateway = Recipient::derive(7, suite, b"integration");
    let client = ClientRequest::new(7, suite, gateway.public_key()).unwrap();
    let (request, context) = seal_request(&client, plaintext);
    let (opened, server) = gateway.decapsulate(&request).unwrap();
    assert_eq!(opened, plaintext);
    (request, context, server)
}

#[test]
fn single_shot_exchange_for_every_suite() {
    for suite in SUITES {
        let (request, context, server) = exchange(suite, b"{\"model\":\"m\"}");
        assert_eq!(&request[..7], &suite.header(7));
        assert_eq!(&request[7..39], context.enc());
        assert_eq!(context.enc(), server.enc());
        let mut rng = ReplayRng::new(&[0x33, 0x44]);
        let response = server.seal_with_rng(&mut rng, b"{\"ok\":true}").unwrap();
        assert_eq!(response.len(), suite.response_nonce_len() + 11 + 16);
        assert_eq!(context.open(&response).unwrap(), b"{\"ok\":true}");
    }
}

#[test]
fn chunked_exchange_as_the_relay_drives_it() {
    for suite in SUITES {
        let (_, context, server) = exchange(suite, b"stream please");
        let mut encrypter = server
            .chunked_encrypter_with_rng(&mut ReplayRng::new(&[9]))
            .unwrap();
        let events: Vec<Vec<u8>> = (0..20)
            .map(|i| format!("data: {{\"delta\":\"{i}\"}}\n\n").into_bytes())
            .collect();
        let mut body = Vec::new();
        for e in &events {
            body.extend(encrypter.seal_chunk(e).unwrap());
        }
        body.extend(encrypter.seal_final(b"data: [DONE]\n\n").unwrap());

        // The relay reads the body in fixed-size pieces and hands every frame on.
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut handle = |frame: &[u8]| seen.push(frame.to_vec());
        let mut decrypter = context.chunked_decrypter(ChunkLimits {
            max_chunk: 64 * 1024,
            max_total: 1 << 20,
        });
        for piece in body.chunks(16 * 1024).flat_map(|c| c.chunks(13)) {
            decrypter.feed(piece, &mut handle).unwrap();
        }
        decrypter.finish(&mut handle).unwrap();
        assert_eq!(seen.len(), 21);
        assert_eq!(&seen[..20], &events[..]);
        assert_eq!(seen[20], b"data: [DONE]\n\n");
    }
}

#[test]
fn a_response_to_another_request_does_not_open() {
    let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
    let (_, context_a, server_a) = exchange(suite, b"a");
    let (_, context_b, _) = exchange(suite, b"b");
    let response = server_a.seal_with_nonce(b"for a", &[1; 32]).unwrap();
    assert_eq!(context_b.open(&response).unwrap_err(), Error::Aead);
    assert_eq!(context_a.open(&response).unwrap(), b"for a");

    // Nor does a chunked stream, nor a single-shot response read as a stream.
    let stream = server_a
        .chunked_encrypter(&[2; 32])
        .unwrap()
        .seal_final(b"x")
        .unwrap();
    let mut d = context_b.chunked_decrypter(ChunkLimits::default());
    d.feed(&stream, |_| {}).unwrap();
    assert_eq!(d.finish(|_| {}).unwrap_err(), Error::Aead);
    let mut d = context_a.chunked_decrypter(ChunkLimits::default());
    d.feed(&response, |_| {}).unwrap_or(());
    assert!(d.finish(|_| {}).is_err());
}

#[test]
fn key_config_drives_the_client() {
    let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
    let gateway = Recipient::derive(0x42, suite, b"kc");
    let list = KeyConfig::list_to_bytes(&[gateway.key_config()]).unwrap();
    let configs = KeyConfig::parse_list(&list).unwrap();
    let client = configs[0].client_request(suite).unwrap();
    let (request, _) = seal_request(&client, b"hello");
    assert_eq!(gateway.decapsulate(&request).unwrap().0, b"hello");
    assert_eq!(
        configs[0]
            .client_request(Suite::X25519_SHA256_AES128GCM)
            .unwrap_err()
            .category(),
        "unsupported_suite"
    );
}

#[test]
fn rotated_key_id_and_wrong_suite_are_refused_by_the_recipient() {
    let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
    let gateway = Recipient::derive(7, suite, b"integration");
    let client = ClientRequest::new(8, suite, gateway.public_key()).unwrap();
    let (request, _) = seal_request(&client, b"x");
    assert_eq!(
        gateway.decapsulate(&request).unwrap_err(),
        Error::UnknownKeyId {
            expected: 7,
            got: 8
        }
    );
    let aes = Recipient::derive(7, Suite::X25519_SHA256_AES128GCM, b"integration");
    let client = ClientRequest::new(7, Suite::X25519_SHA256_AES128GCM, aes.public_key()).unwrap();
    let (request, _) = seal_request(&client, b"x");
    assert_eq!(
        gateway.decapsulate(&request).unwrap_err().category(),
        "unsupported_suite"
    );
}

#[test]
fn eight_mib_stream_in_one_piece() {
    // 8 chunks of 1 MiB - 16 (sealed exactly 1 MiB, the default limit) and a final chunk.
    let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
    let (_, context, server) = exchange(suite, b"big");
    let mut e = server.chunked_encrypter(&[5; 32]).unwrap();
    let frame = vec![0xa5u8; (1 << 20) - 16];
    let mut stream = Vec::with_capacity(9 << 20);
    for _ in 0..8 {
        stream.extend(e.seal_chunk(&frame).unwrap());
    }
    stream.extend(e.seal_final(&frame[..1000]).unwrap());
    assert!(stream.len() > 8 << 20);

    let mut d = context.chunked_decrypter(ChunkLimits::default());
    let (mut frames, mut bytes) = (0usize, 0usize);
    let started = std::time::Instant::now();
    d.feed(&stream, |f| {
        frames += 1;
        bytes += f.len();
    })
    .unwrap();
    d.finish(|f| {
        frames += 1;
        bytes += f.len();
    })
    .unwrap();
    assert_eq!((frames, bytes), (9, 8 * frame.len() + 1000));
    // Generous bound: linear work is well under a second even unoptimized.
    assert!(started.elapsed().as_secs() < 30);

    // One byte over the default chunk limit fails at the prefix, before any buffering.
    let mut e = server.chunked_encrypter(&[6; 32]).unwrap();
    let too_big = e.seal_chunk(&vec![0u8; 1 << 20]).unwrap();
    let mut d = context.chunked_decrypter(ChunkLimits::default());
    assert_eq!(
        d.feed(&too_big[..40], |_| {}).unwrap_err(),
        Error::ChunkTooLarge {
            len: (1 << 20) + 16,
            max: 1 << 20
        }
    );
}

#[test]
fn contexts_zeroize() {
    fn zeroize_on_drop<T: ZeroizeOnDrop>() {}
    zeroize_on_drop::<ResponseContext>();
    zeroize_on_drop::<ServerResponse>();
    zeroize_on_drop::<ChunkedDecrypter>();

    let suite = Suite::X25519_SHA256_CHACHA20POLY1305;
    let (_, mut context, mut server) = exchange(suite, b"z");
    let (rs, crs) = context.exported_secrets_for_tests();
    assert!(rs.iter().any(|b| *b != 0) && crs.iter().any(|b| *b != 0));
    context.zeroize();
    server.zeroize();
    for (a, b) in [
        context.exported_secrets_for_tests(),
        server.exported_secrets_for_tests(),
    ] {
        assert!(a.iter().chain(b).all(|x| *x == 0));
    }
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ClientRequest>();
    send_sync::<Recipient>();
    send_sync::<ResponseContext>();
    send_sync::<ServerResponse>();
    send_sync::<ChunkedDecrypter>();
    send_sync::<og_ohttp_core::ChunkedEncrypter>();
    send_sync::<KeyConfig>();
    send_sync::<Error>();
}

#[test]
fn errors_are_std_errors_with_useful_messages() {
    fn std_error<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    let e = ClientRequest::new(1, Suite::X25519_SHA256_CHACHA20POLY1305, &[1; 5]).unwrap_err();
    std_error(&e);
    let msg = e.to_string();
    assert!(msg.contains("5 bytes") && msg.contains("32"), "{msg}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_bit_flip_of_a_single_shot_response_fails(
        body in proptest::collection::vec(any::<u8>(), 0..100),
        bit in any::<usize>(),
    ) {
        let s = Suite::X25519_SHA256_CHACHA20POLY1305;
        let server = ServerResponse::from_secrets(s, &[1; 32], &[2; 32], &[3; 32]).unwrap();
        let client = ResponseContext::from_secrets(s, &[1; 32], &[2; 32], &[3; 32]).unwrap();
        let mut response = server.seal_with_nonce(&body, &[4; 32]).unwrap();
        prop_assert_eq!(client.open(&response).unwrap(), body);
        let bit = bit % (response.len() * 8);
        response[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(client.open(&response).unwrap_err(), Error::Aead);
    }

    #[test]
    fn arbitrary_bytes_to_open_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        for suite in SUITES {
            let n = suite.response_nonce_len();
            let client = ResponseContext::from_secrets(suite, &[1; 32], &vec![2; n], &vec![3; n]).unwrap();
            let e = client.open(&bytes).unwrap_err();
            prop_assert!(matches!(e.category(), "malformed" | "aead"));
            let mut d = client.chunked_decrypter(ChunkLimits { max_chunk: 50, max_total: 100 });
            let fed = d.feed(&bytes, |_| {});
            if fed.is_ok() {
                let finished = d.finish(|_| {});
                prop_assert!(finished.is_err());
            }
        }
    }

    #[test]
    fn arbitrary_requests_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let gateway = Recipient::derive(bytes.first().copied().unwrap_or(0), Suite::X25519_SHA256_CHACHA20POLY1305, b"p");
        prop_assert!(gateway.decapsulate(&bytes).is_err());
    }
}
