//! Reading scenario and target files: YAML parsing with source positions, then the checks YAML alone cannot make.

use std::path::Path;

use super::{Auth, Defect, Document, Fault, InputError, Located, Scenario, Simulator, Step, Systems, Target, Topology};
use crate::mock::{OPERATIONS, RESOURCES};
use crate::model::Role;

/// Scenario and target files are small; anything larger is a mistake, not a scenario.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

pub fn load_scenario(path: &Path) -> Result<Scenario, InputError> {
    let (name, text) = read_file(path)?;
    parse_scenario(&name, &text)
}

pub fn load_target(path: &Path) -> Result<Target, InputError> {
    let (name, text) = read_file(path)?;
    parse_target(&name, &text)
}

pub fn parse_scenario(path: &str, text: &str) -> Result<Scenario, InputError> {
    let scenario: Scenario = parse_yaml(path, text)?;
    let errors = check_scenario(&scenario)
        .into_iter()
        .map(|(line, column, message, hint)| InputError::at(path, text, line, column, message, Some(hint)))
        .collect();
    match InputError::gather(errors) {
        Some(error) => Err(error),
        None => Ok(scenario),
    }
}

pub fn parse_target(path: &str, text: &str) -> Result<Target, InputError> {
    let target: Target = parse_yaml(path, text)?;
    // Folders a target names are relative to the target file's own folder.
    let base_dir = Path::new(path).parent().unwrap_or(Path::new(""));
    let errors = check_target(&target, base_dir)
        .into_iter()
        .map(|(line, column, message, hint)| InputError::at(path, text, line, column, message, Some(hint)))
        .collect();
    match InputError::gather(errors) {
        Some(error) => Err(error),
        None => Ok(target),
    }
}

/// A scenario or target file's name and text: refused whole when it is larger than any real one could be, and
/// pointed at the first invalid byte when it is not UTF-8.
pub fn read_file(path: &Path) -> Result<(String, String), InputError> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| {
        InputError::whole_file(&name, format!("cannot read the file: {e}"), Some("check the path".into()))
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(InputError::whole_file(
            &name,
            format!("the file is {} bytes; scenario and target files are at most {MAX_FILE_BYTES}", meta.len()),
            Some("split the file, or check that it is the file you meant".into()),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        InputError::whole_file(&name, format!("cannot read the file: {e}"), Some("check the path".into()))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| not_utf8(&name, e.as_bytes(), e.utf8_error().valid_up_to()))?;
    Ok((name, text))
}

/// Where the first byte that is not UTF-8 is, as a line and column an editor can jump to, and its offset.
fn not_utf8(name: &str, bytes: &[u8], offset: usize) -> InputError {
    let before = String::from_utf8_lossy(&bytes[..offset]);
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count() as u64 + 1;
    let shown = String::from_utf8_lossy(bytes);
    InputError::at(
        name,
        &shown,
        line,
        column,
        format!("the file is not UTF-8 (byte 0x{:02X} at offset {offset})", bytes[offset]),
        Some("save the file as UTF-8".into()),
    )
}

/// How deep a scenario or target file may nest. The deepest real one nests about eight levels.
const MAX_DEPTH: usize = 32;
/// How many events aliases may replay in all: generous for anchors reused across steps, and it stops an alias
/// bomb ("billion laughs") after milliseconds instead of expanding it.
const MAX_REPLAYED_EVENTS: usize = 20_000;
/// How many aliases, and how many anchors, a file may have.
const MAX_ALIASES: usize = 1_000;

/// serde-saphyr's defaults are for any YAML; these bound what a hostile or broken scenario can cost in time and
/// memory, far above anything a person writes. Every read of a file a user hands over goes through them, even one
/// that only looks at its top-level keys: with the defaults an alias bomb costs seconds before it is refused.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_events = 200_000;
    budget.max_nodes = 100_000;
    budget.max_aliases = MAX_ALIASES;
    budget.max_anchors = MAX_ALIASES;
    // Each anchor keeps a copy of what it names, aliases inside it included: without this, nested anchors
    // (`&b [*a, *a, ...]`, `&c [*b, *b, ...]`) would copy exponentially many events before anything reads them.
    budget.max_recorded_anchor_events = MAX_REPLAYED_EVENTS;
    budget.max_documents = 1;
    budget.max_total_scalar_bytes = MAX_FILE_BYTES as usize;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    options.alias_limits.max_replay_stack_depth = MAX_DEPTH;
    options
}

