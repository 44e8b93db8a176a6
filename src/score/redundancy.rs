//! Functions paid for twice, and functions no product offers: from what each system publishes and the target declares.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{Capabilities, Module, Role};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Redundancy {
    /// Whether anything was known of the systems' modules.
    pub known: bool,
    /// Functions both the EMR's and the PM's product sell.
    pub paid_twice: Vec<PaidTwice>,
    /// Of the twelve functions a practice needs, those neither product offers: to be bought elsewhere.
    pub missing: Vec<Module>,
    /// What all modules of all products cost, US dollars per provider per month (null if no price is known).
    pub monthly_total: Option<f64>,
    /// What paying twice costs per month: for each function, all its prices but the highest.
    pub monthly_paid_twice: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaidTwice {
    pub module: Module,
    pub offers: Vec<Offer>,
    /// The cheapest saving from buying it once (null if a price is unknown).
    pub extra_monthly: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Offer {
    pub role: Role,
    pub product: Option<String>,
    pub monthly: Option<f64>,
}

pub fn redundancy(emr: Option<&Capabilities>, pm: Option<&Capabilities>) -> Redundancy {
    let known: Vec<(Role, &Capabilities)> =
        [(Role::Emr, emr), (Role::Pm, pm)].into_iter().filter_map(|(r, c)| Some((r, c?))).collect();
    if known.iter().all(|(_, c)| c.modules.is_empty()) {
        return Redundancy::default();
    }
    // A suite publishes the same product at both roles: one purchase, nothing paid twice.
    let one_product = matches!((emr, pm), (Some(e), Some(p)) if e.product.is_some() && e.product == p.product);
    let products: Vec<(Role, &Capabilities)> = if one_product { known.into_iter().take(1).collect() } else { known };
    let prices: Vec<f64> = products.iter().flat_map(|(_, c)| c.modules.values().flatten().copied()).collect();
    let mut result = Redundancy {
        known: true,
        monthly_total: (!prices.is_empty()).then(|| round2(prices.iter().sum())),
        ..Redundancy::default()
    };
    for module in Module::ALL {
        let offers: Vec<Offer> = products
            .iter()
            .filter_map(|(role, c)| {
                let price = c.modules.get(&module)?;
                Some(Offer { role: *role, product: c.product.clone(), monthly: *price })
            })
            .collect();
        match offers.len() {
            0 => result.missing.push(module),
            1 => {}
            _ => {
                let known_prices: Option<Vec<f64>> = offers.iter().map(|o| o.monthly).collect();
                let extra = known_prices.map(|p| round2(p.iter().sum::<f64>() - p.iter().copied().fold(0.0, f64::max)));
                result.monthly_paid_twice = round2(result.monthly_paid_twice + extra.unwrap_or(0.0));
                result.paid_twice.push(PaidTwice { module, offers, extra_monthly: extra });
            }
        }
    }
    result
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(name: &str, modules: &[(Module, f64)]) -> Capabilities {
        Capabilities {
            product: Some(name.into()),
            modules: modules.iter().map(|(m, p)| (*m, Some(*p))).collect(),
            resources: vec![],
        }
    }

    #[test]
    fn a_function_sold_by_both_products_is_paid_twice_at_the_cheaper_price() {
        let emr = product("Chart", &[(Module::ClinicalDocumentation, 200.0), (Module::Scheduling, 35.0)]);
        let pm = product("Ledger", &[(Module::Scheduling, 60.0), (Module::ClaimsBilling, 150.0)]);
        let r = redundancy(Some(&emr), Some(&pm));
        assert_eq!(r.paid_twice.len(), 1);
        assert_eq!(r.paid_twice[0].module, Module::Scheduling);
        assert_eq!(r.paid_twice[0].extra_monthly, Some(35.0));
        assert_eq!(r.monthly_paid_twice, 35.0);
        assert_eq!(r.monthly_total, Some(445.0));
        assert_eq!(r.missing.len(), 12 - 3);
        assert!(r.missing.contains(&Module::LabOrdersResults));
    }

    #[test]
    fn a_suite_at_both_roles_is_bought_once() {
        let suite = product("Suite", &[(Module::Scheduling, 60.0), (Module::ClinicalDocumentation, 200.0)]);
        let r = redundancy(Some(&suite), Some(&suite));
        assert!(r.paid_twice.is_empty());
        assert_eq!(r.monthly_total, Some(260.0));
    }

    #[test]
    fn nothing_known_says_so() {
        let r = redundancy(None, Some(&Capabilities::default()));
        assert!(!r.known);
    }
}
