//! How the simulated payer decides a claim: the same CMS rules the scrubber knows, then its own behaviour — the
//! modifiers it ignores, the global surgical package, the denials it is configured to make, its fee schedule and the
//! patient's coinsurance. Amounts are whole cents, so every 835 written from a decision balances exactly.

use crate::model::{Claim, ClaimLine};
use crate::rules::{ScrubContext, Severity, is_em_code, scrub};
use crate::scenario::Payer;

/// What the payer does with one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Turned away at the front door (277CA A7) and never adjudicated: `reason` says what was wrong.
    Rejected { status_code: &'static str, reason: String },
    /// Adjudicated: one decision per claim line, in claim order.
    Adjudicated(Vec<LineDecision>),
}

/// One line's money, in cents: charge − Σ adjustments = paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDecision {
    pub charge: i64,
    pub allowed: i64,
    pub paid: i64,
    /// (group, reason, amount).
    pub adjustments: Vec<(String, String, i64)>,
}

/// 277CA status code 21: missing or invalid information.
const MISSING_OR_INVALID: &str = "21";

pub fn adjudicate(claim: &Claim, payer: &Payer, rules: &ScrubContext) -> Verdict {
    // The payer's system reads the claim without the modifiers it ignores, and judges what it read.
    let mut read = claim.clone();
    for line in &mut read.lines {
        line.modifiers.retain(|m| !payer.ignores_modifiers.contains(m));
    }
    let breaks: Vec<_> = scrub(&read, rules).into_iter().filter(|b| b.severity == Severity::Error).collect();
    if let Some(claim_level) = breaks.iter().find(|b| b.line.is_none()) {
        return Verdict::Rejected {
            status_code: MISSING_OR_INVALID,
            reason: format!("{}: {}", claim_level.rule.as_str(), claim_level.message),
        };
    }
    let decisions = read
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let charge = cents(line.charge);
            let rule_denial = breaks
                .iter()
                .find(|b| b.line == Some(i + 1))
                .map(|b| (b.carc.group.to_string(), b.carc.code.to_string()));
            let denial = rule_denial
                .or_else(|| bundled_into_procedure(&read, line).then(|| ("CO".to_string(), "97".to_string())))
                .or_else(|| configured_denial(payer, claim, i, line));
            match denial {
                Some((group, reason)) => {
                    LineDecision { charge, allowed: 0, paid: 0, adjustments: vec![(group, reason, charge)] }
                }
                None => paid_line(payer, line, charge),
            }
        })
        .collect();
    Verdict::Adjudicated(decisions)
}

/// The global surgical package: an E/M on the day of a minor procedure is part of the procedure unless modifier 25
/// says it was significant and separately identifiable (CMS Claims Processing Manual ch. 12 §40). Procedures are the
/// CPT surgery section, 10004–69990, less venipuncture and venous access (36000–36599), which carry no global period.
fn bundled_into_procedure(claim: &Claim, line: &ClaimLine) -> bool {
    let is_procedure = |code: &str| {
        code.len() == 5
            && code.parse::<u32>().is_ok_and(|n| (10004..=69990).contains(&n) && !(36000..=36599).contains(&n))
    };
    is_em_code(&line.code)
        && !line.modifiers.iter().any(|m| m == "25")
        && claim.lines.iter().any(|l| l.date_of_service == line.date_of_service && is_procedure(&l.code))
}

/// The first configured denial for the line's code that fires; a `rate` below 1 is drawn from the payer's seed and
/// the line itself (member, date, code, position), so the same claim is decided the same way every run.
fn configured_denial(payer: &Payer, claim: &Claim, index: usize, line: &ClaimLine) -> Option<(String, String)> {
    let key = format!("{}|{}|{}|{}", claim.member_id, line.date_of_service, line.code, index);
    payer.deny.iter().enumerate().find_map(|(n, denial)| {
        let fires = denial.code == line.code && super::faults::draw(payer.seed, n as u64, fnv1a(&key)) < denial.rate;
        let (group, reason) = denial.group_and_reason()?;
        fires.then(|| (group.to_string(), reason.to_string()))
    })
}

fn paid_line(payer: &Payer, line: &ClaimLine, charge: i64) -> LineDecision {
    let by_schedule = match payer.fee_schedule.get(&line.code) {
        Some(fee) => cents(fee * line.units),
        None => (charge as f64 * payer.default_pct_of_charge / 100.0).round() as i64,
    };
    let allowed = by_schedule.min(charge);
    let coinsurance = (allowed as f64 * payer.coinsurance_pct / 100.0).round() as i64;
    let mut adjustments = Vec::new();
    if charge > allowed {
        adjustments.push(("CO".to_string(), "45".to_string(), charge - allowed));
    }
    if coinsurance > 0 {
        adjustments.push(("PR".to_string(), "2".to_string(), coinsurance));
    }
    LineDecision { charge, allowed, paid: allowed - coinsurance, adjustments }
}

pub fn cents(dollars: f64) -> i64 {
    // Charges are at most a few thousand dollars: far inside what an i64 of cents holds.
    (dollars * 100.0).round() as i64
}

