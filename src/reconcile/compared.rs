//! Which columns of a matched pair of rows are compared, and whether the pair holds the same bytes in all of them:
//! worked out on the reading thread for most pairs, so the thread that keeps the findings looks closely only at
//! the few pairs that differ.

use super::columns::{COLUMNS, Column};
use super::export::Fields;

/// For each column compared between an EMR row and the PM row it is matched to, the PM's value (what the EMR
/// should hold) and the EMR's: every column but the id that the EMR's export carries, the cross-reference only
/// where the PM's export carries the PM's own ids (the cross-reference should be the PM row's own id), and none
/// where the PM holds nothing.
pub fn compared<'a>(
    emr_carries: &'a [bool; COLUMNS],
    pm_own_ids: bool,
    emr: &'a Fields<'a>,
    pm: &'a Fields<'a>,
) -> impl Iterator<Item = (Column, &'a [u8], &'a [u8])> + 'a {
    Column::ALL[1..]
        .iter()
        .filter(move |column| emr_carries[column.index()] && (**column != Column::Xref || pm_own_ids))
        .map(move |column| {
            let expected = if *column == Column::Xref { pm[Column::PatientId.index()] } else { pm[column.index()] };
            (*column, expected, emr[column.index()])
        })
        .filter(|(_, expected, _)| !expected.iter().all(u8::is_ascii_whitespace))
}

/// How many columns are compared, when every one of them holds the same bytes on both sides; `None` when one
/// differs (it may still differ only in format, which the caller works out).
pub fn all_same(emr_carries: &[bool; COLUMNS], pm_own_ids: bool, emr: &Fields<'_>, pm: &Fields<'_>) -> Option<u8> {
    let mut count = 0;
    for (_, expected, actual) in compared(emr_carries, pm_own_ids, emr, pm) {
        if expected != actual {
            return None;
        }
        count += 1;
    }
    Some(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::fixtures::ANA;

    fn row(values: [&'static str; COLUMNS]) -> Fields<'static> {
        values.map(str::as_bytes)
    }

    #[test]
    fn the_cross_reference_is_compared_with_the_pm_id_only_where_the_pm_carries_its_own_ids() {
        let pm = row(ANA);
        let mut emr = ANA;
        emr[Column::PatientId.index()] = "E1";
        emr[Column::Xref.index()] = ANA[Column::PatientId.index()];
        let emr = row(emr);
        let carries = [true; COLUMNS];
        let columns: Vec<Column> = compared(&carries, true, &emr, &pm).map(|(c, _, _)| c).collect();
        assert_eq!(columns.len(), COLUMNS - 1, "every column but the id");
        assert!(columns.contains(&Column::Xref) && !columns.contains(&Column::PatientId));
        assert_eq!(all_same(&carries, true, &emr, &pm), Some(columns.len() as u8));
        assert_eq!(all_same(&carries, false, &emr, &pm), Some(columns.len() as u8 - 1), "no cross-reference");
    }

    #[test]
    fn a_column_the_emr_lacks_or_the_pm_leaves_blank_is_not_compared_and_one_byte_differs() {
        let pm = row(ANA);
        let mut emr = ANA;
        emr[Column::Xref.index()] = ANA[Column::PatientId.index()];
        emr[Column::Family.index()] = "Lopez";
        let emr = row(emr);
        let mut carries = [true; COLUMNS];
        assert_eq!(all_same(&carries, true, &emr, &pm), None);
        carries[Column::Family.index()] = false;
        assert!(all_same(&carries, true, &emr, &pm).is_some(), "the family name is not compared");
        let mut blank = ANA;
        blank[Column::Family.index()] = "  ";
        assert!(all_same(&[true; COLUMNS], true, &emr, &row(blank)).is_some(), "the pm has no family name");
    }
}
