//! The command line: `run`, `validate`, `schema`, `mock serve`, `rules`, `scrub`, `generate` and `reconcile`, each in its own module.

/// Prints a line to stdout; a reader that has gone away (`handoff run | head`) is not an error worth a panic.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod files;
mod generate;
mod mock;
mod partition;
mod progress;
mod reconcile;
mod rules;
mod run;
mod schema;
mod scrub;
mod sources;
mod validate;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use files::render_input_error;

#[derive(Debug, Parser)]
#[command(
    name = "handoff",
    version,
    about = "Tests whether an EMR and a practice-management system really work together."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log what the harness does to stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios against targets and score them side by side.
    Run(RunArgs),
    /// Run scenarios against several vendor setups and rank them, answering the buying guide's questions.
    Compare(RunArgs),
    /// Parse and check scenario and target files, or X12 837P batches, without running anything.
    Validate {
        /// Scenario or target files (YAML), or X12 837P (005010X222A1) batches; a folder is every such file in it.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of a file format.
    Schema {
        /// Which format; all of them when omitted.
        which: Option<SchemaKind>,
    },
    /// Run a vendor simulator on its own.
    #[command(subcommand)]
    Mock(MockCommand),
    /// The CMS NCCI and MUE tables claims are checked against.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Check 837P claim batches against CMS rules, without calling any system.
    Scrub {
        /// X12 837P (005010X222A1) files; a folder is every .837, .x12, .edi and .txt file in it.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The rules store [default: $XDG_DATA_HOME/handoff/rules].
        #[arg(long, env = "HANDOFF_RULES")]
        store: Option<PathBuf>,
    },
    /// Write paired EMR and PM patient exports with planted discrepancies, and the ground truth listing each one.
    Generate(generate::GenerateArgs),
    /// Reconcile an EMR's patient exports against a PM's, offline: match, compare, score, report.
    Reconcile(reconcile::ReconcileArgs),
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Load official CMS quarterly files: NCCI practitioner PTP edits (.txt) and practitioner MUEs (.csv).
    Import {
        /// The files as CMS ships them once unzipped: PTP edits as tab-delimited .txt, MUEs as .csv.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The rules store [default: $XDG_DATA_HOME/handoff/rules].
        #[arg(long, env = "HANDOFF_RULES")]
        store: Option<PathBuf>,
    },
    /// Say which versions of the tables are loaded.
    Status {
        #[arg(long, env = "HANDOFF_RULES")]
        store: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Scenario files or folders [default: ./scenarios].
    pub scenarios: Vec<PathBuf>,
    /// Target files or folders: simulator profiles or real systems [default: ./mocks].
    #[arg(long = "target", short = 't')]
    pub targets: Vec<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
    /// Where to write the reports [default: reports/<run-id>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run each scenario once per generated patient, with a generated visit, instead of its own patient.
    #[arg(long, value_name = "N", value_parser = some_patients)]
    pub patients: Option<u64>,
    /// The seed for generated patients: the same seed gives the same patients.
    #[arg(long, default_value_t = 1, requires = "patients")]
    pub seed: u64,
    /// How many flows run at once against each target.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub jobs: u64,
    /// Run only shard k of n (1-based) of the scenario × patient flows, as CI runners splitting a suite do.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<partition::Partition>,
    /// Show patient names, birth dates, addresses, phones and member ids in reports about real systems.
    #[arg(long)]
    pub show_phi: bool,
    /// The rules store `expect_claim: { scrub: cms }` checks against [default: $XDG_DATA_HOME/handoff/rules].
    #[arg(long, env = "HANDOFF_RULES")]
    pub rules: Option<PathBuf>,
    /// Compare with a baseline saved earlier: exit 1 only if something got worse (improvements are listed).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Save this run's findings and scores, volatile values scrubbed, as a baseline for later runs.
    #[arg(long, value_name = "FILE")]
    pub save_baseline: Option<PathBuf>,
    /// Stop the run after this long (`90s`, `10m`, `2h`, or `none`): flows still running stop where they are,
    /// and the report of what finished is written, marked incomplete (exit 4).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = Deadline::parse)]
    pub deadline: Deadline,
}

/// How long a whole run may take, as the user wrote it, so the report can say which deadline passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline(pub Option<(std::time::Duration, String)>);

impl Deadline {
    fn parse(text: &str) -> Result<Deadline, String> {
        if text.trim() == "none" {
            return Ok(Deadline(None));
        }
        let within: crate::scenario::Within = text.parse()?;
        if within.0.is_zero() {
            return Err("a deadline of 0 would stop the run before it starts; give a duration, or `none`".into());
        }
        Ok(Deadline(Some((within.0, text.trim().to_string()))))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// What `handoff run` and `handoff compare` print: the scorecard, the JSON report (the comparison, for compare),
/// the Markdown summary, or the HTML page (to redirect to a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    Table,
    Json,
    Markdown,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    Scenario,
    Target,
    Report,
    /// What `handoff compare --format json` prints and writes as compare.json.
    Comparison,
    /// The column map `handoff reconcile --map` reads.
    Map,
}

#[derive(Debug, Subcommand)]
pub enum MockCommand {
    /// Serve a simulator profile on 127.0.0.1 until Ctrl-C.
    Serve {
        /// A simulator profile, such as mocks/interfaced-pair.yaml.
        profile: PathBuf,
        /// Port for the EMR's FHIR API (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        emr_port: u16,
        /// Port for the PM's FHIR API (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        pm_port: u16,
    },
}

/// Runs a command and returns the process exit code.
pub fn dispatch(cli: Cli) -> u8 {
    init_logging(cli.verbose);
    match cli.command {
        Command::Run(args) => run::run(args, run::View::Scorecard),
        Command::Compare(args) => run::run(args, run::View::Comparison),
        Command::Validate { files } => validate::validate(&files),
        Command::Schema { which } => schema::print(which),
        Command::Mock(MockCommand::Serve { profile, emr_port, pm_port }) => mock::serve(&profile, emr_port, pm_port),
        Command::Rules(RulesCommand::Import { files, store }) => rules::import(&files, store.as_deref()),
        Command::Rules(RulesCommand::Status { store }) => rules::status(store.as_deref()),
        Command::Scrub { files, format, store } => scrub::scrub(&files, format, store.as_deref()),
        Command::Generate(args) => generate::generate(&args),
        Command::Reconcile(args) => reconcile::reconcile(&args),
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HANDOFF_LOG").unwrap_or_else(|_| default.into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}

/// `--patients N`: a whole number of at least one, since a run of no patients would run nothing and pass.
fn some_patients(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("a run of no patients runs nothing; give at least 1, or leave --patients out to run each \
                      scenario's own patient"
            .into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of patients; write a whole number such as 200")),
    }
}
