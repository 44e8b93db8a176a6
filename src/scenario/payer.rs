//! The simulated payer behind a simulator's PM: its fee schedule, the denials it makes on its own, and the
//! modifiers its system ignores (docs/payer.md). The scrubber never reads this: it predicts, the payer decides.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Located;
use crate::rules::{is_valid_modifier, is_valid_procedure_code};

/// How the payer adjudicates. Every field has a default, so `payer: {}` is the default payer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payer {
    /// The payer's name on the 277CA and the 835; by default the payer the patient's coverage names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The payer's electronic id (837P loop 2010BB NM109, 277CA NM1*PR); default `SIMPAYER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Allowed amount per unit, in US dollars, by CPT/HCPCS code. A line is allowed the lesser of this times its
    /// units and its charge.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fee_schedule: BTreeMap<String, f64>,
    /// For codes not in `fee_schedule`: the share of the charge allowed, in percent (default 80).
    #[serde(default = "Payer::default_pct")]
    pub default_pct_of_charge: f64,
    /// The patient's coinsurance, in percent of the allowed amount, adjusted as PR-2 (default 0).
    #[serde(default)]
    pub coinsurance_pct: f64,
    /// Denials the payer makes on its own, after the CMS rules: a code, the reason it gives, how often.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<Located<PayerDenial>>,
    /// Modifiers the payer's system drops before it adjudicates: with `25` dropped, a same-day E/M is bundled into
    /// the procedure (CO-97).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignores_modifiers: Vec<String>,
    /// Seeds the denials with a `rate` below 1: the same seed denies the same lines, run after run.
    #[serde(default)]
    pub seed: u64,
}

impl Default for Payer {
    fn default() -> Payer {
        Payer {
            name: None,
            id: None,
            fee_schedule: BTreeMap::new(),
            default_pct_of_charge: Payer::default_pct(),
            coinsurance_pct: 0.0,
            deny: Vec::new(),
            ignores_modifiers: Vec::new(),
            seed: 0,
        }
    }
}

impl Payer {
    fn default_pct() -> f64 {
        80.0
    }
}

/// One kind of line the payer denies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PayerDenial {
    /// The CPT/HCPCS code of the lines denied.
    pub code: String,
    /// The group and claim adjustment reason code the 835 gives, such as `CO-50` (not medically necessary).
    pub carc: String,
    /// The share of such lines denied, above 0 and at most 1 (default 1: every one).
    #[serde(default = "PayerDenial::always")]
    pub rate: f64,
}

impl PayerDenial {
    fn always() -> f64 {
        1.0
    }

    /// `CO-50` as (`CO`, `50`).
    pub fn group_and_reason(&self) -> Option<(&str, &str)> {
        parse_carc(&self.carc)
    }
}

/// The CAS groups an 835 may use.
const GROUPS: [&str; 4] = ["CO", "PR", "OA", "PI"];

/// `CO-50` → (`CO`, `50`): a known group, a dash, and a reason of one to three letters or digits.
pub fn parse_carc(text: &str) -> Option<(&str, &str)> {
    let (group, reason) = text.split_once('-')?;
    let reason_ok = (1..=3).contains(&reason.len()) && reason.chars().all(|c| c.is_ascii_alphanumeric());
    (GROUPS.contains(&group) && reason_ok).then_some((group, reason))
}

