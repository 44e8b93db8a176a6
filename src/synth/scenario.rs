//! Turning a scenario from the library into the same flow for synthetic patient `i`.

use super::generator::SyntheticPatients;
use crate::scenario::{Located, Scenario, Step};

impl SyntheticPatients {
    /// `template` with synthetic patient `index` registered, and that patient's visit in every `document` step.
    ///
    /// The name gains `#<index>` so findings from many patients stay apart. Where and when the visit is
    /// documented (role, place and date of service, rendering NPI) is kept from the template; so are the
    /// template's other steps, an `update_patient` included.
    pub fn scenario(&self, template: &Scenario, index: u64) -> Scenario {
        let generated = self.generate(index);
        let mut scenario = template.clone();
        scenario.name = format!("{}#{index}", template.name);
        scenario.patient = generated.patient;
        for step in &mut scenario.steps {
            if let Step::Document(document) = &mut step.value {
                document.diagnoses = generated.visit.diagnoses.clone();
                document.services = generated.visit.services.iter().cloned().map(Located::unlocated).collect();
            }
        }
        scenario
    }
}
