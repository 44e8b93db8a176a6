//! Paired EMR and PM exports of synthetic patients with discrepancies planted at a rate, and the ground truth: each
//! planted discrepancy as `handoff reconcile` must report it. Patient `i` depends only on (seed, profile, rate, `i`).

use serde::{Deserialize, Serialize};

use super::columns::{COLUMNS, Column};
use super::record::row;
use crate::diff::{FindingKind, address_line};
use crate::model::Date;
use crate::scenario::Defect;
use crate::synth::{Draw, SyntheticPatients};

/// One planted discrepancy, keyed as the reconciler keys its findings: by the PM's patient id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Discrepancy {
    pub patient: String,
    pub record: String,
    pub field: String,
    pub kind: FindingKind,
    /// What the EMR export holds (null if nothing).
    pub emr: Option<String>,
    /// What the PM export holds (null if nothing).
    pub pm: Option<String>,
    /// The defect that planted it.
    pub defect: String,
}

/// The defects an export pair can carry: those of the vocabulary that change a patient's demographics or whether
/// the patient is there (the rest act on charges, timing or coverage beyond the fourteen columns).
pub fn applies_to_exports(defect: &Defect) -> bool {
    matches!(
        defect,
        Defect::TruncateFamilyName { .. }
            | Defect::FoldCase
            | Defect::DropMiddleName
            | Defect::ReformatPhone
            | Defect::AbbreviateAddress
            | Defect::SwapBirthDayMonth
            | Defect::NoCrossReference
            | Defect::DuplicatePatientOnUpdate
            | Defect::LoseOneIn { .. }
    )
}

/// The `mixed` profile: every defect that applies to exports.
pub fn mixed() -> Vec<Defect> {
    vec![
        Defect::TruncateFamilyName { max_chars: 10 },
        Defect::FoldCase,
        Defect::DropMiddleName,
        Defect::ReformatPhone,
        Defect::AbbreviateAddress,
        Defect::SwapBirthDayMonth,
        Defect::NoCrossReference,
        Defect::DuplicatePatientOnUpdate,
        Defect::LoseOneIn { n: 1 },
    ]
}

/// One patient as each export holds them: the PM row (and a second PM record of them, if the PM registered them
/// twice), the EMR's rows (none if the EMR lost them, two if it registered them twice), and what was planted.
#[derive(Debug, Clone, Default)]
pub struct Planted {
    pub pm: [String; COLUMNS],
    pub pm_duplicate: Option<[String; COLUMNS]>,
    pub emr: Vec<[String; COLUMNS]>,
    pub truth: Vec<Discrepancy>,
}

/// The defect name the ground truth gives a second PM record.
pub const PM_DUPLICATE: &str = "duplicate_patient_in_pm";

pub struct Planter<'a> {
    pub patients: &'a SyntheticPatients,
    pub defects: &'a [Defect],
    /// Patients with a discrepancy, per million.
    pub per_million: u64,
    /// Whether the PM registers some patients twice too (an eighth of the rate, among patients with nothing else
    /// planted, drawn apart so the other discrepancies are the same with or without them).
    pub pm_duplicates: bool,
}

/// The defects a patient without a cross-reference may also carry, so matching them takes more than their name.
const SECOND: [Defect; 4] = [
    Defect::TruncateFamilyName { max_chars: 10 },
    Defect::SwapBirthDayMonth,
    Defect::DropMiddleName,
    Defect::ReformatPhone,
];

