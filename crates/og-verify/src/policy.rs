//! An opt-in freshness policy for the signed timestamp.
//!
//! The reference checks no freshness: a genuine signature is accepted whatever
//! its `tee_timestamp`. A caller who wants to refuse replayed or badly clocked
//! answers checks the verified proof against its own clock with a
//! [`FreshnessPolicy`], after verification (the timestamp means nothing before
//! the signature over it is checked).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::VerifyError;
use crate::proof::TeeProof;

/// How old (and how far in the future) a signed timestamp may be.
///
/// [`FreshnessPolicy::default`] checks nothing, as the reference. With
/// [`FreshnessPolicy::max_age`], a timestamp older than the maximum age is
/// `stale_timestamp`, and one ahead of `now` by more than the clock skew (0 unless
/// set with [`FreshnessPolicy::with_clock_skew`]) is `future_timestamp`. Seconds
/// are whole; the bounds are inclusive.
///
/// ```
/// use og_verify::FreshnessPolicy;
/// use std::time::Duration;
/// let policy = FreshnessPolicy::max_age(Duration::from_secs(300))
///     .with_clock_skew(Duration::from_secs(30));
/// assert!(policy.check_timestamp(1_000, 1_300).is_ok());
/// assert_eq!(policy.check_timestamp(1_000, 1_301).unwrap_err().category(), "stale_timestamp");
/// assert!(policy.check_timestamp(1_030, 1_000).is_ok());
/// assert_eq!(policy.check_timestamp(1_031, 1_000).unwrap_err().category(), "future_timestamp");
/// assert!(FreshnessPolicy::default().check_timestamp(0, u64::MAX).is_ok());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FreshnessPolicy {
    max_age_secs: Option<u64>,
    max_skew_secs: u64,
}

impl FreshnessPolicy {
    /// A policy refusing timestamps older than `max_age` (whole seconds) and any
    /// timestamp in the future (until a clock skew is allowed).
    ///
    /// ```
    /// use og_verify::FreshnessPolicy;
    /// let p = FreshnessPolicy::max_age(std::time::Duration::from_secs(60));
    /// assert!(p.is_enabled());
    /// ```
    pub fn max_age(max_age: Duration) -> FreshnessPolicy {
        FreshnessPolicy {
            max_age_secs: Some(max_age.as_secs()),
            max_skew_secs: 0,
        }
    }

    /// Allows timestamps up to `skew` (whole seconds) ahead of `now`.
    ///
    /// ```
    /// use og_verify::FreshnessPolicy;
    /// use std::time::Duration;
    /// let p = FreshnessPolicy::max_age(Duration::from_secs(60)).with_clock_skew(Duration::from_secs(5));
    /// assert!(p.check_timestamp(105, 100).is_ok());
    /// ```
    pub fn with_clock_skew(self, skew: Duration) -> FreshnessPolicy {
        FreshnessPolicy {
            max_skew_secs: skew.as_secs(),
            ..self
        }
    }

    /// True unless this is the default, checking-nothing policy.
    ///
    /// ```
    /// assert!(!og_verify::FreshnessPolicy::default().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.max_age_secs.is_some()
    }

    /// Checks a verified proof's timestamp against `now`.
    ///
    /// # Errors
    /// [`VerifyError::StaleTimestamp`] or [`VerifyError::FutureTimestamp`]. A clock
    /// before 1970 counts as time 0.
    ///
    /// ```
    /// # let proof: og_verify::TeeProof = serde_json::from_str(include_str!("../tests/data/ok_text_2048.proof.json")).unwrap();
    /// use og_verify::FreshnessPolicy;
    /// use std::time::{Duration, SystemTime};
    /// let policy = FreshnessPolicy::max_age(Duration::from_secs(600));
    /// let signed_at = SystemTime::UNIX_EPOCH + Duration::from_secs(proof.timestamp());
    /// assert!(policy.check(&proof, signed_at + Duration::from_secs(60)).is_ok());
    /// assert!(policy.check(&proof, signed_at + Duration::from_secs(3600)).is_err());
    /// ```
    pub fn check(&self, proof: &TeeProof, now: SystemTime) -> Result<(), VerifyError> {
        let now = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.check_timestamp(proof.timestamp(), now)
    }

    /// Checks a signed timestamp (unix seconds) against `now_unix_secs`.
    ///
    /// # Errors
    /// [`VerifyError::StaleTimestamp`] or [`VerifyError::FutureTimestamp`].
    ///
    /// ```
    /// use og_verify::FreshnessPolicy;
    /// let p = FreshnessPolicy::max_age(std::time::Duration::from_secs(10));
    /// assert!(p.check_timestamp(95, 100).is_ok());
    /// assert!(p.check_timestamp(80, 100).is_err());
    /// ```
    pub fn check_timestamp(&self, timestamp: u64, now_unix_secs: u64) -> Result<(), VerifyError> {
        let Some(max_age_secs) = self.max_age_secs else {
            return Ok(());
        };
        if timestamp > now_unix_secs {
            let ahead_secs = timestamp - now_unix_secs;
            if ahead_secs > self.max_skew_secs {
                return Err(VerifyError::FutureTimestamp {
                    ahead_secs,
                    max_skew_secs: self.max_skew_secs,
                });
            }
            return Ok(());
        }
        let age_secs = now_unix_secs - timestamp;
        if age_secs > max_age_secs {
            return Err(VerifyError::StaleTimestamp {
                age_secs,
                max_age_secs,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default() {
        let p = FreshnessPolicy::default();
        assert!(!p.is_enabled());
        assert!(p.check_timestamp(u64::MAX, 0).is_ok());
        assert!(p.check_timestamp(0, u64::MAX).is_ok());
    }

    #[test]
    fn bounds_are_inclusive() {
        let p = FreshnessPolicy::max_age(Duration::from_secs(10))
            .with_clock_skew(Duration::from_secs(2));
        assert!(p.check_timestamp(90, 100).is_ok());
        assert_eq!(
            p.check_timestamp(89, 100),
            Err(VerifyError::StaleTimestamp {
                age_secs: 11,
                max_age_secs: 10
            })
        );
        assert!(p.check_timestamp(102, 100).is_ok());
        assert_eq!(
            p.check_timestamp(103, 100),
            Err(VerifyError::FutureTimestamp {
                ahead_secs: 3,
                max_skew_secs: 2
            })
        );
    }

    #[test]
    fn extremes_do_not_overflow() {
        let p = FreshnessPolicy::max_age(Duration::MAX).with_clock_skew(Duration::MAX);
        assert!(p.check_timestamp(0, u64::MAX).is_ok());
        assert!(p.check_timestamp(u64::MAX, 0).is_ok());
        let strict = FreshnessPolicy::max_age(Duration::ZERO);
        assert!(strict.check_timestamp(5, 5).is_ok());
        assert!(strict.check_timestamp(4, 5).is_err());
        assert!(strict.check_timestamp(6, 5).is_err());
    }
}
