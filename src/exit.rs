//! The exit codes `handoff` promises (README: exit codes).

/// Every expectation held.
pub const SUCCESS: u8 = 0;
/// An expectation failed: a sync gap, a handoff error, a system error on a step.
pub const FAILED: u8 = 1;
/// Bad usage or input: a file that does not parse or check, with the line and column.
pub const BAD_INPUT: u8 = 2;
/// A system could not be reached (or a simulator could not be started).
pub const UNREACHABLE: u8 = 3;
/// The run was stopped before it finished (its `--deadline` passed, or SIGINT or SIGTERM); the report of what
/// finished is still written, marked incomplete.
pub const INCOMPLETE: u8 = 4;
