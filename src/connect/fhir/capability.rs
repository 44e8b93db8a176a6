//! What a FHIR server declares it can do (its CapabilityStatement), so a request it cannot serve is never sent.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// One thing a request needs the server to support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need<'a> {
    /// An interaction on a resource type: `read`, `create`, `update`, `search-type`.
    Interaction { resource: &'a str, code: &'a str },
    /// A search parameter on a resource type.
    SearchParam { resource: &'a str, name: &'a str },
    /// A create with `If-None-Exist`.
    ConditionalCreate { resource: &'a str },
    /// A whole-system interaction: `transaction`, `batch`.
    System(&'a str),
    /// A named operation (without its `$`), declared for the whole system or on the resource type.
    Operation { resource: &'a str, name: &'a str },
}

#[derive(Debug, Clone, Default, PartialEq)]
struct ResourceDeclared {
    /// `None` when the statement does not list the resource's interactions.
    interactions: Option<BTreeSet<String>>,
    search_params: BTreeSet<String>,
    operations: BTreeSet<String>,
    conditional_create: Option<bool>,
}

/// The server's declarations. A list the statement leaves out says nothing and nothing is refused on its account;
/// a list it gives is taken as complete. Operations are the exception: they go beyond the base specification, so a
/// server has only those it names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Declared {
    /// `None` when the statement lists no resources.
    resources: Option<BTreeMap<String, ResourceDeclared>>,
    system_interactions: Option<BTreeSet<String>>,
    operations: BTreeSet<String>,
}

fn codes(list: Option<&Value>, key: &str) -> Option<BTreeSet<String>> {
    list.and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|i| i.get(key)?.as_str()).map(str::to_string).collect())
}

