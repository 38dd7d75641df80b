//! PCR hashes: the enclave measurement the registry records, and pin checks.

use core::fmt;
use core::str::FromStr;

use crate::error::VerifyError;
use crate::keys::{hex32, parse_bytes32};

/// A registry `pcrHash` (bytes32): the hash of the enclave's PCR measurements.
///
/// Parsed from 64 hex digits, either case, `0x` optional (lower-case `0x`, as for
/// [`crate::TeeId`]); shown as `0x` + lower-case hex. A caller who pins a
/// measurement checks each registry entry with [`PcrHash::matches`].
///
/// ```
/// use og_verify::PcrHash;
/// let pinned: PcrHash = "0xAA00000000000000000000000000000000000000000000000000000000000001".parse()?;
/// let registered = PcrHash::from_bytes({
///     let mut b = [0u8; 32];
///     b[0] = 0xaa;
///     b[31] = 1;
///     b
/// });
/// assert!(pinned.matches(&registered));
/// assert_eq!(
///     registered.to_string(),
///     "0xaa00000000000000000000000000000000000000000000000000000000000001"
/// );
/// # Ok::<(), og_verify::VerifyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PcrHash([u8; 32]);

impl PcrHash {
    /// Parses 64 hex digits (either case), with an optional `0x` prefix.
    ///
    /// # Errors
    /// [`VerifyError::InvalidPcrHash`] for an empty string, a `0X` prefix, a length
    /// other than 64 digits, or a non-hex character.
    ///
    /// ```
    /// use og_verify::PcrHash;
    /// assert!(PcrHash::parse(&"00".repeat(32)).is_ok());
    /// assert_eq!(PcrHash::parse("0xabc").unwrap_err().category(), "invalid_pcr_hash");
    /// ```
    pub fn parse(text: &str) -> Result<PcrHash, VerifyError> {
        parse_bytes32(text)
            .map(PcrHash)
            .map_err(|reason| VerifyError::InvalidPcrHash { reason })
    }

    /// A PCR hash from its 32 bytes (as decoded from the registry).
    ///
    /// ```
    /// use og_verify::PcrHash;
    /// assert_eq!(PcrHash::from_bytes([1; 32]).as_bytes(), &[1; 32]);
    /// ```
    pub const fn from_bytes(bytes: [u8; 32]) -> PcrHash {
        PcrHash(bytes)
    }

    /// The 32 bytes.
    ///
    /// ```
    /// use og_verify::PcrHash;
    /// assert_eq!(PcrHash::from_bytes([2; 32]).as_bytes()[0], 2);
    /// ```
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The pin check: true when `registered` (a registry entry's `pcrHash`) is this
    /// pinned value.
    ///
    /// ```
    /// use og_verify::PcrHash;
    /// let pin = PcrHash::from_bytes([3; 32]);
    /// assert!(pin.matches(&PcrHash::from_bytes([3; 32])));
    /// assert!(!pin.matches(&PcrHash::from_bytes([4; 32])));
    /// ```
    pub fn matches(&self, registered: &PcrHash) -> bool {
        self.0 == registered.0
    }
}

impl fmt::Display for PcrHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = hex32(&self.0);
        f.write_str("0x")?;
        f.write_str(core::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for PcrHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PcrHash({self})")
    }
}

impl FromStr for PcrHash {
    type Err = VerifyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PcrHash::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_both_cases_and_optional_prefix() {
        let want = PcrHash::from_bytes([0xef; 32]);
        assert_eq!(PcrHash::parse(&"ef".repeat(32)), Ok(want));
        assert_eq!(PcrHash::parse(&"EF".repeat(32)), Ok(want));
        assert_eq!(PcrHash::parse(&format!("0x{}", "Ef".repeat(32))), Ok(want));
    }

    #[test]
    fn parse_refuses_malformed() {
        for bad in [
            String::new(),
            "0x".into(),
            format!("0X{}", "ef".repeat(32)),
            "ef".repeat(31),
            "ef".repeat(33),
            format!("{}gg", "ef".repeat(31)),
        ] {
            let err = PcrHash::parse(&bad).unwrap_err();
            assert_eq!(err.category(), "invalid_pcr_hash", "{bad}");
        }
    }

    #[test]
    fn display_round_trips() {
        let p = PcrHash::from_bytes([0x5a; 32]);
        assert_eq!(p.to_string().parse::<PcrHash>(), Ok(p));
        assert!(format!("{p:?}").starts_with("PcrHash(0x5a5a"));
    }
}
