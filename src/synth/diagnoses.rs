//! Curated ICD-10-CM pools: the chronic conditions, acute problems and procedure reasons a primary-care visit is coded with.

/// A long-term condition addressed at a visit, coded by one of `codes`, sometimes followed by a code that says how it is treated.
pub(crate) struct Condition {
    pub(crate) codes: &'static [&'static str],
    /// Status codes that accompany the condition (insulin use after diabetes, BMI after obesity).
    pub(crate) companions: &'static [&'static str],
    pub(crate) ages: (u8, u8),
    /// Whether a visit can be for it: a history code (Z87.891) is only ever secondary.
    pub(crate) principal: bool,
    /// In-office labs that monitor it, at most one of which is run at a visit.
    pub(crate) labs: &'static [&'static str],
}

impl Condition {
    pub(crate) fn fits(&self, age: u8) -> bool {
        (self.ages.0..=self.ages.1).contains(&age)
    }
}

const fn condition(
    codes: &'static [&'static str],
    companions: &'static [&'static str],
    ages: (u8, u8),
    labs: &'static [&'static str],
) -> Condition {
    Condition { codes, companions, ages, principal: true, labs }
}

const fn history(code: &'static [&'static str], ages: (u8, u8)) -> Condition {
    Condition { codes: code, companions: &[], ages, principal: false, labs: &[] }
}

const ADULT: (u8, u8) = (18, 120);

/// One code per condition per visit: a visit never holds both E11.9 (without complications) and E11.65.
pub(crate) const CHRONIC: &[Condition] = &[
    condition(&["E11.9", "E11.65", "E11.40", "E11.42", "E11.69"], &["Z79.84", "Z79.4"], (25, 120), &["83036", "80053"]),
    condition(&["I10"], &[], (25, 120), &["80053"]),
    condition(&["E78.5", "E78.00", "E78.2", "E78.49"], &[], (25, 120), &["80061"]),
    condition(&["K21.9"], &[], ADULT, &[]),
    condition(&["E03.9"], &[], ADULT, &["84443"]),
    condition(&["E66.9", "E66.811", "E66.812"], &["Z68.31", "Z68.33", "Z68.35"], ADULT, &[]),
    condition(&["F41.1"], &[], (12, 120), &[]),
    condition(&["F32.A"], &[], (12, 120), &[]),
    condition(&["J45.909"], &[], (4, 120), &[]),
    condition(&["J44.9"], &[], (40, 120), &[]),
    condition(&["G47.33"], &[], (30, 120), &[]),
    condition(&["I48.91"], &["Z79.01"], (50, 120), &["85025"]),
    condition(&["I25.10"], &[], (45, 120), &["80061"]),
    condition(&["E55.9"], &[], ADULT, &["82306"]),
    condition(&["D64.9"], &[], ADULT, &["85025"]),
    condition(&["M81.0"], &[], (55, 120), &[]),
    condition(&["F17.210"], &[], ADULT, &[]),
    history(&["Z87.891"], ADULT),
    condition(&["M17.0"], &[], (45, 120), &[]),
    condition(&["M54.51", "M54.59"], &[], ADULT, &[]),
    condition(&["J30.9"], &[], (4, 120), &[]),
    condition(&["G43.909"], &[], (12, 120), &[]),
    condition(&["F90.9"], &[], (6, 50), &[]),
    condition(&["R73.03"], &[], (25, 120), &["83036"]),
];

/// Categories that cannot be coded together at one visit (prediabetes beside diabetes); within a category, one code
/// per visit is the rule already.
pub(crate) const EXCLUSIVE: &[(&str, &str)] = &[("E11", "R73"), ("F17", "Z87")];

/// The reason for a sick visit.
pub(crate) struct Problem {
    pub(crate) code: &'static str,
    pub(crate) min_age: u8,
    pub(crate) max_age: u8,
    /// An in-office test for it (rapid strep, urinalysis) with the modifier Medicare wants for a CLIA-waived kit.
    pub(crate) lab: Option<(&'static str, Option<&'static str>)>,
}