impl Declared {
    pub fn from_statement(statement: &Value) -> Declared {
        let mut declared = Declared::default();
        let servers = statement
            .get("rest")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| r.get("mode").and_then(Value::as_str).is_none_or(|m| m == "server"));
        for rest in servers {
            if let Some(listed) = rest.get("resource").and_then(Value::as_array) {
                let resources = declared.resources.get_or_insert_with(BTreeMap::new);
                for resource in listed {
                    let Some(kind) = resource.get("type").and_then(Value::as_str) else { continue };
                    let entry = resources.entry(kind.to_string()).or_default();
                    if let Some(interactions) = codes(resource.get("interaction"), "code") {
                        entry.interactions.get_or_insert_with(BTreeSet::new).extend(interactions);
                    }
                    entry.search_params.extend(codes(resource.get("searchParam"), "name").unwrap_or_default());
                    entry.operations.extend(codes(resource.get("operation"), "name").unwrap_or_default());
                    entry.conditional_create = resource.get("conditionalCreate").and_then(Value::as_bool);
                }
            }
            if let Some(interactions) = codes(rest.get("interaction"), "code") {
                declared.system_interactions.get_or_insert_with(BTreeSet::new).extend(interactions);
            }
            declared.operations.extend(codes(rest.get("operation"), "name").unwrap_or_default());
        }
        declared
    }

    /// What the server does not declare that `need` asks for, in words; `None` when it declares it or says nothing.
    pub fn lacks(&self, need: Need<'_>) -> Option<String> {
        let resource = match need {
            Need::System(code) => {
                let listed = self.system_interactions.as_ref()?;
                return (!listed.contains(code)).then(|| format!("interaction {code}"));
            }
            Need::Operation { resource, name } => {
                let on_resource =
                    self.resources.as_ref().and_then(|r| r.get(resource)).is_some_and(|r| r.operations.contains(name));
                return (!on_resource && !self.operations.contains(name)).then(|| format!("operation ${name}"));
            }
            Need::Interaction { resource, .. }
            | Need::SearchParam { resource, .. }
            | Need::ConditionalCreate { resource } => resource,
        };
        let Some(declared) = self.resources.as_ref()?.get(resource) else {
            return Some(format!("resource type {resource}"));
        };
        match need {
            Need::Interaction { code, .. } => {
                let listed = declared.interactions.as_ref()?;
                (!listed.contains(code)).then(|| format!("interaction {code} on {resource}"))
            }
            // Many servers list no parameters at all; only a list that leaves this one out refuses it.
            Need::SearchParam { name, .. } => (!declared.search_params.is_empty()
                && !declared.search_params.contains(name))
            .then(|| format!("search parameter `{name}` on {resource}")),
            Need::ConditionalCreate { .. } => {
                (declared.conditional_create == Some(false)).then(|| format!("conditional create on {resource}"))
            }
            Need::System(_) | Need::Operation { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The shape Medplum's statement has: every interaction and search parameter listed, no operations.
    fn listing_everything_but_operations() -> Declared {
        Declared::from_statement(&json!({
            "resourceType": "CapabilityStatement",
            "rest": [{
                "mode": "server",
                "resource": [
                    {
                        "type": "ChargeItem",
                        "interaction": [{ "code": "read" }, { "code": "create" }, { "code": "search-type" }],
                        "searchParam": [{ "name": "context", "type": "reference" }, { "name": "patient", "type": "reference" }],
                    },
                    { "type": "Patient", "interaction": [{ "code": "read" }], "conditionalCreate": false },
                ],
                "interaction": [{ "code": "batch" }],
            }],
        }))
    }

    #[test]
    fn a_listed_interaction_and_search_parameter_are_supported() {
        let declared = listing_everything_but_operations();
        assert_eq!(declared.lacks(Need::Interaction { resource: "ChargeItem", code: "search-type" }), None);
        assert_eq!(declared.lacks(Need::SearchParam { resource: "ChargeItem", name: "context" }), None);
    }

    #[test]
    fn what_a_given_list_leaves_out_is_named() {
        let declared = listing_everything_but_operations();
        assert_eq!(
            declared.lacks(Need::Interaction { resource: "ChargeItem", code: "update" }).as_deref(),
            Some("interaction update on ChargeItem")
        );
        assert_eq!(
            declared.lacks(Need::SearchParam { resource: "ChargeItem", name: "encounter" }).as_deref(),
            Some("search parameter `encounter` on ChargeItem")
        );
        assert_eq!(
            declared.lacks(Need::Interaction { resource: "Claim", code: "search-type" }).as_deref(),
            Some("resource type Claim")
        );
        assert_eq!(declared.lacks(Need::System("transaction")).as_deref(), Some("interaction transaction"));
        assert_eq!(
            declared.lacks(Need::ConditionalCreate { resource: "Patient" }).as_deref(),
            Some("conditional create on Patient")
        );
        assert_eq!(
            declared.lacks(Need::Operation { resource: "Patient", name: "build-claim" }).as_deref(),
            Some("operation $build-claim")
        );
    }

    #[test]
    fn a_list_the_statement_leaves_out_refuses_nothing_but_operations() {
        let declared =
            Declared::from_statement(&json!({ "resourceType": "CapabilityStatement", "rest": [{ "mode": "server" }] }));
        assert_eq!(declared.lacks(Need::Interaction { resource: "Claim", code: "read" }), None);
        assert_eq!(declared.lacks(Need::SearchParam { resource: "Claim", name: "patient" }), None);
        assert_eq!(declared.lacks(Need::System("transaction")), None);
        assert_eq!(declared.lacks(Need::ConditionalCreate { resource: "Patient" }), None);
        assert!(declared.lacks(Need::Operation { resource: "Patient", name: "build-claim" }).is_some());
        // A listed resource without its interactions or parameters says nothing about them either.
        let bare = Declared::from_statement(&json!({ "rest": [{ "resource": [{ "type": "Claim" }] }] }));
        assert_eq!(bare.lacks(Need::Interaction { resource: "Claim", code: "read" }), None);
        assert_eq!(bare.lacks(Need::SearchParam { resource: "Claim", name: "patient" }), None);
    }

    #[test]
    fn an_operation_counts_whether_declared_for_the_system_or_on_the_resource() {
        let on_patient = Declared::from_statement(&json!({ "rest": [{ "resource": [
            { "type": "Patient", "operation": [{ "name": "build-claim", "definition": "urn:x" }] },
        ] }] }));
        assert_eq!(on_patient.lacks(Need::Operation { resource: "Patient", name: "build-claim" }), None);
        assert!(on_patient.lacks(Need::Operation { resource: "Claim", name: "build-claim" }).is_some());
        let system = Declared::from_statement(
            &json!({ "rest": [{ "operation": [{ "name": "build-claim", "definition": "urn:x" }] }] }),
        );
        assert_eq!(system.lacks(Need::Operation { resource: "Patient", name: "build-claim" }), None);
    }

    #[test]
    fn a_client_mode_rest_entry_declares_nothing_about_the_server() {
        let declared = Declared::from_statement(&json!({ "rest": [
            { "mode": "client", "interaction": [{ "code": "transaction" }] },
            { "mode": "server", "interaction": [{ "code": "batch" }] },
        ] }));
        assert_eq!(declared.lacks(Need::System("transaction")).as_deref(), Some("interaction transaction"));
    }
}
