//! Face match at submission (DESIGN §7): the submitted photo's face descriptor against the
//! student's ID-card portrait's, both computed and stored by the photo processor, so that
//! deciding here is arithmetic on two stored vectors and no model is loaded outside it.

use serde::{Deserialize, Serialize};

/// Same person when the Euclidean distance of two 128-d descriptors is at most this. The photo
/// engine calibrated it (`photo::descriptor`, on the labelled pairs of the fixtures); it lives
/// here so that the engine and the submission share one number.
pub const SAME_PERSON_MAX_DISTANCE: f32 = 0.6;

/// Distances this close to the threshold are within the descriptor's spread on the labelled
/// pairs: one person in small faces of two sessions reads 0.556, two different people of one
/// studio 0.600–0.610 (`photo::descriptor` gives the evidence), so no number separates them
/// there and the reviewer compares by eye.
pub const TOO_CLOSE_TO_CALL: f32 = 0.03;

/// The Euclidean distance of two descriptors; `None` when they cannot be compared (different
/// lengths, or a value that is not finite).
pub fn distance(a: &[f32], b: &[f32]) -> Option<f32> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let d = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f32>()
        .sqrt();
    d.is_finite().then_some(d)
}

/// What the reviewer is told about the submitted face against the ID-card portrait.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum FaceMatch {
    /// Within the engine's threshold.
    Same { distance: f32, threshold: f32 },
    /// Beyond it: the reviewer looks closely, and may reject as `not_the_student`.
    Different { distance: f32, threshold: f32 },
    /// Within [`TOO_CLOSE_TO_CALL`] of the threshold, either side: the descriptor cannot tell,
    /// the reviewer compares by eye.
    Uncertain { distance: f32, threshold: f32 },
    /// No comparison was possible: a flag for the reviewer, who compares by eye.
    Unavailable { gap: FaceGap },
}

// Distances are finite by construction ([`distance`] refuses NaN), so equality is total.
impl Eq for FaceMatch {}

/// Why no comparison was possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceGap {
    /// The student never uploaded an ID-card portrait.
    NoPortrait,
    /// The portrait is uploaded but not processed yet.
    PortraitPending,
    /// No single face could be found on the portrait.
    PortraitUnusable,
    /// A descriptor is missing or the two cannot be compared.
    NoDescriptor,
}

impl FaceMatch {
    /// Compares the submitted photo's descriptor with the portrait's.
    pub fn compare(photo: &[f32], portrait: &[f32]) -> Self {
        let threshold = SAME_PERSON_MAX_DISTANCE;
        match distance(photo, portrait) {
            Some(distance) if (distance - threshold).abs() < TOO_CLOSE_TO_CALL => Self::Uncertain {
                distance,
                threshold,
            },
            Some(distance) if distance <= threshold => Self::Same {
                distance,
                threshold,
            },
            Some(distance) => Self::Different {
                distance,
                threshold,
            },
            None => Self::Unavailable {
                gap: FaceGap::NoDescriptor,
            },
        }
    }

    /// True when a reviewer should look twice: a different face, one too close to call, or no
    /// comparison at all.
    pub fn needs_attention(&self) -> bool {
        !matches!(self, Self::Same { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_decides_and_bad_vectors_are_a_gap() {
        let a = [0.0f32; 128];
        let mut b = [0.0f32; 128];
        b[0] = 0.5;
        assert!(
            matches!(FaceMatch::compare(&a, &b), FaceMatch::Same { distance, .. } if (distance - 0.5).abs() < 1e-6)
        );
        b[0] = 0.7;
        assert!(matches!(
            FaceMatch::compare(&a, &b),
            FaceMatch::Different { .. }
        ));
        let gap = FaceMatch::Unavailable {
            gap: FaceGap::NoDescriptor,
        };
        assert_eq!(FaceMatch::compare(&a, &b[..127]), gap);
        b[2] = f32::NAN;
        assert_eq!(FaceMatch::compare(&a, &b), gap);
        assert!(gap.needs_attention());
    }

    #[test]
    fn distances_near_the_threshold_are_left_to_the_reviewer() {
        let a = [0.0f32; 128];
        let mut b = [0.0f32; 128];
        for (d, uncertain) in [
            (0.569, false),
            (0.572, true),
            (0.6, true),
            (0.628, true),
            (0.631, false),
        ] {
            b[0] = d;
            let m = FaceMatch::compare(&a, &b);
            assert_eq!(
                matches!(m, FaceMatch::Uncertain { .. }),
                uncertain,
                "{d}: {m:?}"
            );
            assert_eq!(m.needs_attention(), d > 0.57, "{d}: {m:?}");
        }
    }

    #[test]
    fn it_is_stored_with_its_verdict_named() {
        let m = FaceMatch::Different {
            distance: 0.71,
            threshold: 0.6,
        };
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(json["verdict"], "different");
        assert_eq!(serde_json::from_value::<FaceMatch>(json).unwrap(), m);
        let gap = serde_json::json!({"verdict": "unavailable", "gap": "portrait_unusable"});
        assert_eq!(
            serde_json::from_value::<FaceMatch>(gap).unwrap(),
            FaceMatch::Unavailable {
                gap: FaceGap::PortraitUnusable
            }
        );
    }
}
