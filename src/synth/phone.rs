//! Telephone numbers in the fictional 555-0100–555-0199 range, written the several ways people write them.

use super::address::{CITIES, City};
use super::draw::Draw;

/// Percent of patients whose number has another city's area code: a mobile kept after a move.
const OTHER_AREA_PERCENT: u64 = 15;

pub(crate) fn phone(draw: &mut Draw, home: &City) -> String {
    let area = if draw.percent(OTHER_AREA_PERCENT) { draw.pick(CITIES).area_code } else { home.area_code };
    let line = draw.between(100, 199);
    // The shapes a normaliser must read as one number; weights follow how often each turns up in registration data.
    match draw.weighted(&[(35, 0), (30, 1), (8, 2), (10, 3), (7, 4), (5, 5), (5, 6)]) {
        0 => format!("({area}) 555-0{line}"),
        1 => format!("{area}-555-0{line}"),
        2 => format!("{area}.555.0{line}"),
        3 => format!("{area}5550{line}"),
        4 => format!("+1 {area}-555-0{line}"),
        5 => format!("1-{area}-555-0{line}"),
        _ => format!("({area})555-0{line}"),
    }
}

/// The ten digits of a North American number, whatever its punctuation and leading 1.
#[cfg(test)]
pub(crate) fn digits(phone: &str) -> String {
    let all: String = phone.chars().filter(char::is_ascii_digit).collect();
    match all.strip_prefix('1') {
        Some(rest) if all.len() == 11 => rest.to_string(),
        _ => all,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn numbers_are_fictional_and_come_in_several_shapes() {
        let mut shapes = HashSet::new();
        for i in 0..1_000 {
            let mut draw = Draw::new(11, i, b"phone   ");
            let phone = phone(&mut draw, &CITIES[0]);
            let digits = digits(&phone);
            assert_eq!(digits.len(), 10, "{phone}");
            assert_eq!(&digits[3..8], "55501", "{phone}");
            shapes.insert(phone.replace(|c: char| c.is_ascii_digit(), "9"));
        }
        assert_eq!(shapes.len(), 7, "{shapes:?}");
    }
}