const fn problem(
    code: &'static str,
    min_age: u8,
    max_age: u8,
    lab: Option<(&'static str, Option<&'static str>)>,
) -> Problem {
    Problem { code, min_age, max_age, lab }
}

pub(crate) const ACUTE: &[Problem] = &[
    problem("J06.9", 0, 120, None),
    problem("J02.9", 3, 120, Some(("87880", Some("QW")))),
    problem("J01.90", 12, 120, None),
    problem("J20.9", 0, 120, None),
    problem("R05.1", 0, 120, None),
    problem("H66.90", 0, 12, None),
    problem("B34.9", 0, 120, None),
    problem("N39.0", 12, 120, Some(("81002", None))),
    problem("M54.50", 18, 120, None),
    problem("M54.2", 18, 120, None),
    problem("R51.9", 6, 120, None),
    problem("R10.9", 6, 120, None),
];

/// Same-day minor procedures, each with the diagnoses that justify it.
pub(crate) struct Procedure {
    pub(crate) code: &'static str,
    /// Each diagnosis with the laterality modifier it calls for, if any.
    pub(crate) reasons: &'static [(&'static str, Option<&'static str>)],
    pub(crate) min_age: u8,
}

pub(crate) const PROCEDURES: &[Procedure] = &[
    // Large-joint injection; the drug is billed on its own line.
    Procedure { code: "20610", reasons: &[("M17.11", Some("RT")), ("M17.12", Some("LT"))], min_age: 40 },
    // Tangential skin biopsy; 11103 adds each further lesion.
    Procedure {
        code: "11102",
        reasons: &[("D48.5", None), ("L82.1", None), ("D22.5", None), ("D23.5", None)],
        min_age: 18,
    },
    // Destruction of benign lesions such as warts, up to 14.
    Procedure { code: "17110", reasons: &[("B07.8", None), ("B07.0", None), ("B07.9", None)], min_age: 5 },
    // Removal of impacted cerumen with instruments.
    Procedure {
        code: "69210",
        reasons: &[("H61.21", Some("RT")), ("H61.22", Some("LT")), ("H61.23", Some("50"))],
        min_age: 2,
    },
];

/// Principal diagnoses of preventive visits: without and with abnormal findings.
pub(crate) const ADULT_EXAM: (&str, &str) = ("Z00.00", "Z00.01");
pub(crate) const CHILD_EXAM: (&str, &str) = ("Z00.129", "Z00.121");

/// Every ICD-10-CM code a generated visit can hold, to check against the code set.
pub(crate) fn all_codes() -> impl Iterator<Item = &'static str> {
    let chronic = CHRONIC.iter().flat_map(|c| c.codes.iter().chain(c.companions)).copied();
    let acute = ACUTE.iter().map(|p| p.code);
    let procedures = PROCEDURES.iter().flat_map(|p| p.reasons.iter().map(|(code, _)| *code));
    let exams = [ADULT_EXAM.0, ADULT_EXAM.1, CHILD_EXAM.0, CHILD_EXAM.1];
    chronic.chain(acute).chain(procedures).chain(exams)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::icd::shipped;

    #[test]
    fn every_code_in_every_pool_is_billable_in_fy2026() {
        let codes = shipped();
        let not_billable: Vec<&str> = all_codes().filter(|code| !codes.is_billable(code)).collect();
        assert!(not_billable.is_empty(), "not billable in FY2026 ICD-10-CM: {not_billable:?}");
        let exclusive = EXCLUSIVE.iter().flat_map(|(a, b)| [*a, *b]);
        assert!(exclusive.clone().all(|category| all_codes().any(|known| known.starts_with(category))));
    }

    #[test]
    fn no_code_sits_in_two_places() {
        let mut seen = std::collections::HashSet::new();
        for code in all_codes() {
            assert!(seen.insert(code), "{code} is in more than one pool");
        }
    }
}
