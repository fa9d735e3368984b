//! Organization discovery: the stage between the config and the plan.
//! Each `[[organizations]]` table yields its members (listed completely
//! with the management account's keys, or the organization is an error),
//! the members pass the selectors and become accounts, merged with the
//! configured ones by UIN ([`merge`]).

pub mod merge;
