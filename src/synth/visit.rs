//! A documented visit for a synthetic patient: diagnoses that fit the patient and the template, and the service lines that point at them.

use super::coverage::Plan;
use super::diagnoses::{ACUTE, ADULT_EXAM, CHILD_EXAM, CHRONIC, Condition, EXCLUSIVE, PROCEDURES, Problem};
use super::draw::Draw;
use crate::scenario::ServiceSpec;

/// The visit templates; each is a common way a primary-care visit is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VisitKind {
    /// An office E/M alone, for chronic follow-up or a sick visit.
    Office,
    /// An office E/M with tests run in the office lab (and the venous draw when blood is sent).
    OfficeWithLab,
    /// An office E/M with modifier 25 and a minor procedure the same day, with its drug where one is given.
    OfficeWithProcedure,
    /// A preventive visit (or Medicare's annual wellness visit), sometimes with a problem-oriented E/M.
    Preventive,
}

/// What the clinician documents: ICD-10-CM codes, principal first, and service lines (codes only, no descriptors).
#[derive(Debug, Clone)]
pub struct GeneratedVisit {
    pub kind: VisitKind,
    pub diagnoses: Vec<String>,
    /// Dx pointers are 1-based, at most four per line, and always point at a diagnosis in `diagnoses`.
    pub services: Vec<ServiceSpec>,
}

/// How many diagnoses a visit holds, by age: children one to three, older adults often more than the four a claim
/// line can point at.
fn diagnosis_counts(age: u8) -> &'static [(u64, usize)] {
    match age {
        0..18 => &[(50, 1), (35, 2), (15, 3)],
        18..45 => &[(30, 1), (30, 2), (20, 3), (10, 4), (6, 5), (4, 6)],
        _ => &[(12, 1), (18, 2), (20, 3), (16, 4), (12, 5), (9, 6), (7, 7), (6, 8)],
    }
}

/// Percent of visits that are a new patient's (99202–99205) rather than an established one's.
const NEW_PATIENT_PERCENT: u64 = 15;

/// The most pointers a claim line may carry (837P SV107).
const MAX_POINTERS: usize = 4;

pub(crate) fn visit(draw: &mut Draw, age: u8, plan: Plan) -> GeneratedVisit {
    let kinds: &[(u64, VisitKind)] = if age < 18 {
        &[
            (45, VisitKind::Office),
            (20, VisitKind::OfficeWithLab),
            (10, VisitKind::OfficeWithProcedure),
            (25, VisitKind::Preventive),
        ]
    } else {
        &[
            (40, VisitKind::Office),
            (25, VisitKind::OfficeWithLab),
            (15, VisitKind::OfficeWithProcedure),
            (20, VisitKind::Preventive),
        ]
    };
    let kind = *draw.weighted(kinds);
    let target = *draw.weighted(diagnosis_counts(age));
    let mut visit = Builder { age, target, diagnoses: Vec::new(), services: Vec::new() };
    let built = match kind {
        VisitKind::Office => {
            visit.office(draw);
            true
        }
        VisitKind::OfficeWithLab => visit.with_lab(draw, plan),
        VisitKind::OfficeWithProcedure => visit.with_procedure(draw),
        VisitKind::Preventive => {
            visit.preventive(draw, plan);
            true
        }
    };
    // A template the patient is too young for (no procedure or test fits a one-year-old) becomes an office visit.
    let kind = if built {
        kind
    } else {
        visit = Builder { age, target, diagnoses: Vec::new(), services: Vec::new() };
        visit.office(draw);
        VisitKind::Office
    };
    GeneratedVisit {
        kind,
        diagnoses: visit.diagnoses.iter().map(|code| code.to_string()).collect(),
        services: visit.services,
    }
}

struct Builder {
    age: u8,
    /// How many diagnoses to aim for; fewer when the patient's age leaves too few conditions.
    target: usize,
    diagnoses: Vec<&'static str>,
    services: Vec<ServiceSpec>,
}

impl Builder {
    fn office(&mut self, draw: &mut Draw) {
        let acute = self.age < 18 || draw.percent(45);
        if acute {
            let problem = *draw.pick(&self.eligible_problems(|_| true));
            self.add(problem.code);
            self.add_conditions(draw);
            let code = self.em_code(draw, &[(30, 2), (55, 3), (15, 4)]);
            self.service(code, &[], 1.0, self.first_pointers());
        } else {
            let principals: Vec<&'static Condition> = self.eligible_conditions(|c| c.principal);
            let principal = *draw.pick(&principals);
            self.add_condition(draw, principal);
            self.add_conditions(draw);
            let code = self.em_code(draw, &[(5, 2), (45, 3), (40, 4), (10, 5)]);
            self.service(code, &[], 1.0, self.first_pointers());
        }
    }