/// Problems with a payer section, each with its line and column, for `handoff validate` and `run`.
pub(super) fn check_payer(payer: &Located<Payer>) -> Vec<(u64, u64, String, String)> {
    let mut problems = Vec::new();
    let mut at_payer =
        |message: String, hint: &str| problems.push((payer.line, payer.column, message, hint.to_string()));
    let percent = |v: f64| v.is_finite() && (0.0..=100.0).contains(&v);
    if !percent(payer.default_pct_of_charge) {
        at_payer(
            format!(
                "payer `default_pct_of_charge` is {}; a share of the charge is 0 to 100",
                payer.default_pct_of_charge
            ),
            "write 60 for 60% of the charge",
        );
    }
    if !percent(payer.coinsurance_pct) {
        at_payer(
            format!("payer `coinsurance_pct` is {}; a share of the allowed amount is 0 to 100", payer.coinsurance_pct),
            "write 20 for Medicare Part B's 20%",
        );
    }
    for (code, fee) in &payer.fee_schedule {
        if !is_valid_procedure_code(code) {
            at_payer(
                format!("fee schedule code `{code}` is not a CPT or HCPCS code"),
                "write five characters, such as \"99214\" or J1030, in quotes",
            );
        }
        if !(fee.is_finite() && *fee >= 0.0) {
            at_payer(format!("fee schedule amount for {code} is {fee}"), "allowed amounts are US dollars, 0 or more");
        }
    }
    for modifier in payer.ignores_modifiers.iter().filter(|m| !is_valid_modifier(m)) {
        at_payer(
            format!("`ignores_modifiers` has `{modifier}`, which is not a modifier"),
            "modifiers are two letters or digits, such as \"25\" or XS, in quotes",
        );
    }
    for denial in &payer.deny {
        let mut at =
            |message: String, hint: &str| problems.push((denial.line, denial.column, message, hint.to_string()));
        if !is_valid_procedure_code(&denial.code) {
            at(
                format!("denial code `{}` is not a CPT or HCPCS code", denial.code),
                "write five characters, such as \"97110\"",
            );
        }
        if denial.group_and_reason().is_none() {
            at(
                format!("denial carc `{}` is not a group and reason code", denial.carc),
                "write the group (CO, PR, OA or PI), a dash and the reason, such as CO-50",
            );
        }
        if !(denial.rate > 0.0 && denial.rate <= 1.0) {
            at(
                format!("denial of {} has rate {}; a rate is a chance above 0 and at most 1", denial.code, denial.rate),
                "write 0.25 to deny a quarter of such lines, or leave it out to deny every one",
            );
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{parse_scenario, parse_target};

    #[test]
    fn a_misspelled_payer_key_gets_a_did_you_mean_at_its_line() {
        let yaml = "name: t\nsimulator:\n  topology: shared\n  payer:\n    ignore_modifiers: [\"25\"]\n";
        let e = parse_target("t.yaml", yaml).unwrap_err();
        assert!(e.headline().starts_with("t.yaml:5:5: unknown field `ignore_modifiers`"), "{}", e.headline());
        assert_eq!(e.hint.as_deref(), Some("did you mean `ignores_modifiers`?"));
    }

    #[test]
    fn bad_denials_and_shares_are_each_named_where_they_are() {
        let yaml = "name: t\nsimulator:\n  topology: shared\n  payer:\n    coinsurance_pct: 120\n    deny:\n      - { code: \"97110\", carc: CO50, rate: 0 }\n";
        let e = parse_target("t.yaml", yaml).unwrap_err();
        assert_eq!(
            e.headlines(),
            [
                "t.yaml:5:5: payer `coinsurance_pct` is 120; a share of the allowed amount is 0 to 100",
                "t.yaml:7:9: denial carc `CO50` is not a group and reason code",
                "t.yaml:7:9: denial of 97110 has rate 0; a rate is a chance above 0 and at most 1",
            ]
        );
    }

    #[test]
    fn expect_remittance_needs_a_claim_built_before_it() {
        let yaml = "name: s\npatient: { name: { given: [A], family: B }, birth_date: 1970-01-01, sex: female }\nsteps:\n  - register: { at: pm }\n  - expect_remittance: { within: 5s }\n";
        let e = parse_scenario("s.yaml", yaml).unwrap_err();
        assert_eq!(e.headline(), "s.yaml:5:5: `expect_remittance` comes before a claim is built");
    }

    #[test]
    fn carcs_need_a_known_group_and_a_short_reason() {
        assert_eq!(parse_carc("CO-50"), Some(("CO", "50")));
        assert_eq!(parse_carc("PR-B7"), Some(("PR", "B7")));
        assert_eq!(parse_carc("CO50"), None);
        assert_eq!(parse_carc("XX-50"), None);
        assert_eq!(parse_carc("CO-5000"), None);
    }
}
