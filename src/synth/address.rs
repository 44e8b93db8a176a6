//! US street addresses whose city, state and ZIP belong together, in the spellings front desks actually key.

use super::draw::Draw;
use crate::model::Address;

/// A real city, its USPS state code, a few of its real ZIP codes, and its main telephone area code.
pub(crate) struct City {
    pub(crate) name: &'static str,
    pub(crate) state: &'static str,
    pub(crate) zips: &'static [&'static str],
    pub(crate) area_code: &'static str,
}

const fn city(name: &'static str, state: &'static str, zips: &'static [&'static str], area_code: &'static str) -> City {
    City { name, state, zips, area_code }
}

/// Spread over the country, with ZIPs that start with 0 (New England, New Jersey) since spreadsheets drop that digit.
pub(crate) const CITIES: &[City] = &[
    city("Tampa", "FL", &["33602", "33603", "33606", "33609", "33611", "33629"], "813"),
    city("Miami", "FL", &["33125", "33130", "33133", "33145"], "305"),
    city("Orlando", "FL", &["32801", "32803", "32806"], "407"),
    city("New York", "NY", &["10001", "10011", "10025", "10128"], "212"),
    city("Brooklyn", "NY", &["11201", "11215", "11238"], "718"),
    city("Buffalo", "NY", &["14201", "14214", "14216"], "716"),
    city("Los Angeles", "CA", &["90012", "90026", "90034", "90042"], "213"),
    city("San Francisco", "CA", &["94110", "94114", "94117", "94122"], "415"),
    city("San Diego", "CA", &["92101", "92103", "92116"], "619"),
    city("Houston", "TX", &["77002", "77006", "77019", "77098"], "713"),
    city("Austin", "TX", &["78701", "78704", "78745"], "512"),
    city("El Paso", "TX", &["79901", "79902", "79912"], "915"),
    city("Chicago", "IL", &["60614", "60618", "60625", "60657"], "312"),
    city("Phoenix", "AZ", &["85003", "85004", "85016"], "602"),
    city("Philadelphia", "PA", &["19103", "19106", "19147"], "215"),
    city("Pittsburgh", "PA", &["15213", "15217", "15232"], "412"),
    city("Columbus", "OH", &["43201", "43206", "43215"], "614"),
    city("Cleveland", "OH", &["44102", "44113", "44120"], "216"),
    city("Detroit", "MI", &["48201", "48207", "48226"], "313"),
    city("Atlanta", "GA", &["30303", "30306", "30308", "30312"], "404"),
    city("Charlotte", "NC", &["28202", "28203", "28205"], "704"),
    city("Seattle", "WA", &["98103", "98105", "98112", "98122"], "206"),
    city("Portland", "OR", &["97202", "97209", "97214"], "503"),
    city("Denver", "CO", &["80203", "80205", "80218"], "303"),
    city("Boston", "MA", &["02108", "02116", "02130"], "617"),
    city("Newark", "NJ", &["07102", "07104", "07107"], "973"),
    city("Minneapolis", "MN", &["55403", "55405", "55408"], "612"),
    city("Nashville", "TN", &["37203", "37206", "37212"], "615"),
    city("New Orleans", "LA", &["70112", "70115", "70119"], "504"),
    city("Albuquerque", "NM", &["87102", "87106", "87110"], "505"),
    city("Honolulu", "HI", &["96813", "96815", "96822"], "808"),
    city("Anchorage", "AK", &["99501", "99503", "99508"], "907"),
    city("Salt Lake City", "UT", &["84102", "84103", "84105"], "801"),
    city("Burlington", "VT", &["05401", "05408"], "802"),
    city("Baltimore", "MD", &["21201", "21218", "21224"], "410"),
    city("Washington", "DC", &["20001", "20009", "20010"], "202"),
    city("Las Vegas", "NV", &["89101", "89104", "89117"], "702"),
    city("Kansas City", "MO", &["64105", "64108", "64111"], "816"),
    city("Milwaukee", "WI", &["53202", "53204", "53211"], "414"),
];

const STREET_NAMES: &[&str] = &[
    "Main",
    "Oak",
    "Maple",
    "Cedar",
    "Elm",
    "Pine",
    "Washington",
    "Lincoln",
    "Jefferson",
    "Madison",
    "Franklin",
    "Park",
    "Lake",
    "Hill",
    "Highland",
    "Sunset",
    "Church",
    "Mill",
    "River",
    "Ridge",
    "Forest",
    "Walnut",
    "Spruce",
    "Willow",
    "Magnolia",
    "Cherry",
    "Bayview",
    "Peachtree",
    "Martin Luther King Jr",
    "Harbour Island",
    "Armenia",
    "Swann",
    "Colonial",
    "Fairview",
    "Chestnut",
    "Sycamore",
    "Laurel",
    "Dogwood",
    "Grand",
    "Broadway",
    "Wabash",
    "Cesar Chavez",
    "Kamehameha",
    "El Camino Real",
    "Saint Charles",
    "1st",
    "2nd",
    "3rd",
    "4th",
    "5th",
    "12th",
    "21st",
    "42nd",
    "125th",
];

/// USPS standard suffix abbreviations (Publication 28, appendix C1) and the word a person might type instead.
const SUFFIXES: &[(&str, &str)] = &[
    ("St", "Street"),
    ("Ave", "Avenue"),
    ("Blvd", "Boulevard"),
    ("Dr", "Drive"),
    ("Rd", "Road"),
    ("Ln", "Lane"),
    ("Ct", "Court"),
    ("Pl", "Place"),
    ("Ter", "Terrace"),
    ("Way", "Way"),
    ("Pkwy", "Parkway"),
    ("Cir", "Circle"),
    ("Hwy", "Highway"),
    ("Trl", "Trail"),
    ("Sq", "Square"),
];

