//! The patient the reconcile tests share: the DESIGN.md Medicare patient as a PM export row holds her.

use super::columns::COLUMNS;

pub const ANA: [&str; COLUMNS] = [
    "P1",
    "",
    "Lopez-Hernandez",
    "Ana",
    "Maria",
    "1958-03-12",
    "female",
    "1200 Bayview Avenue Apt 4B",
    "Tampa",
    "FL",
    "33606",
    "(813) 555-0142",
    "medicare",
    "1EG4TE5MK72",
];