/// Any YAML file of the project's (a scenario, a target, a column map) read as `T`, or where and why it is not one.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Result<T, InputError> {
    serde_saphyr::from_str_with_options(text, yaml_options()).map_err(|error| {
        let (message, hint) = over_limit(&error).unwrap_or_else(|| explain(&plain_message(&error)));
        match error.location() {
            Some(loc) if loc.line() > 0 => InputError::at(path, text, loc.line(), loc.column(), message, hint),
            _ => InputError::whole_file(path, message, hint),
        }
    })
}

/// What a limit of [`yaml_options`] stopped, said as the fault in the file rather than serde-saphyr's `Debug`.
fn over_limit(error: &serde_saphyr::Error) -> Option<(String, Option<String>)> {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    let mut error = error.without_snippet();
    while let Error::AliasError { error: inner, .. } = error {
        error = inner.without_snippet();
    }
    let aliases = || Some("a scenario reuses an anchor a few times at most; write the values out".to_string());
    let (message, hint) = match error {
        Error::Budget { breach: BudgetBreach::Depth { .. }, .. } => too_deep(),
        Error::AliasReplayLimitExceeded { .. } | Error::AliasExpansionLimitExceeded { .. } => {
            (format!("aliases (`*name`) expand to more than {MAX_REPLAYED_EVENTS} values"), aliases())
        }
        Error::AliasReplayStackDepthExceeded { .. } => {
            (format!("aliases (`*name`) nest more than {MAX_DEPTH} deep"), aliases())
        }
        Error::Budget { breach: BudgetBreach::Aliases { .. }, .. } => {
            (format!("the YAML uses more than {MAX_ALIASES} aliases (`*name`)"), aliases())
        }
        Error::Budget { breach: BudgetBreach::Anchors { .. }, .. } => {
            (format!("the YAML defines more than {MAX_ALIASES} anchors (`&name`)"), aliases())
        }
        Error::Budget { breach, .. } => (
            format!("the YAML is too large or too complex for a scenario or target file ({breach:?})"),
            Some("split it into several files".into()),
        ),
        // The scanner's own limit on nested `[`/`{`, met before the budget's.
        Error::ExternalMessage { msg, .. } if msg == "recursion limit exceeded" => too_deep(),
        _ => return None,
    };
    Some((message, hint))
}

fn too_deep() -> (String, Option<String>) {
    (
        format!("the YAML nests deeper than {MAX_DEPTH} levels"),
        Some("a scenario nests a few levels; look for unclosed `[` or `{` or a file that is not a scenario".into()),
    )
}

/// The message, and a hint: a did-you-mean, the fix our own parsers wrote after `; `, or what the type wants.
fn explain(message: &str) -> (String, Option<String>) {
    if let Some(hint) = hint_for(message) {
        return (message.to_string(), Some(hint));
    }
    if let Some((what, fix)) = message.split_once("; ") {
        return (what.to_string(), Some(fix.to_string()));
    }
    let wanted = match message {
        m if m.starts_with("invalid u") || m.starts_with("invalid i") => "expected a whole number here",
        m if m.starts_with("invalid f") => "expected a number here",
        "expected string scalar" => {
            "expected a single value here; a `[` or `{` before it may be unclosed, or the value needs quotes"
        }
        _ => "see `handoff schema` for the format",
    };
    (message.to_string(), Some(wanted.to_string()))
}

/// serde-saphyr's Display draws its own snippet; we draw ours, so keep only the sentence.
fn plain_message(error: &serde_saphyr::Error) -> String {
    if let serde_saphyr::Error::Message { msg, .. } = error {
        return msg.clone();
    }
    let text = error.to_string();
    let first = text.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.split_once(": ") {
        Some((position, rest)) if position.starts_with("line ") => rest.to_string(),
        _ => first.to_string(),
    }
}