pub fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// FNV-1a: a stable 64-bit hash of the line's key, the same on every machine and every release.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::fixtures::{claim, context, context_with_tables, line};
    use crate::scenario::{Located, PayerDenial};

    fn payer(yaml: &str) -> Payer {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn lines(verdict: Verdict) -> Vec<LineDecision> {
        match verdict {
            Verdict::Adjudicated(lines) => lines,
            other => panic!("{other:?}"),
        }
    }

    fn adjustments(d: &LineDecision) -> Vec<(&str, &str, i64)> {
        d.adjustments.iter().map(|(g, r, a)| (g.as_str(), r.as_str(), *a)).collect()
    }

    #[test]
    fn the_fee_schedule_allows_per_unit_and_the_rest_is_written_off_as_co45() {
        let p = payer("fee_schedule: { \"99213\": 92.50 }\ndefault_pct_of_charge: 60\ncoinsurance_pct: 20");
        let mut injection = line("J1030", &[], 40.0);
        injection.units = 2.0;
        let decided = lines(adjudicate(&claim(vec![line("99213", &[], 150.0), injection]), &p, context()));
        // 99213: allowed 92.50 of 150.00; coinsurance 20% of 92.50 = 18.50.
        assert_eq!((decided[0].allowed, decided[0].paid), (9250, 7400));
        assert_eq!(adjustments(&decided[0]), [("CO", "45", 5750), ("PR", "2", 1850)]);
        // J1030 is not on the schedule: 60% of its 40.00 charge.
        assert_eq!((decided[1].allowed, decided[1].paid), (2400, 1920));
        for d in &decided {
            assert_eq!(d.charge - d.adjustments.iter().map(|a| a.2).sum::<i64>(), d.paid);
        }
    }

    #[test]
    fn a_fee_above_the_charge_allows_only_the_charge() {
        let p = payer("fee_schedule: { \"99213\": 500 }");
        let decided = lines(adjudicate(&claim(vec![line("99213", &[], 100.0)]), &p, context()));
        assert_eq!((decided[0].allowed, decided[0].paid), (10000, 10000));
        assert!(decided[0].adjustments.is_empty());
    }

    #[test]
    fn the_default_payer_allows_eighty_percent_and_denies_what_the_rules_call_an_error() {
        // Modifier 25 with nothing else that day: the scrubber's modifier.25_no_procedure, CO-4.
        let alone = lines(adjudicate(&claim(vec![line("99214", &["25"], 150.0)]), &Payer::default(), context()));
        assert_eq!(adjustments(&alone[0]), [("CO", "4", 15000)]);
        let lab = lines(adjudicate(&claim(vec![line("83036", &[], 40.0)]), &Payer::default(), context()));
        assert_eq!((lab[0].allowed, lab[0].paid), (3200, 3200));
        assert_eq!(adjustments(&lab[0]), [("CO", "45", 800)]);
    }

    #[test]
    fn a_denial_rate_is_drawn_from_the_seed_and_the_line() {
        let mut p = Payer::default();
        p.deny.push(Located::unlocated(PayerDenial { code: "97110".into(), carc: "CO-50".into(), rate: 0.5 }));
        let denied_members = |seed: u64| -> Vec<usize> {
            let mut p = p.clone();
            p.seed = seed;
            (0..40)
                .filter(|n| {
                    let mut c = claim(vec![line("97110", &[], 60.0)]);
                    c.member_id = format!("M{n}");
                    lines(adjudicate(&c, &p, context()))[0].paid == 0
                })
                .collect()
        };
        let seven = denied_members(7);
        assert_eq!(seven, denied_members(7), "the same seed denies the same lines");
        assert_ne!(seven, denied_members(8));
        assert!((10..=30).contains(&seven.len()), "about half of 40: {}", seven.len());
        p.deny[0].value.rate = 1.0;
        let always = lines(adjudicate(&claim(vec![line("97110", &[], 60.0)]), &p, context()));
        assert_eq!(adjustments(&always[0]), [("CO", "50", 6000)]);
    }

    #[test]
    fn an_ignored_modifier_25_bundles_the_visit_into_the_procedure() {
        let c = claim(vec![line("99214", &["25"], 150.0), line("20610", &["RT"], 90.0)]);
        let honest = lines(adjudicate(&c, &Payer::default(), context()));
        assert_eq!(honest[0].paid, 12000);
        let ignores = payer("ignores_modifiers: [\"25\"]");
        let decided = lines(adjudicate(&c, &ignores, context()));
        assert_eq!(adjustments(&decided[0]), [("CO", "97", 15000)]);
        assert_eq!(decided[1].paid, 7200);
        // A venipuncture has no global period: the visit beside it is paid without 25.
        let draw = claim(vec![line("99213", &[], 110.0), line("36415", &[], 10.0)]);
        assert_eq!(lines(adjudicate(&draw, &ignores, context()))[0].paid, 8800);
    }

    #[test]
    fn with_the_ncci_table_an_ignored_modifier_is_denied_as_the_table_says() {
        // 20611 and 20610 bundle (NCCI PTP fixture); 59 would let them through, but this payer ignores it.
        let c = claim(vec![line("20611", &[], 150.0), line("20610", &["59"], 90.0)]);
        let paid = lines(adjudicate(&c, &Payer::default(), context_with_tables()));
        assert!(paid.iter().all(|d| d.paid > 0), "{paid:?}");
        let decided = lines(adjudicate(&c, &payer("ignores_modifiers: [\"59\"]"), context_with_tables()));
        assert_eq!(adjustments(&decided[1]), [("CO", "97", 9000)]);
    }

    #[test]
    fn a_claim_level_error_is_rejected_before_adjudication() {
        let mut c = claim(vec![line("99213", &[], 100.0)]);
        c.total_charge = 1.0;
        match adjudicate(&c, &Payer::default(), context()) {
            Verdict::Rejected { status_code, reason } => {
                assert_eq!(status_code, "21");
                assert!(reason.starts_with("claim.total_mismatch: "), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
