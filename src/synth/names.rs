//! Patient names with the shapes that break interfaces: hyphens, apostrophes, diacritics, spaces, long family names, middle names.

use super::draw::Draw;
use crate::model::{HumanName, Sex};

/// Given names typical of US patients, with diacritics a front desk keys in and some systems drop.
const FEMALE: &[&str] = &[
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Nancy",
    "Margaret",
    "Ashley",
    "Kimberly",
    "Emily",
    "Donna",
    "Michelle",
    "Dorothy",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Laura",
    "Sharon",
    "Cynthia",
    "Kathleen",
    "Ruth",
    "Olivia",
    "Emma",
    "Ava",
    "Isabella",
    "Grace",
    "Hannah",
    "Maria",
    "Ana",
    "Guadalupe",
    "Sofía",
    "Lucía",
    "Inés",
    "Zoë",
    "Chloé",
    "Renée",
    "Noémie",
    "Siobhan",
    "Aoife",
    "Priya",
    "Aisha",
    "Fatima",
    "Mei",
    "Yuki",
    "Thảo",
    "Ngọc",
    "Olga",
    "Agnieszka",
    "Keisha",
    "Imani",
    "LaToya",
    "Björk",
    "Anne-Marie",
    "Mary Ellen",
];

const MALE: &[&str] = &[
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Christopher",
    "Charles",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Edward",
    "Jason",
    "Liam",
    "Noah",
    "Ethan",
    "Mason",
    "José",
    "Jesús",
    "Luis",
    "Raúl",
    "Ángel",
    "Andrés",
    "Jürgen",
    "Björn",
    "Søren",
    "François",
    "Minh",
    "Huy",
    "Đức",
    "Rahul",
    "Arjun",
    "Mohammed",
    "Omar",
    "Hiroshi",
    "Kwame",
    "Darnell",
    "DeShawn",
    "Jamal",
    "Seán",
    "Dmitri",
    "Wojciech",
    "Krzysztof",
    "Jean-Luc",
    "Billy Ray",
];

/// Family names: common US names, and on purpose every shape a record-matching normaliser has to survive.
const FAMILY: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kim",
    "Patel",
    "Chen",
    "Wang",
    "Singh",
    "Khan",
    "Cohen",
    "Goldberg",
    "Kowalski",
    "Novak",
    "Washington",
    "Jefferson",
    "Okafor",
    "Adeyemi",
    "Yamamoto",
    "Tanaka",
    "Ivanova",
    "McDonald",
    "MacArthur",
    "DiMaggio",
    "LeBlanc",
    // Apostrophes.
    "O'Brien",
    "O'Connor",
    "O'Neill",
    "O'Malley",
    "D'Angelo",
    "D'Souza",
    "N'Diaye",
    // Diacritics, including Vietnamese letters outside Latin-1.
    "Muñoz",
    "Peña",
    "Núñez",
    "Ibáñez",
    "Gómez",
    "Nguyễn",
    "Trần",
    "Phạm",
    "Lê",
    "Gonçalves",
    "Müller",
    "Björk",
    "Søndergaard",
    "Dvořák",
    "Łukasiewicz",
    // Spaces and particles.
    "de la Cruz",
    "Van Buren",
    "van der Berg",
    "St. John",
    "Del Rosario",
    // Longer than the 12 characters some systems keep.
    "Wojciechowski",
    "Christodoulou",
    "Papadimitriou",
    "Balasubramanian",
    "Konstantinidis",
    "Vijayaraghavan",
    "Hadjigeorgiou",
    "Featherstonehaugh",
    "Oyelaran-Adeyemi",
];

/// How often a family name is a double-barrelled `A-B` built from two of the above.
const HYPHENATED_PERCENT: u64 = 8;
const MIDDLE_NAME_PERCENT: u64 = 45;
const SECOND_MIDDLE_NAME_PERCENT: u64 = 8;

pub(crate) fn name(draw: &mut Draw, sex: Sex) -> HumanName {
    let pool = match sex {
        Sex::Female => FEMALE,
        Sex::Male => MALE,
        Sex::Other | Sex::Unknown => {
            if draw.percent(50) {
                FEMALE
            } else {
                MALE
            }
        }
    };
    let mut given = vec![draw.pick(pool).to_string()];
    if draw.percent(MIDDLE_NAME_PERCENT) {
        push_distinct(draw, pool, &mut given);
        if draw.percent(SECOND_MIDDLE_NAME_PERCENT) {
            push_distinct(draw, pool, &mut given);
        }
    }
    let family = if draw.percent(HYPHENATED_PERCENT) {
        let first = simple_family(draw);
        let mut second = simple_family(draw);
        while second == first {
            second = simple_family(draw);
        }
        format!("{first}-{second}")
    } else {
        draw.pick(FAMILY).to_string()
    };
    HumanName { given, family }
}

fn push_distinct(draw: &mut Draw, pool: &[&str], given: &mut Vec<String>) {
    let mut candidate = draw.pick(pool);
    while given.iter().any(|name| name == candidate) {
        candidate = draw.pick(pool);
    }
    given.push(candidate.to_string());
}

/// A family name that can sit on either side of a hyphen: none already hyphenated or spaced.
fn simple_family(draw: &mut Draw) -> &'static str {
    loop {
        let family = draw.pick(FAMILY);
        if !family.contains(['-', ' ']) {
            return family;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_hold_every_shape_on_purpose() {
        assert!(FAMILY.iter().any(|f| f.contains('\'')));
        assert!(FAMILY.iter().any(|f| !f.is_ascii()));
        assert!(FAMILY.iter().any(|f| f.chars().count() > 12 && !f.contains('-')));
        assert!(FAMILY.iter().any(|f| f.contains(' ')));
        assert!(FEMALE.iter().chain(MALE).any(|g| !g.is_ascii()));
        assert!(FEMALE.iter().chain(MALE).chain(FAMILY).all(|n| n.trim() == *n && !n.is_empty()));
    }

    #[test]
    fn names_are_never_empty_and_middle_names_do_not_repeat_the_first() {
        for i in 0..2_000 {
            let mut draw = Draw::new(5, i, b"name    ");
            let sex = if i % 2 == 0 { Sex::Female } else { Sex::Male };
            let name = name(&mut draw, sex);
            assert!(!name.family.is_empty() && !name.given.is_empty());
            let distinct: std::collections::HashSet<_> = name.given.iter().collect();
            assert_eq!(distinct.len(), name.given.len(), "{name:?}");
            assert!(!name.family.starts_with('-') && !name.family.ends_with('-'));
        }
    }
}