/// A did-you-mean for unknown keys and variants, from the list serde says it expected.
fn hint_for(message: &str) -> Option<String> {
    let unknown = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|prefix| message.split_once(prefix).map(|(_, rest)| rest))?;
    let (word, rest) = unknown.split_once('`')?;
    let expected = rest.split_once("expected ").map(|(_, e)| e).unwrap_or_default();
    let choices: Vec<&str> = expected
        .trim_start_matches("one of ")
        .split(", ")
        .flat_map(|c| c.split(" or "))
        .map(|c| c.trim().trim_matches('`'))
        .filter(|c| !c.is_empty())
        .collect();
    let best = choices.iter().map(|c| (strsim::jaro_winkler(word, c), *c)).max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, choice)) if score > 0.8 => Some(format!("did you mean `{choice}`?")),
        _ if choices.is_empty() => Some(format!("remove `{word}`; see `handoff schema` for the format")),
        _ => Some(format!("expected one of: {}", choices.join(", "))),
    }
}

type Problem = (u64, u64, String, String);

fn check_scenario(scenario: &Scenario) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut registered = false;
    let mut scheduled = false;
    let mut documented = false;
    let mut claim_built = false;
    for step in &scenario.steps {
        let mut problem = |message: String, hint: &str| {
            problems.push((step.line, step.column, message, hint.to_string()));
        };
        let needs_patient = !matches!(step.value, Step::Register(_));
        if needs_patient && !registered {
            problem(
                format!("`{}` comes before the patient is registered", step.label()),
                "put a `register` step first",
            );
        }
        match &step.value {
            Step::Register(_) => registered = true,
            Step::Schedule(_) => scheduled = true,
            Step::Document(doc) => {
                documented = true;
                if (doc.date_of_service.is_none() || doc.rendering_npi.is_none()) && !scheduled {
                    problem(
                        "`document` has no date of service or rendering NPI, and no visit was scheduled before it"
                            .into(),
                        "add `date_of_service` and `rendering_npi`, or a `schedule` step before it",
                    );
                }
                problems.extend(check_document(doc, step.line, step.column));
            }
            Step::BuildClaim(_) if !documented => {
                problem("`build_claim` comes before any visit is documented".into(), "put a `document` step before it")
            }
            Step::BuildClaim(_) => claim_built = true,
            Step::ExpectSynced(e) if e.record == super::RecordKind::Appointment && !scheduled => problem(
                "`expect_synced` waits for an appointment, but none was scheduled before it".into(),
                "put a `schedule` step before it",
            ),
            Step::ExpectCharges(_) if !documented => problem(
                "`expect_charges` comes before any visit is documented".into(),
                "put a `document` step before it",
            ),
            Step::ExpectClaim(_) if !claim_built => {
                problem("`expect_claim` comes before a claim is built".into(), "put a `build_claim` step before it")
            }
            Step::ExpectRemittance(_) if !claim_built => problem(
                "`expect_remittance` comes before a claim is built".into(),
                "put a `build_claim` step before it: the payer answers the claim the PM sends",
            ),
            _ => {}
        }
    }
    if scenario.steps.is_empty() {
        problems.push((1, 1, "the scenario has no steps".into(), "add `steps:` with at least `register`".into()));
    }
    problems
}

fn check_document(doc: &Document, line: u64, column: u64) -> Vec<Problem> {
    let mut problems = Vec::new();
    let dx_count = doc.diagnoses.len();
    if dx_count == 0 {
        problems.push((
            line,
            column,
            "`document` has no diagnoses".into(),
            "list ICD-10-CM codes under `diagnoses`".into(),
        ));
    }
    for service in &doc.services {
        let at = |message: String, hint: &str| (service.line, service.column, message, hint.to_string());
        if service.modifiers.len() > 4 {
            problems.push(at(
                format!(
                    "service {} has {} modifiers; a claim line holds at most 4",
                    service.code,
                    service.modifiers.len()
                ),
                "keep the four that change payment first",
            ));
        }
        if service.dx.is_empty() || service.dx.len() > 4 {
            problems.push(at(
                format!(
                    "service {} has {} diagnosis pointers; a claim line needs 1 to 4",
                    service.code,
                    service.dx.len()
                ),
                "point `dx` at the diagnoses that justify the service, most important first",
            ));
        }
        for pointer in service.dx.iter().filter(|p| **p == 0 || usize::from(**p) > dx_count) {
            problems.push(at(
                format!("service {} points at diagnosis {pointer}, but the visit lists {dx_count}", service.code),
                "pointers count from 1 in the order of `diagnoses`",
            ));
        }
        if !(service.units > 0.0 && service.units.is_finite()) {
            problems.push(at(format!("service {} has {} units", service.code, service.units), "units must be above 0"));
        }
    }
    problems
}

