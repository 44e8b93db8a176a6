//! What a system says it can do and what it costs: its product, its modules with their monthly prices, the FHIR resources it serves.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Module;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Capabilities {
    /// The product's name, as the system publishes it.
    pub product: Option<String>,
    /// Each module, with its price in US dollars per provider per month where known.
    pub modules: BTreeMap<Module, Option<f64>>,
    /// The FHIR resource types the system serves.
    pub resources: Vec<String>,
}

impl Capabilities {
    /// Modules shown by the resources served, for systems that do not list their modules.
    pub fn infer_modules(&mut self) {
        for module in Module::ALL {
            let shown = module.fhir_resources().iter().any(|r| self.resources.iter().any(|x| x == r));
            if shown {
                self.modules.entry(module).or_insert(None);
            }
        }
    }
}