impl Planter<'_> {
    pub fn pm_id(index: u64) -> String {
        format!("P{index:08}")
    }

    pub fn emr_id(index: u64) -> String {
        format!("E{index:08}")
    }

    pub fn plant(&self, index: u64) -> Planted {
        let patient = self.patients.patient(index);
        let (pm_id, emr_id) = (Self::pm_id(index), Self::emr_id(index));
        let mut pm = row(&patient, pm_id.clone(), emr_id.clone());
        let mut emr = row(&patient, emr_id.clone(), pm_id.clone());
        let mut truth = Vec::new();
        let mut draw = Draw::new(self.patients.seed(), index, b"defects ");
        if self.defects.is_empty() || draw.below(1_000_000) >= self.per_million {
            let pm_duplicate = self.pm_duplicate(index, &pm, &emr_id, &mut truth);
            return Planted { pm, pm_duplicate, emr: vec![emr], truth };
        }
        let defect = draw.pick(self.defects).clone();
        let mut discrepancy = |column: Column, kind: FindingKind, emr: Option<String>, pm: Option<String>| {
            truth.push(Discrepancy {
                patient: pm_id.clone(),
                record: column.record().into(),
                field: column.field().into(),
                kind,
                emr,
                pm,
                defect: defect.name().into(),
            });
        };
        match &defect {
            Defect::LoseOneIn { .. } => {
                discrepancy(Column::PatientId, FindingKind::MissingRecord, None, Some(pm_id.clone()));
                let record = truth.last_mut().expect("just pushed");
                record.field = String::new();
                return Planted { pm, emr: Vec::new(), truth, ..Planted::default() };
            }
            Defect::DuplicatePatientOnUpdate => {
                let mut second = emr.clone();
                second[Column::PatientId.index()] = format!("{emr_id}R");
                discrepancy(
                    Column::PatientId,
                    FindingKind::DuplicateRecord,
                    Some(format!("{emr_id}R")),
                    Some(pm_id.clone()),
                );
                return Planted { pm, emr: vec![emr, second], truth, ..Planted::default() };
            }
            Defect::NoCrossReference => {
                // Neither system keeps the other's id, so only demographics can tie the two records together.
                emr[Column::Xref.index()].clear();
                pm[Column::Xref.index()].clear();
                discrepancy(Column::Xref, FindingKind::MissingField, None, Some(pm_id.clone()));
                if draw.percent(50) {
                    let second = draw.pick(&SECOND).clone();
                    let mut more = Vec::new();
                    plant_field(&second, &mut emr, &pm, &mut |c, k, e, p| more.push((c, k, e, p)));
                    for (column, kind, emr_value, pm_value) in more {
                        truth.push(Discrepancy {
                            patient: pm_id.clone(),
                            record: column.record().into(),
                            field: column.field().into(),
                            kind,
                            emr: emr_value,
                            pm: pm_value,
                            defect: second.name().into(),
                        });
                    }
                }
            }
            other => plant_field(other, &mut emr, &pm, &mut discrepancy),
        }
        Planted { pm, emr: vec![emr], truth, ..Planted::default() }
    }

    /// A second PM record of a patient, registered again without the EMR's id: the same demographics, or (half the
    /// time) a family name cut to ten characters, which only its member id and a fuzzy match can tie back.
    fn pm_duplicate(
        &self,
        index: u64,
        pm: &[String; COLUMNS],
        emr_id: &str,
        truth: &mut Vec<Discrepancy>,
    ) -> Option<[String; COLUMNS]> {
        let mut draw = Draw::new(self.patients.seed(), index, b"pm twice");
        if !self.pm_duplicates || draw.below(1_000_000) >= self.per_million / 8 {
            return None;
        }
        let mut second = pm.clone();
        second[Column::PatientId.index()] = format!("{}D", pm[Column::PatientId.index()]);
        second[Column::Xref.index()].clear();
        if draw.percent(50) && !pm[Column::MemberId.index()].is_empty() {
            second[Column::Family.index()] = pm[Column::Family.index()].chars().take(10).collect();
        }
        truth.push(Discrepancy {
            patient: pm[Column::PatientId.index()].clone(),
            record: "patient".into(),
            field: "id".into(),
            kind: FindingKind::DuplicateRecord,
            emr: Some(emr_id.to_string()),
            pm: Some(second[Column::PatientId.index()].clone()),
            defect: PM_DUPLICATE.into(),
        });
        Some(second)
    }
}

type Record<'a> = dyn FnMut(Column, FindingKind, Option<String>, Option<String>) + 'a;