fn check_target(target: &Target, base_dir: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    match (&target.systems, &target.simulator) {
        (Some(_), Some(_)) => problems.push((
            1,
            1,
            "the target has both `systems` and `simulator`".into(),
            "a target is either real systems or a simulator; keep one".into(),
        )),
        (None, None) => problems.push((
            1,
            1,
            "the target has neither `systems` nor `simulator`".into(),
            "add `systems:` with `emr` and `pm` endpoints, or a `simulator:` profile".into(),
        )),
        _ => {}
    }
    if let Some(sim) = &target.simulator
        && sim.topology == Topology::Shared
    {
        if sim.interface.is_some() {
            problems.push((
                sim.line,
                sim.column,
                "a `shared` simulator has no interface to configure".into(),
                "remove `interface`, or use `topology: interfaced`".into(),
            ));
        }
        if let Some(defect) = sim.defects.first() {
            problems.push((
                defect.line,
                defect.column,
                "defects are planted in an interface, and a `shared` simulator has none".into(),
                "remove `defects`, or use `topology: interfaced`".into(),
            ));
        }
    }
    if let Some(systems) = &target.systems {
        problems.extend(check_systems(systems, base_dir));
    }
    for product in &target.products {
        if product.roles.is_empty() {
            problems.push((
                product.line,
                product.column,
                format!("product `{}` plays no role", product.name),
                "give it `roles: [emr]`, `[pm]` or `[emr, pm]`".into(),
            ));
        }
        if let Some((module, price)) = product.modules.iter().find(|(_, p)| !(p.is_finite() && **p >= 0.0)) {
            problems.push((
                product.line,
                product.column,
                format!("product `{}` prices {} at {price}", product.name, module.code()),
                "prices are US dollars per provider per month, 0 or more".into(),
            ));
        }
    }
    for role in Role::ALL {
        let players: Vec<&str> =
            target.products.iter().filter(|p| p.roles.contains(&role)).map(|p| p.name.as_str()).collect();
        if players.len() > 1 {
            let first = &target.products[0];
            problems.push((
                first.line,
                first.column,
                format!("{} products play the {role}: {}", players.len(), players.join(", ")),
                "each role is played by one product".into(),
            ));
        }
    }
    if let Some(sim) = &target.simulator {
        let batch_every = sim.interface.as_ref().and_then(|i| i.batch_every);
        if sim.topology == Topology::Batch && batch_every.is_none_or(|b| b.0.is_zero()) {
            problems.push((
                sim.line,
                sim.column,
                "a `batch` simulator needs `interface: { batch_every: ... }`".into(),
                "say how often the sync job runs, for example `batch_every: 3s`".into(),
            ));
        }
        if sim.topology == Topology::Interfaced && batch_every.is_some() {
            problems.push((
                sim.line,
                sim.column,
                "`batch_every` is for `topology: batch`".into(),
                "use `topology: batch`, or remove `batch_every`".into(),
            ));
        }
    }
    if let Some(sim) = &target.simulator {
        for defect in &sim.defects {
            let zero = match &defect.value {
                Defect::TruncateFamilyName { max_chars } => *max_chars == 0,
                Defect::CarryFirstDiagnoses { count } => *count == 0,
                Defect::LoseOneIn { n } => *n == 0,
                Defect::CapUnits { max } => max.is_nan() || *max <= 0.0,
                _ => false,
            };
            if zero {
                problems.push((
                    defect.line,
                    defect.column,
                    format!("defect `{}` would remove everything", defect.name()),
                    "use a number above 0".into(),
                ));
            }
        }
        for fault in &sim.faults {
            problems.extend(check_fault(fault, sim));
        }
        if let Some(payer) = &sim.payer {
            problems.extend(super::payer::check_payer(payer));
        }
    }
    problems
}

