//! QUIC variable-length integers (RFC 9000 §16), the length prefixes of chunked OHTTP.
//!
//! The two top bits of the first byte give the encoded length (1, 2, 4 or 8 bytes); the
//! rest, big-endian, is the value. Encoding is always minimal; decoding accepts any
//! length, including non-minimal encodings (`0x4001` is 1), as RFC 9000 allows.

use alloc::vec::Vec;

use crate::Error;

/// The largest value a varint can hold, 2^62 - 1.
///
/// ```
/// assert_eq!(og_ohttp_core::varint::MAX, (1u64 << 62) - 1);
/// ```
pub const MAX: u64 = (1 << 62) - 1;

/// The encoded length (1, 2, 4 or 8) announced by a varint's first byte.
///
/// ```
/// assert_eq!(og_ohttp_core::varint::len_from_first_byte(0x40), 2);
/// assert_eq!(og_ohttp_core::varint::len_from_first_byte(0xc0), 8);
/// ```
pub fn len_from_first_byte(first: u8) -> usize {
    1 << (first >> 6)
}

/// The minimal encoded length of `value`, or `None` above [`MAX`].
///
/// ```
/// use og_ohttp_core::varint::encoded_len;
/// assert_eq!(encoded_len(63), Some(1));
/// assert_eq!(encoded_len(64), Some(2));
/// assert_eq!(encoded_len(1 << 62), None);
/// ```
pub fn encoded_len(value: u64) -> Option<usize> {
    match value {
        0..=0x3f => Some(1),
        0x40..=0x3fff => Some(2),
        0x4000..=0x3fff_ffff => Some(4),
        0x4000_0000..=MAX => Some(8),
        _ => None,
    }
}

/// Encodes `value` minimally into a fixed buffer; returns the buffer and the used length.
///
/// ```
/// let (buf, n) = og_ohttp_core::varint::encode_array(15293)?;
/// assert_eq!(&buf[..n], &[0x7b, 0xbd]);
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
pub fn encode_array(value: u64) -> Result<([u8; 8], usize), Error> {
    let len = encoded_len(value).ok_or(Error::malformed("a varint value above 2^62 - 1"))?;
    let be = value.to_be_bytes();
    let mut out = [0u8; 8];
    let start = 8 - len;
    for (o, b) in out.iter_mut().zip(be.iter().skip(start)) {
        *o = *b;
    }
    // The length tag in the two top bits: 00, 01, 10, 11 for 1, 2, 4, 8 bytes.
    let tag: u8 = match len {
        1 => 0x00,
        2 => 0x40,
        4 => 0x80,
        _ => 0xc0,
    };
    out[0] |= tag;
    Ok((out, len))
}

/// Appends the minimal encoding of `value` to `out`.
///
/// ```
/// let mut v = Vec::new();
/// og_ohttp_core::varint::encode(494878333, &mut v)?;
/// assert_eq!(v, [0x9d, 0x7f, 0x3e, 0x7d]);
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
pub fn encode(value: u64, out: &mut Vec<u8>) -> Result<(), Error> {
    let (buf, len) = encode_array(value)?;
    out.extend_from_slice(buf.get(..len).unwrap_or_default());
    Ok(())
}

/// Decodes one varint from the front of `bytes`; returns the value and the bytes used.
///
/// Input that ends inside the varint is [`Error::Malformed`].
///
/// ```
/// use og_ohttp_core::varint::decode;
/// assert_eq!(decode(&[0x25, 0xff])?, (37, 1));
/// assert_eq!(decode(&[0x40, 0x25])?, (37, 2)); // non-minimal, still valid
/// assert_eq!(decode(&[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c])?, (151288809941952652, 8));
/// assert!(decode(&[0x80, 0x00]).is_err());
/// # Ok::<(), og_ohttp_core::Error>(())
/// ```
pub fn decode(bytes: &[u8]) -> Result<(u64, usize), Error> {
    let first = *bytes
        .first()
        .ok_or(Error::malformed("the input ends before a varint"))?;
    let len = len_from_first_byte(first);
    let body = bytes
        .get(..len)
        .ok_or(Error::malformed("the input ends inside a varint"))?;
    let mut value = u64::from(first & 0x3f);
    for b in body.iter().skip(1) {
        value = (value << 8) | u64::from(*b);
    }
    Ok((value, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc9000_examples() {
        // RFC 9000 Appendix A.1.
        let cases: [(&[u8], u64); 5] = [
            (
                &[0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c],
                151_288_809_941_952_652,
            ),
            (&[0x9d, 0x7f, 0x3e, 0x7d], 494_878_333),
            (&[0x7b, 0xbd], 15_293),
            (&[0x25], 37),
            (&[0x40, 0x25], 37),
        ];
        for (enc, v) in cases {
            assert_eq!(decode(enc).unwrap(), (v, enc.len()));
        }
        let mut out = Vec::new();
        encode(37, &mut out).unwrap();
        assert_eq!(out, [0x25]);
    }

    #[test]
    fn boundaries() {
        for (v, n) in [
            (0u64, 1usize),
            (63, 1),
            (64, 2),
            (16383, 2),
            (16384, 4),
            (0x3fff_ffff, 4),
            (0x4000_0000, 8),
            (MAX, 8),
        ] {
            let mut out = Vec::new();
            encode(v, &mut out).unwrap();
            assert_eq!(out.len(), n, "{v}");
            assert_eq!(decode(&out).unwrap(), (v, n));
        }
        assert!(encode(MAX + 1, &mut Vec::new()).is_err());
        assert_eq!(encoded_len(u64::MAX), None);
    }

    #[test]
    fn short_input_is_malformed() {
        assert_eq!(decode(&[]).unwrap_err().category(), "malformed");
        assert_eq!(decode(&[0x40]).unwrap_err().category(), "malformed");
        assert_eq!(
            decode(&[0xc0, 0, 0, 0, 0, 0, 0]).unwrap_err().category(),
            "malformed"
        );
    }

    #[test]
    fn non_minimal_encodings_decode() {
        assert_eq!(decode(&[0x80, 0, 0, 5]).unwrap(), (5, 4));
        assert_eq!(decode(&[0xc0, 0, 0, 0, 0, 0, 0, 0]).unwrap(), (0, 8));
    }

    proptest! {
        #[test]
        fn round_trip(v in 0..=MAX) {
            let mut out = Vec::new();
            encode(v, &mut out).unwrap();
            prop_assert_eq!(decode(&out).unwrap(), (v, out.len()));
            prop_assert_eq!(Some(out.len()), encoded_len(v));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            if let Ok((v, n)) = decode(&bytes) {
                prop_assert!(v <= MAX);
                prop_assert!(n <= bytes.len());
            }
        }
    }
}
