//! EVN: the trigger event and when it was recorded, which ADT and DFT messages carry after MSH.

use jiff::Timestamp;

use super::Segment;
use super::values::format_timestamp;

/// EVN-1 (the trigger, kept for older receivers that still read it) and EVN-2 (recorded date/time).
pub fn evn(trigger: &str, recorded_at: Timestamp) -> Segment {
    Segment::new("EVN").with(1, trigger).with(2, format_timestamp(recorded_at))
}