/// Each role's channels: at least one, each with what it needs, at an address or folder that can be used.
fn check_systems(systems: &Systems, base_dir: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut listening: Vec<(&str, &Located<String>)> = Vec::new();
    for (role, spec) in [("emr", &systems.emr), ("pm", &systems.pm)] {
        let mut problem = |at: (u64, u64), message: String, hint: &str| {
            problems.push((at.0, at.1, message, hint.to_string()));
        };
        if spec.channels().is_empty() {
            problem(
                (spec.line, spec.column),
                format!("the {role} system names no channel to reach it through"),
                "give it at least one of `fhir: { base_url }`, `hl7v2: { send_to, listen }` or `x12: { outbox }`",
            );
        }
        if let Some(fhir) = &spec.fhir {
            let source = match &fhir.auth {
                Some(Auth::Bearer(source)) | Some(Auth::Basic { password: source, .. }) => Some(source),
                _ => None,
            };
            if let Some(source) = source
                && source.env.is_some() == source.file.is_some()
            {
                problem(
                    (fhir.line, fhir.column),
                    format!("the {role} secret needs exactly one of `env` or `file`"),
                    "name the environment variable (`env: EMR_TOKEN`) or the file (`file: secrets/emr-token`) that holds it",
                );
            }
            let smart_key = match &fhir.auth {
                Some(Auth::SmartBackend(smart)) => Some(("SMART `key_file`", &smart.key_file)),
                _ => None,
            };
            let secret_file = source.and_then(|s| s.file.as_ref()).map(|f| ("secret `file`", f));
            for (what, file) in
                [smart_key, secret_file, fhir.ca_file.as_ref().map(|f| ("`ca_file`", f))].into_iter().flatten()
            {
                if climbs_out(file) {
                    problem(
                        (fhir.line, fhir.column),
                        format!("the {role} {what} `{file}` climbs out of this target file's folder"),
                        LEAVES_FOLDER,
                    );
                }
            }
            if !(fhir.base_url.starts_with("https://") || fhir.base_url.starts_with("http://")) {
                problem(
                    (fhir.line, fhir.column),
                    format!("the {role} base_url `{}` is not an http(s) URL", fhir.base_url),
                    "write the FHIR base, for example https://vendor.example/fhir/r4",
                );
            }
            // `https://user:password@host/...`: a credential in the file itself, which would also be sent only by
            // some HTTP clients. The URL is not quoted back, since it holds the secret.
            let credentials = reqwest::Url::parse(&fhir.base_url)
                .is_ok_and(|url| !url.username().is_empty() || url.password().is_some());
            if credentials {
                problem(
                    (fhir.line, fhir.column),
                    format!("the {role} base_url carries a user name or password before its host (not shown here)"),
                    "credentials never come from a target file: write the base without them and give \
                     `auth: { basic: { username: ..., env: VARIABLE } }` (or `file:`) beside it",
                );
            }
        }
        if let Some(hl7) = &spec.hl7v2 {
            if hl7.send_to.is_none() && hl7.listen.is_none() {
                problem(
                    (hl7.line, hl7.column),
                    format!("the {role} `hl7v2` channel neither sends nor listens"),
                    "give `send_to: host:port` (the system's inbound interface), `listen: 127.0.0.1:port` \
                     (where its outbound interface sends), or both",
                );
            }
            if let Some(send_to) = &hl7.send_to
                && !is_host_port(send_to)
            {
                problem(
                    (send_to.line, send_to.column),
                    format!("the {role} `send_to` `{}` is not a host and port", send_to.value),
                    "write the inbound interface as host:port, for example `interfaces.vendor.example:6661`",
                );
            }
            if let Some(listen) = &hl7.listen {
                match listen.parse::<std::net::SocketAddr>() {
                    Err(_) => problem(
                        (listen.line, listen.column),
                        format!("the {role} `listen` `{}` is not an address and port on this machine", listen.value),
                        "write an IP address and port, for example `127.0.0.1:7001`, or `0.0.0.0:7001` to take \
                         messages from other machines",
                    ),
                    Ok(addr) if addr.port() == 0 => problem(
                        (listen.line, listen.column),
                        format!("the {role} `listen` `{}` has port 0", listen.value),
                        "name the port the vendor's interface is configured to send to",
                    ),
                    Ok(_) => {
                        if let Some((other, _)) = listening.iter().find(|(_, l)| l.value == listen.value) {
                            problem(
                                (listen.line, listen.column),
                                format!("the {role} and the {other} both listen on `{}`", listen.value),
                                "give each role its own port",
                            );
                        }
                        listening.push((role, listen));
                    }
                }
            }
        }
        if let Some(x12) = &spec.x12 {
            for (key, folder) in [("outbox", Some(&x12.outbox)), ("inbox", x12.inbox.as_ref())] {
                let Some(folder) = folder else { continue };
                if climbs_out(&folder.value) {
                    problem(
                        (folder.line, folder.column),
                        format!("the {role} x12 {key} `{}` climbs out of this target file's folder", folder.value),
                        LEAVES_FOLDER,
                    );
                    continue;
                }
                let path = base_dir.join(&folder.value);
                if !path.is_dir() {
                    let why = if path.exists() { "is a file" } else { "does not exist" };
                    problem(
                        (folder.line, folder.column),
                        format!("the {role} x12 {key} `{}` is not a folder ({} {why})", folder.value, path.display()),
                        "create the folder, or give its path relative to this target file's folder",
                    );
                }
            }
        }
    }
    problems
}

