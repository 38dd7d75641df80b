//! Which registry TEE to use: OHTTP-capable LLM proxies, optionally pinned to a PCR
//! hash and/or a tee_id, otherwise one at random.

use og_verify::{PcrHash, TeeId};

use super::{RegisteredTee, TeeType};
use crate::{Error, TeeEndpoint};

/// The selection policy (PROTOCOL §6).
///
/// Candidates are the records of type [`TeeType::LlmProxy`] whose
/// [`RegisteredTee::endpoint`] is usable (which implies a 32-byte OHTTP key). A PCR pin
/// keeps those whose registered `pcrHash` equals it; a tee_id pin keeps that one TEE.
/// A pin that matches nothing is an error ([`Error::NoTee`]) naming what the registry
/// holds, never a silent fallback.
///
/// ```
/// use og_relay::registry::Selection;
/// use og_relay::PcrHash;
/// let pinned = Selection::new().pin_pcr(PcrHash::from_bytes([7; 32]));
/// assert!(pinned.pcr_pin().is_some());
/// // An empty registry: nothing to select, and the error says so.
/// let err = Selection::new().choose(&[], &[]).unwrap_err();
/// assert_eq!(err.category(), "no_tee");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    tee_type: TeeType,
    pcr_pin: Option<PcrHash>,
    tee_id_pin: Option<TeeId>,
}

impl Selection {
    /// Any usable LLM-proxy TEE.
    pub fn new() -> Selection {
        Selection::default()
    }

    /// Keeps only TEEs whose registered PCR hash is `pcr` (a known-good build).
    pub fn pin_pcr(mut self, pcr: PcrHash) -> Selection {
        self.pcr_pin = Some(pcr);
        self
    }

    /// Keeps only the TEE `tee_id`.
    pub fn pin_tee_id(mut self, tee_id: TeeId) -> Selection {
        self.tee_id_pin = Some(tee_id);
        self
    }

    /// Selects TEEs of another type than [`TeeType::LlmProxy`].
    pub fn tee_type(mut self, tee_type: TeeType) -> Selection {
        self.tee_type = tee_type;
        self
    }

    /// The TEE type read from the registry.
    pub fn selected_type(&self) -> TeeType {
        self.tee_type
    }

    /// The PCR pin, if any.
    pub fn pcr_pin(&self) -> Option<&PcrHash> {
        self.pcr_pin.as_ref()
    }

    /// The tee_id pin, if any.
    pub fn tee_id_pin(&self) -> Option<&TeeId> {
        self.tee_id_pin.as_ref()
    }

    /// Whether `tee` passes this policy.
    pub fn accepts(&self, tee: &RegisteredTee) -> bool {
        tee.tee_type() == self.tee_type
            && tee.endpoint().is_ok()
            && self.pcr_pin.is_none_or(|p| p.matches(tee.pcr_hash()))
            && self.tee_id_pin.is_none_or(|id| id == *tee.tee_id())
    }

    /// Every record that passes, in registry order.
    ///
    /// # Errors
    /// [`Error::NoTee`] when none does, saying which condition emptied the list.
    pub fn candidates<'a>(
        &self,
        tees: &'a [RegisteredTee],
    ) -> Result<Vec<&'a RegisteredTee>, Error> {
        let matching: Vec<&RegisteredTee> = tees.iter().filter(|t| self.accepts(t)).collect();
        if matching.is_empty() {
            return Err(Error::NoTee(self.explain(tees)));
        }
        Ok(matching)
    }

    /// One passing TEE at random, avoiding those in `avoid` (for instance TEEs that
    /// just failed) unless nothing else passes.
    ///
    /// # Errors
    /// As [`Selection::candidates`].
    pub fn choose(&self, tees: &[RegisteredTee], avoid: &[TeeId]) -> Result<TeeEndpoint, Error> {
        let all = self.candidates(tees)?;
        let fresh: Vec<&RegisteredTee> = all
            .iter()
            .copied()
            .filter(|t| !avoid.contains(t.tee_id()))
            .collect();
        let pool = if fresh.is_empty() { all } else { fresh };
        let pick = pool[random_index(pool.len())];
        pick.endpoint()
            .cloned()
            .map_err(|why| Error::NoTee(why.to_string()))
    }

    fn explain(&self, tees: &[RegisteredTee]) -> String {
        let of_type: Vec<&RegisteredTee> = tees
            .iter()
            .filter(|t| t.tee_type() == self.tee_type)
            .collect();
        let usable: Vec<&RegisteredTee> = of_type
            .iter()
            .copied()
            .filter(|t| t.endpoint().is_ok())
            .collect();
        let kind = match self.tee_type {
            TeeType::LlmProxy => "LLM-proxy".to_owned(),
            other => other.to_string(),
        };
        if let Some(id) = &self.tee_id_pin {
            return match of_type.iter().find(|t| t.tee_id() == id) {
                None => format!(
                    "the pinned TEE {id} is not among the registry's {} active {kind} TEE(s)",
                    of_type.len()
                ),
                Some(t) => match t.endpoint() {
                    Err(why) => format!("the pinned TEE {id} is active but unusable: {why}"),
                    Ok(_) => format!(
                        "the pinned TEE {id} has PCR hash {} which is not the pinned {}",
                        t.pcr_hash(),
                        self.pcr_pin.map(|p| p.to_string()).unwrap_or_default()
                    ),
                },
            };
        }
        if let Some(pcr) = &self.pcr_pin {
            let mut seen: Vec<String> = usable.iter().map(|t| t.pcr_hash().to_string()).collect();
            seen.sort();
            seen.dedup();
            return format!(
                "no usable {kind} TEE has the pinned PCR hash {pcr}; the {} usable one(s) have {}",
                usable.len(),
                if seen.is_empty() {
                    "none".to_owned()
                } else {
                    seen.join(", ")
                }
            );
        }
        let skipped = of_type.len() - usable.len();
        format!(
            "the registry lists {} active {kind} TEE(s), none usable over OHTTP ({skipped} skipped: no OHTTP key, bad key or missing fields; run with logging to see why)",
            of_type.len()
        )
    }
}

/// A uniform index below `n` (n > 0) from the OS's randomness.
fn random_index(n: usize) -> usize {
    let mut bytes = [0u8; 8];
    // If the OS has no randomness to give, the first candidate is still a valid choice.
    if getrandom::fill(&mut bytes).is_err() {
        return 0;
    }
    (u64::from_le_bytes(bytes) % n as u64) as usize
}