const DIRECTIONS: &[&str] = &["N", "S", "E", "W", "NE", "NW", "SE", "SW"];

/// Percent of addresses with a spelled-out suffix: the normaliser must see `Avenue` and `Ave` as one.
const SPELLED_SUFFIX_PERCENT: u64 = 12;
const DIRECTION_PERCENT: u64 = 20;
const UNIT_PERCENT: u64 = 25;

pub(crate) fn city_for(draw: &mut Draw) -> &'static City {
    draw.pick(CITIES)
}

pub(crate) fn address(draw: &mut Draw, city: &City) -> Address {
    let number = house_number(draw);
    let direction = if draw.percent(DIRECTION_PERCENT) { format!("{} ", draw.pick(DIRECTIONS)) } else { String::new() };
    let street = draw.pick(STREET_NAMES);
    let (abbreviation, word) = draw.pick(SUFFIXES);
    let suffix = if draw.percent(SPELLED_SUFFIX_PERCENT) { word } else { abbreviation };
    let street_line = format!("{number} {direction}{street} {suffix}");
    let line = if draw.percent(UNIT_PERCENT) {
        let unit = unit(draw);
        // Some desks key the unit on the street line, others on a second line; both reach claims.
        if draw.percent(50) { vec![format!("{street_line} {unit}")] } else { vec![street_line, unit] }
    } else {
        vec![street_line]
    };
    Address {
        line,
        city: city.name.to_string(),
        state: city.state.to_string(),
        postal_code: draw.pick(city.zips).to_string(),
    }
}

/// Mostly three- and four-digit numbers, some shorter or five digits as in the suburbs.
fn house_number(draw: &mut Draw) -> u64 {
    let digits = *draw.weighted(&[(10, 1), (15, 2), (35, 3), (30, 4), (10, 5)]);
    let low = 10u64.pow(digits - 1);
    draw.between(low, low * 10 - 1)
}

fn unit(draw: &mut Draw) -> String {
    let floor = draw.between(1, 12);
    let letter = char::from(*draw.pick(b"ABCDEFGH"));
    match draw.below(5) {
        0 => format!("Apt {floor}{letter}"),
        1 => format!("Apt {}", draw.between(1, 450)),
        2 => format!("Unit {floor}{:02}", draw.between(1, 30)),
        3 => format!("Ste {}", draw.between(1, 9) * 100),
        _ => format!("# {}", draw.between(1, 40)),
    }
}

/// The three-digit ZIP prefixes USPS assigns to each state in the table, to check the cities against.
#[cfg(test)]
pub(crate) fn zip_prefixes(state: &str) -> &'static [std::ops::RangeInclusive<u16>] {
    match state {
        "AK" => &[995..=999],
        "AZ" => &[850..=865],
        "CA" => &[900..=961],
        "CO" => &[800..=816],
        "DC" => &[200..=205],
        "FL" => &[320..=349],
        "GA" => &[300..=319, 398..=399],
        "HI" => &[967..=968],
        "IL" => &[600..=629],
        "LA" => &[700..=714],
        "MA" => &[10..=27, 55..=55],
        "MD" => &[206..=219],
        "MI" => &[480..=499],
        "MN" => &[550..=567],
        "MO" => &[630..=658],
        "NC" => &[270..=289],
        "NJ" => &[70..=89],
        "NM" => &[870..=884],
        "NV" => &[889..=898],
        "NY" => &[5..=5, 100..=149],
        "OH" => &[430..=458],
        "OR" => &[970..=979],
        "PA" => &[150..=196],
        "TN" => &[370..=385],
        "TX" => &[733..=733, 750..=799, 885..=885],
        "UT" => &[840..=847],
        "VT" => &[50..=59],
        "WA" => &[980..=994],
        "WI" => &[530..=549],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_city_zip_lies_in_its_state_prefixes() {
        for city in CITIES {
            assert!(!city.zips.is_empty(), "{}", city.name);
            for zip in city.zips {
                assert!(zip.len() == 5 && zip.bytes().all(|b| b.is_ascii_digit()), "{zip}");
                let prefix: u16 = zip[..3].parse().unwrap();
                let ranges = zip_prefixes(city.state);
                assert!(ranges.iter().any(|r| r.contains(&prefix)), "{} {} {zip}", city.name, city.state);
            }
            assert!(city.area_code.len() == 3 && !city.area_code.starts_with(['0', '1']), "{}", city.name);
        }
    }

    #[test]
    fn addresses_are_well_formed() {
        let mut seen_two_lines = false;
        let mut seen_unit_inline = false;
        for i in 0..1_000 {
            let mut draw = Draw::new(9, i, b"address ");
            let city = city_for(&mut draw);
            let address = address(&mut draw, city);
            assert!(matches!(address.line.len(), 1 | 2), "{address:?}");
            let first = &address.line[0];
            assert!(first.split(' ').next().unwrap().parse::<u64>().is_ok_and(|n| n > 0), "{first}");
            seen_two_lines |= address.line.len() == 2;
            seen_unit_inline |= address.line.len() == 1 && (first.contains(" Apt ") || first.contains(" Unit "));
        }
        assert!(seen_two_lines && seen_unit_inline);
    }
}