    fn with_lab(&mut self, draw: &mut Draw, plan: Plan) -> bool {
        let monitored = self.eligible_conditions(|c| !c.labs.is_empty());
        let tested = self.eligible_problems(|p| p.lab.is_some());
        if !monitored.is_empty() && (tested.is_empty() || draw.percent(70)) {
            // Chronic follow-up with monitoring labs: the principal condition is one a lab watches.
            let principal = *draw.pick(&monitored);
            self.add_condition(draw, principal);
            self.add_conditions(draw);
            let code = self.em_code(draw, &[(40, 3), (50, 4), (10, 5)]);
            self.service(code, &[], 1.0, self.first_pointers());
            self.monitoring_labs(draw);
            true
        } else if let Some(problem) = (!tested.is_empty()).then(|| *draw.pick(&tested)) {
            self.add(problem.code);
            self.add_conditions(draw);
            let code = self.em_code(draw, &[(30, 2), (60, 3), (10, 4)]);
            self.service(code, &[], 1.0, self.first_pointers());
            if let Some((test, waived)) = problem.lab {
                // Medicare pays a CLIA-waived kit only with QW on the line.
                let modifiers: &[&str] = match waived {
                    Some(modifier) if plan.is_medicare() => &[modifier],
                    _ => &[],
                };
                self.service(test, modifiers, 1.0, vec![1]);
            }
            true
        } else {
            false
        }
    }

    /// One lab per monitored condition present, sharing a line when two conditions call for the same test.
    fn monitoring_labs(&mut self, draw: &mut Draw) {
        let mut drawn_blood_for: Vec<u8> = Vec::new();
        for position in 1..=self.diagnoses.len() {
            let code = self.diagnoses[position - 1];
            let Some(condition) = CHRONIC.iter().find(|c| c.codes.contains(&code)) else { continue };
            if condition.labs.is_empty() {
                continue;
            }
            let lab = *draw.pick(condition.labs);
            let pointer = position as u8;
            match self.services.iter_mut().find(|s| s.code == lab) {
                Some(line) if line.dx.len() < MAX_POINTERS => line.dx.push(pointer),
                Some(_) => {}
                None => self.service(lab, &[], 1.0, vec![pointer]),
            }
            if drawn_blood_for.len() < MAX_POINTERS && !drawn_blood_for.contains(&pointer) {
                drawn_blood_for.push(pointer);
            }
        }
        if !drawn_blood_for.is_empty() {
            self.service("36415", &[], 1.0, drawn_blood_for);
        }
    }

    fn with_procedure(&mut self, draw: &mut Draw) -> bool {
        let eligible: Vec<_> = PROCEDURES.iter().filter(|p| p.min_age <= self.age).collect();
        if eligible.is_empty() {
            return false;
        }
        let procedure = *draw.pick(&eligible);
        let (reason, laterality) = *draw.pick(procedure.reasons);
        self.add(reason);
        self.add_conditions(draw);
        // Modifier 25: the E/M is for the separately identifiable problems, so it points past the procedure's reason.
        let em_pointers = if self.diagnoses.len() > 1 { self.pointers(2) } else { vec![1] };
        let code = self.em_code(draw, &[(30, 2), (50, 3), (20, 4)]);
        self.service(code, &["25"], 1.0, em_pointers);
        let modifiers: Vec<&str> = laterality.into_iter().collect();
        self.service(procedure.code, &modifiers, 1.0, vec![1]);
        match procedure.code {
            "20610" => {
                // Methylprednisolone acetate 40 mg is one unit of J1030; triamcinolone 40 mg is four units of J3301 (per 10 mg).
                let (drug, units) = *draw.pick(&[("J1030", 1.0), ("J3301", 4.0)]);
                self.service(drug, &[], units, vec![1]);
            }
            "11102" if draw.percent(30) => {
                let more = draw.between(1, 2) as f64;
                self.service("11103", &[], more, vec![1]);
            }
            _ => {}
        }
        true
    }