const LEAVES_FOLDER: &str = "a relative path is read from this target file's folder and cannot leave it with `..`, \
     so a target file passed around cannot reach files beside it; move the file into the folder, write its absolute \
     path, or, for a secret, use `env:`";

/// Whether a relative path climbs above the folder it is read from (`../keys/a.pem`, `keys/../../a.pem`). An
/// absolute path is a deliberate choice of a file elsewhere, there for anyone reading the target file to see.
fn climbs_out(path: &str) -> bool {
    let mut depth = 0usize;
    for component in Path::new(path).components() {
        match component {
            std::path::Component::ParentDir => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return true,
            },
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::CurDir => {}
            std::path::Component::RootDir | std::path::Component::Prefix(_) => return false,
        }
    }
    false
}

/// `host:port`, with a port from 1 to 65535; a bracketed IPv6 address is a host too.
fn is_host_port(text: &str) -> bool {
    match text.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty() && !host.contains(char::is_whitespace) && port.parse::<u16>().is_ok_and(|p| p > 0)
        }
        None => false,
    }
}

/// A fault that is misspelled, out of range or aimed where no request goes; each would silently never fire.
fn check_fault(fault: &Located<Fault>, sim: &Simulator) -> Vec<Problem> {
    let mut problems = Vec::new();
    let name = fault.name();
    let mut problem = |message: String, hint: String| problems.push((fault.line, fault.column, message, hint));
    let firing = fault.firing();
    let never = |why: String| format!("fault `{name}` can never fire: {why}");
    let ways = [firing.rate.is_some(), firing.nth.is_some(), firing.times.is_some()].iter().filter(|w| **w).count();
    if ways > 1 {
        problem(
            format!("fault `{name}` says how often it fires in more than one way"),
            "keep one of `rate` (a share of requests), `nth` (one request) and `times` (the first few)".into(),
        );
    }
    match firing.rate {
        Some(rate) if !(0.0..=1.0).contains(&rate) => problem(
            format!("fault `{name}` has rate {rate}; a rate is a chance from 0 to 1"),
            "write 0.05 for 5% of requests".into(),
        ),
        Some(0.0) => problem(never("its rate is 0".into()), "raise `rate` above 0, or remove the fault".into()),
        _ => {}
    }
    if firing.nth == Some(0) {
        problem(
            format!("fault `{name}` has nth 0, but requests count from 1"),
            "use `nth: 1` for the first matching request".into(),
        );
    }
    if firing.times == Some(0) {
        problem(never("`times` is 0".into()), "use `times: 1` or more, or remove the fault".into());
    }
    let on = &firing.on;
    if !fault.is_http() {
        if sim.topology == Topology::Shared {
            problem(
                never("HL7 messages cross an interface, and a `shared` simulator has none".into()),
                "remove it, or use `topology: interfaced`".into(),
            );
        }
        if on.method.is_some() || on.path.is_some() || on.operation.is_some() {
            problem(
                never("HL7 messages have no HTTP method, path or operation to match".into()),
                "match HL7 messages with `resource` only (Patient for ADT, Appointment for SIU, ChargeItem for DFT)"
                    .into(),
            );
        }
    }
    let served: Vec<&str> = RESOURCES.iter().copied().chain(["Bundle"]).collect();
    if let Some(resource) = &on.resource
        && !served.contains(&resource.as_str())
    {
        problem(never(format!("the simulators serve no `{resource}`")), closest(resource, &served));
    }
    if let Some(operation) = &on.operation {
        let bare = operation.trim_start_matches('$');
        if !OPERATIONS.contains(&bare) {
            problem(never(format!("the simulators have no operation `{operation}`")), closest(bare, &OPERATIONS));
        }
    }
    if let Some(path) = &on.path {
        if !path.starts_with('/') {
            problem(
                format!("fault `{name}` has path `{path}`, which does not start with `/`"),
                "write the start of the request path, such as `/Patient/`".into(),
            );
        } else if path.starts_with("/metadata") || path.starts_with("/$faults") {
            problem(
                never(format!("`{path}` is discovery or the fault tally, which are never faulted")),
                "aim it at a FHIR resource path, such as `/Patient/`".into(),
            );
        } else if let Some(resource) = &on.resource
            && !path_reaches(path, resource)
        {
            problem(
                never(format!("no request for `{resource}` has a path starting `{path}`")),
                format!("drop `path`, or start it with `/{resource}`"),
            );
        }
    }
    problems
}

