//! XCN for a provider known by NPI, as SIU's AIP-3 and DFT's FT1-20 name the clinician.

use super::Field;

/// XCN with the NPI in XCN.1 and identifier type `NPI` in XCN.13.
pub fn provider(npi: &str) -> Field {
    let mut parts = [""; 13];
    parts[0] = npi;
    parts[12] = "NPI";
    Field::from_components(parts)
}