    fn preventive(&mut self, draw: &mut Draw, plan: Plan) {
        let (clean, findings) = if self.age < 18 { CHILD_EXAM } else { ADULT_EXAM };
        // The exam code is principal; anything else found or managed makes it the "with abnormal findings" code.
        self.add(findings);
        self.add_conditions(draw);
        if self.diagnoses.len() == 1 {
            self.diagnoses[0] = clean;
        }
        let code = match self.age {
            // Medicare does not cover 99387/99397; it pays the annual wellness visit, initial or subsequent.
            _ if plan.is_medicare() => {
                if draw.percent(20) {
                    "G0438"
                } else {
                    "G0439"
                }
            }
            0..=4 => "99392",
            5..=11 => "99393",
            12..=17 => "99394",
            18..=39 => "99395",
            40..=64 => "99396",
            _ => "99397",
        };
        self.service(code, &[], 1.0, vec![1]);
        if self.diagnoses.len() > 1 && draw.percent(35) {
            // An established-patient preventive code goes with an established-patient E/M.
            let em = self.em_code_for(draw, &[(20, 2), (55, 3), (25, 4)], false);
            self.service(em, &["25"], 1.0, self.pointers(2));
        }
    }

    /// Chronic conditions in random order until the target count, each at most once and never two of a category.
    fn add_conditions(&mut self, draw: &mut Draw) {
        let eligible = self.eligible_conditions(|_| true);
        for condition in draw.shuffled(&eligible) {
            if self.diagnoses.len() >= self.target {
                break;
            }
            self.add_condition(draw, condition);
        }
    }

    fn add_condition(&mut self, draw: &mut Draw, condition: &Condition) {
        let code = *draw.pick(condition.codes);
        if !self.add(code) {
            return;
        }
        if !condition.companions.is_empty() && self.diagnoses.len() < self.target && draw.percent(50) {
            let companion = *draw.pick(condition.companions);
            self.add(companion);
        }
    }

    /// Adds a diagnosis unless its category (or an exclusive one) is already there; says whether it did.
    fn add(&mut self, code: &'static str) -> bool {
        let category = &code[..3];
        let clashes = |other: &str| {
            other[..3] == *category
                || EXCLUSIVE
                    .iter()
                    .any(|(a, b)| (category == *a && other.starts_with(b)) || (category == *b && other.starts_with(a)))
        };
        if self.diagnoses.iter().any(|other| clashes(other)) {
            return false;
        }
        self.diagnoses.push(code);
        true
    }