/// Whether a request about `resource` can have a path starting with `prefix`.
fn path_reaches(prefix: &str, resource: &str) -> bool {
    let rest = prefix.trim_start_matches('/');
    if resource == "Bundle" {
        return rest.is_empty();
    }
    match rest.split_once('/') {
        Some((first, _)) => first == resource,
        None => resource.starts_with(rest),
    }
}

fn closest(word: &str, choices: &[&str]) -> String {
    let best = choices.iter().map(|c| (strsim::jaro_winkler(word, c), *c)).max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((score, choice)) if score > 0.8 => format!("did you mean `{choice}`?"),
        _ => format!("expected one of: {}", choices.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_a_target_names_cannot_climb_out_of_its_folder() {
        let yaml = "name: shared-with-me\nsystems:\n  emr:\n    fhir:\n      base_url: https://emr.example/fhir\n      \
                    auth: { bearer: { file: ../../.aws/credentials } }\n      ca_file: certs/../../ca.pem\n  pm:\n    \
                    x12: { outbox: ../exports }\n";
        let error = parse_target("targets/shared-with-me.yaml", yaml).unwrap_err();
        let headlines = error.headlines();
        assert!(
            headlines.contains(&"targets/shared-with-me.yaml:5:7: the emr secret `file` `../../.aws/credentials` climbs out of this target file's folder".to_string()),
            "{headlines:#?}"
        );
        assert!(
            headlines
                .iter()
                .any(|h| h.ends_with("the emr `ca_file` `certs/../../ca.pem` climbs out of this target file's folder")),
            "{headlines:#?}"
        );
        assert!(
            headlines
                .iter()
                .any(|h| h.ends_with("the pm x12 outbox `../exports` climbs out of this target file's folder")),
            "{headlines:#?}"
        );
    }

    #[test]
    fn a_base_url_with_credentials_in_it_is_refused_without_quoting_them() {
        let yaml = "name: inline\nsystems:\n  emr:\n    fhir:\n      base_url: https://svc:hunter2@emr.example/fhir\n  pm:\n    fhir: { base_url: \"http://pm.example/fhir?a=b@c\" }\n";
        let error = parse_target("targets/inline.yaml", yaml).unwrap_err();
        let headlines = error.headlines();
        assert_eq!(
            headlines,
            [
                "targets/inline.yaml:5:7: the emr base_url carries a user name or password before its host (not shown here)"
            ],
        );
        // Nor in the lines the error shows, as `handoff validate` prints it.
        let shown = crate::cli::render_input_error(&error);
        assert!(shown.contains("base_url: https://***********@emr.example/fhir"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_path_that_stays_below_the_folder_or_is_absolute_may_be_named() {
        assert!(!climbs_out("keys/handoff-ci.pem"));
        assert!(!climbs_out("./keys/../keys/handoff-ci.pem"));
        assert!(!climbs_out("/run/secrets/handoff-ci.pem"));
        assert!(climbs_out(".."));
        assert!(climbs_out("keys/../../handoff-ci.pem"));
    }
}
