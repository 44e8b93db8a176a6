//! Ages and birth dates, spread the way a primary-care panel is, for the kind of plan the patient is on.

use jiff::ToSpan;

use super::coverage::Plan;
use super::draw::Draw;
use crate::model::Date;

/// Ages are as of this day, not the day the generator runs, so output does not drift from one year to the next.
pub const REFERENCE_DATE: Date = Date(jiff::civil::date(2026, 12, 1));

pub(crate) fn age(draw: &mut Draw, plan: Plan) -> u8 {
    let senior = |draw: &mut Draw| *draw.weighted(&[(50, (65, 74)), (33, (75, 84)), (17, (85, 99))]);
    let (low, high) = match plan {
        // Under-65s on Medicare are there through disability or end-stage renal disease.
        Plan::Medicare if draw.percent(12) => (21, 64),
        Plan::Medicare | Plan::MedicareAdvantage => senior(draw),
        Plan::Medicaid => *draw.weighted(&[(40, (1, 17)), (60, (18, 64))]),
        Plan::Commercial => {
            *draw.weighted(&[(12, (1, 17)), (25, (18, 34)), (28, (35, 49)), (30, (50, 64)), (5, (65, 79))])
        }
    };
    draw.between(low, high) as u8
}

/// A birth date on which the patient is exactly `age` on [`REFERENCE_DATE`].
pub(crate) fn birth_date(draw: &mut Draw, age: u8) -> Date {
    let reference = REFERENCE_DATE.0;
    let years = i64::from(age);
    // The latest birthday that makes them `age` is the reference day itself; the earliest is a year and a day before.
    let latest = reference.saturating_sub(years.years());
    let earliest = reference.saturating_sub((years + 1).years()).saturating_add(1.day());
    let span_days = i64::from(latest.since(earliest).map(|span| span.get_days()).unwrap_or(0));
    let offset = draw.below(span_days.unsigned_abs() + 1) as i64;
    Date(earliest.saturating_add(offset.days()))
}

/// Whole years from `birth` to [`REFERENCE_DATE`].
#[cfg(test)]
pub(crate) fn age_on_reference(birth: Date) -> i16 {
    let reference = REFERENCE_DATE.0;
    let mut years = reference.year() - birth.0.year();
    if (reference.month(), reference.day()) < (birth.0.month(), birth.0.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates_give_exactly_the_age_drawn() {
        for i in 0..3_000 {
            let mut draw = Draw::new(17, i, b"age     ");
            let age = draw.between(0, 105) as u8;
            let birth = birth_date(&mut draw, age);
            assert_eq!(age_on_reference(birth), i16::from(age), "{birth} for {age}");
        }
    }

    #[test]
    fn medicare_patients_are_mostly_over_65_and_commercial_ones_mostly_not() {
        let share_over_65 = |plan| {
            let over = (0..1_000).filter(|i| age(&mut Draw::new(19, *i, b"age     "), plan) >= 65).count();
            over as f64 / 1_000.0
        };
        assert!(share_over_65(Plan::Medicare) > 0.8);
        assert!(share_over_65(Plan::Commercial) < 0.1);
    }
}