    fn eligible_conditions(&self, keep: impl Fn(&Condition) -> bool) -> Vec<&'static Condition> {
        CHRONIC.iter().filter(|c| c.fits(self.age) && keep(c)).collect()
    }

    fn eligible_problems(&self, keep: impl Fn(&Problem) -> bool) -> Vec<&'static Problem> {
        ACUTE.iter().filter(|p| p.min_age <= self.age && self.age <= p.max_age && keep(p)).collect()
    }

    /// An office E/M of a level drawn from `levels` (2–5), new or established.
    fn em_code(&self, draw: &mut Draw, levels: &[(u64, u8)]) -> &'static str {
        let new = draw.percent(NEW_PATIENT_PERCENT);
        self.em_code_for(draw, levels, new)
    }

    fn em_code_for(&self, draw: &mut Draw, levels: &[(u64, u8)], new: bool) -> &'static str {
        // Complexity follows the problems addressed: one problem rarely supports a level 4 or 5, four rarely a 2.
        let level = match (*draw.weighted(levels), self.diagnoses.len()) {
            (level, 0..=1) => level.min(3),
            (level, 4..) => level.max(3),
            (level, _) => level,
        };
        match (new, level) {
            (true, 2) => "99202",
            (true, 3) => "99203",
            (true, 4) => "99204",
            (true, _) => "99205",
            (false, 2) => "99212",
            (false, 3) => "99213",
            (false, 4) => "99214",
            (false, _) => "99215",
        }
    }

    /// Pointers to the first diagnoses, principal first, as many as a line carries.
    fn first_pointers(&self) -> Vec<u8> {
        self.pointers(1)
    }

    /// Pointers from diagnosis `from` (1-based) on, at most four.
    fn pointers(&self, from: usize) -> Vec<u8> {
        (from..=self.diagnoses.len()).take(MAX_POINTERS).map(|p| p as u8).collect()
    }

    fn service(&mut self, code: &str, modifiers: &[&str], units: f64, dx: Vec<u8>) {
        self.services.push(ServiceSpec {
            code: code.to_string(),
            modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
            units,
            dx,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::synth::icd::shipped;

    fn sample(count: u64) -> Vec<(u8, Plan, GeneratedVisit)> {
        (0..count)
            .map(|i| {
                let mut draw = Draw::new(23, i, b"visit   ");
                let age = draw.between(1, 95) as u8;
                let plan = if age >= 65 && i % 3 != 0 { Plan::Medicare } else { Plan::Commercial };
                (age, plan, visit(&mut draw, age, plan))
            })
            .collect()
    }

    #[test]
    fn every_visit_is_billable_and_points_where_it_should() {
        let codes = shipped();
        for (age, _, visit) in sample(3_000) {
            assert!((1..=8).contains(&visit.diagnoses.len()), "{visit:?}");
            assert!(!visit.services.is_empty());
            for code in &visit.diagnoses {
                assert!(codes.is_billable(code), "{code} for age {age}");
            }
            let categories: HashSet<&str> = visit.diagnoses.iter().map(|d| &d[..3]).collect();
            assert_eq!(categories.len(), visit.diagnoses.len(), "two codes of one category: {visit:?}");
            for line in &visit.services {
                assert!((1..=MAX_POINTERS).contains(&line.dx.len()), "{visit:?}");
                assert!(line.modifiers.len() <= 4);
                assert!(line.dx.iter().all(|p| (1..=visit.diagnoses.len()).contains(&usize::from(*p))), "{visit:?}");
                let distinct: HashSet<_> = line.dx.iter().collect();
                assert_eq!(distinct.len(), line.dx.len(), "{visit:?}");
                assert!(line.units >= 1.0);
                let well_formed = line.code.len() == 5
                    && (line.code.bytes().all(|b| b.is_ascii_digit())
                        || (line.code.as_bytes()[0].is_ascii_uppercase()
                            && line.code[1..].bytes().all(|b| b.is_ascii_digit())));
                assert!(well_formed, "{}", line.code);
            }
        }
    }

    #[test]
    fn the_sample_covers_every_template_and_more_than_four_diagnoses() {
        let visits = sample(1_000);
        let kinds: HashSet<VisitKind> = visits.iter().map(|(_, _, v)| v.kind).collect();
        assert_eq!(kinds.len(), 4);
        let over_four = visits.iter().filter(|(_, _, v)| v.diagnoses.len() > 4).count();
        assert!(over_four > 50, "{over_four}");
        let codes: HashSet<&str> = visits.iter().flat_map(|(_, _, v)| &v.services).map(|s| s.code.as_str()).collect();
        for code in ["83036", "36415", "20610", "11102", "17110", "69210", "G0438", "G0439", "99396", "99397"] {
            assert!(codes.contains(code), "{code} never generated");
        }
        let has_25 = visits.iter().flat_map(|(_, _, v)| &v.services).any(|s| s.modifiers.iter().any(|m| m == "25"));
        assert!(has_25);
    }

    #[test]
    fn templates_follow_the_rules_of_each_code() {
        for (age, plan, visit) in sample(3_000) {
            let codes: Vec<&str> = visit.services.iter().map(|s| s.code.as_str()).collect();
            let is_em = |code: &str| code.starts_with("992");
            match visit.kind {
                VisitKind::OfficeWithProcedure => {
                    let em = visit.services.iter().find(|s| is_em(&s.code)).unwrap();
                    assert_eq!(em.modifiers, ["25"], "{visit:?}");
                }
                VisitKind::Preventive if plan.is_medicare() => {
                    assert!(codes.contains(&"G0438") || codes.contains(&"G0439"), "{visit:?}");
                }
                VisitKind::Preventive => assert!(codes.iter().any(|c| c.starts_with("9939")), "{visit:?}"),
                _ => assert!(!codes.iter().any(|c| c.starts_with("9939") || c.starts_with("G04"))),
            }
            if codes.contains(&"20610") {
                let drug = visit.services.iter().find(|s| s.code.starts_with('J')).unwrap();
                assert_eq!(drug.units, if drug.code == "J3301" { 4.0 } else { 1.0 });
                let injection = visit.services.iter().find(|s| s.code == "20610").unwrap();
                let side = if visit.diagnoses[0] == "M17.11" { "RT" } else { "LT" };
                assert_eq!(injection.modifiers, [side]);
            }
            if codes.contains(&"36415") {
                assert!(codes.iter().any(|c| ["83036", "80053", "80061", "84443", "85025", "82306"].contains(c)));
            }
            if age < 18 {
                assert!(!codes.contains(&"20610") && !codes.contains(&"11102"), "{visit:?}");
            }
        }
    }
}