/// Plants a field defect in the EMR row, recording each field it changed.
fn plant_field(defect: &Defect, emr: &mut [String; COLUMNS], pm: &[String; COLUMNS], record: &mut Record<'_>) {
    let mut change = |column: Column, value: String, kind: FindingKind, record: &mut Record<'_>| {
        let i = column.index();
        if value != pm[i] {
            let held = (!value.trim().is_empty()).then(|| value.clone());
            record(column, kind, held, Some(pm[i].clone()));
            emr[i] = value;
        }
    };
    match defect {
        Defect::TruncateFamilyName { max_chars } => {
            let cut: String = pm[Column::Family.index()].chars().take(*max_chars).collect();
            change(Column::Family, cut, FindingKind::Truncated, record);
        }
        Defect::FoldCase => {
            for column in [Column::Family, Column::Given, Column::Middle] {
                change(column, pm[column.index()].to_uppercase(), FindingKind::FormatOnly, record);
            }
        }
        Defect::DropMiddleName => change(Column::Middle, String::new(), FindingKind::MissingField, record),
        Defect::ReformatPhone => {
            let digits = pm[Column::Phone.index()].chars().filter(char::is_ascii_digit).collect();
            change(Column::Phone, digits, FindingKind::FormatOnly, record);
        }
        Defect::AbbreviateAddress => {
            let abbreviated = address_line(&pm[Column::AddressLine.index()]);
            change(Column::AddressLine, abbreviated, FindingKind::FormatOnly, record);
        }
        Defect::SwapBirthDayMonth => {
            let born: Option<Date> = pm[Column::BirthDate.index()].parse().ok();
            if let Some(swapped) = born.and_then(|d| Date::new(d.0.year(), d.0.day(), d.0.month())) {
                change(Column::BirthDate, swapped.to_string(), FindingKind::Mismatch, record);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planter(defects: &[Defect], per_million: u64) -> Vec<Planted> {
        let codes = crate::synth::IcdCodeSet::embedded().unwrap();
        let patients = SyntheticPatients::new(3, &codes).unwrap();
        let planter = Planter { patients: &patients, defects, per_million, pm_duplicates: false };
        (0..200).map(|i| planter.plant(i)).collect()
    }

    #[test]
    fn with_no_defects_both_exports_hold_the_same_patient_under_their_own_ids() {
        for planted in planter(&[], 1_000_000) {
            assert!(planted.truth.is_empty());
            let emr = &planted.emr[0];
            assert_eq!(emr[1], planted.pm[0], "the emr cross-references the pm id");
            assert_eq!(planted.pm[1], emr[0]);
            assert_eq!(emr[2..], planted.pm[2..]);
        }
    }

    #[test]
    fn a_truncated_family_name_is_planted_only_where_it_is_longer_than_the_cut() {
        let all = planter(&[Defect::TruncateFamilyName { max_chars: 10 }], 1_000_000);
        for planted in &all {
            let family = &planted.pm[Column::Family.index()];
            match planted.truth.as_slice() {
                [] => assert!(family.chars().count() <= 10, "{family}"),
                [d] => {
                    assert_eq!((d.field.as_str(), d.kind), ("name.family", FindingKind::Truncated));
                    assert_eq!(d.emr.as_deref(), Some(&planted.emr[0][Column::Family.index()][..]));
                    assert_eq!(d.emr.as_ref().map(|e| e.chars().count()), Some(10));
                }
                more => panic!("one discrepancy at most: {more:?}"),
            }
        }
        assert!(all.iter().any(|p| !p.truth.is_empty()));
    }

    #[test]
    fn the_pm_registers_an_eighth_of_the_rate_twice_and_the_truth_names_both_ids() {
        let codes = crate::synth::IcdCodeSet::embedded().unwrap();
        let patients = SyntheticPatients::new(3, &codes).unwrap();
        let planter = Planter { patients: &patients, defects: &mixed(), per_million: 400_000, pm_duplicates: true };
        let all: Vec<Planted> = (0..400).map(|i| planter.plant(i)).collect();
        let twice: Vec<&Planted> = all.iter().filter(|p| p.pm_duplicate.is_some()).collect();
        assert!((5..=25).contains(&twice.len()), "about 5% of 400: {}", twice.len());
        for planted in twice {
            let second = planted.pm_duplicate.as_ref().unwrap();
            assert_eq!(second[0], format!("{}D", planted.pm[0]));
            assert_eq!(second[1], "", "registered again without the emr's id");
            assert_eq!(planted.truth.len(), 1, "nothing else planted on them");
            let d = &planted.truth[0];
            assert_eq!((d.kind, d.defect.as_str()), (FindingKind::DuplicateRecord, PM_DUPLICATE));
            assert_eq!((d.emr.as_deref(), d.pm.as_deref()), (Some(&planted.emr[0][0][..]), Some(&second[0][..])));
        }
    }

    #[test]
    fn the_rate_is_the_share_of_patients_with_a_discrepancy() {
        let all = planter(&[Defect::LoseOneIn { n: 1 }], 100_000);
        let lost = all.iter().filter(|p| p.emr.is_empty()).count();
        assert!((10..=32).contains(&lost), "about 10% of 200: {lost}");
        let lost = all.iter().find(|p| p.emr.is_empty()).unwrap();
        assert_eq!(lost.truth[0].kind, FindingKind::MissingRecord);
        assert_eq!(lost.truth[0].pm.as_deref(), Some(&lost.pm[0][..]));
    }
}
