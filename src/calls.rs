//! The API calls the runner makes, as data: one row per call, naming the
//! `tcapi` action it makes (service, version, name, per region or
//! account-wide), the body it sends, how its answer becomes an [`Answer`]
//! and the rate it is paced at.
//!
//! A query carries its [`Call`]; the plan asks a per-region call in every
//! region and an account-wide one once, the executor makes every call the
//! same way from its row, and pacing gives each call its own limiter per
//! account. So a new call is a variant of [`Call`] (and its place in
//! [`Call::ALL`]), its row in [`Call::spec`], and its variant of [`Answer`]
//! (with its `From` and its text fields); to be asked, its word in
//! [`Call::collects`] (`[defaults] collect`, `--collect`), which
//! [`crate::plan`] plans. Nothing in the plan's order, the executor,
//! pacing or `sanitize` changes.

use serde::de::DeserializeOwned;
use tcapi::client::Decoder;
use tcapi::tcss::{
    self, AutoAuthorizeRange, ImageAuthorizedInfo, ImageAutoAuthorizedRule, PurchaseStateInfo,
};
use tcapi::{Action, Descriptor, Scope};

/// A call a query makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    /// `DescribeImageAuthorizedInfo`: image licenses and the scan quota, in
    /// every configured region.
    ImageAuthorizedInfo,
    /// `DescribePurchaseStateInfo`: the edition and the core licenses,
    /// once per account.
    PurchaseStateInfo,
    /// `DescribeImageAutoAuthorizedRule`: the automatic image
    /// authorization rule, once per account.
    ImageAutoAuthorizedRule,
}

impl Call {
    /// Every call, in the order of the variants (`call as usize` indexes it).
    pub const ALL: [Call; 3] = [
        Call::ImageAuthorizedInfo,
        Call::PurchaseStateInfo,
        Call::ImageAutoAuthorizedRule,
    ];

    /// The call's row.
    pub fn spec(self) -> &'static CallSpec {
        static IMAGE_AUTHORIZED_INFO: CallSpec =
            CallSpec::new(&tcss::DESCRIBE_IMAGE_AUTHORIZED_INFO, Rate::Configured);
        // The documented limit of each: 20 per second per account.
        static PURCHASE_STATE_INFO: CallSpec =
            CallSpec::new(&tcss::DESCRIBE_PURCHASE_STATE_INFO, Rate::PerSecond(20));
        static IMAGE_AUTO_AUTHORIZED_RULE: CallSpec = CallSpec::new(
            &tcss::DESCRIBE_IMAGE_AUTO_AUTHORIZED_RULE,
            Rate::PerSecond(20),
        );
        match self {
            Call::ImageAuthorizedInfo => &IMAGE_AUTHORIZED_INFO,
            Call::PurchaseStateInfo => &PURCHASE_STATE_INFO,
            Call::ImageAutoAuthorizedRule => &IMAGE_AUTO_AUTHORIZED_RULE,
        }
    }

    /// The API action's name (`DescribeImageAuthorizedInfo`).
    pub fn name(self) -> &'static str {
        self.spec().action.name
    }

    /// Asked in every region, or once per account.
    pub fn scope(self) -> Scope {
        self.spec().action.scope
    }

    /// Its position in [`Call::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// What it collects, as `[defaults] collect` and `--collect` name it
    /// (`images`, `edition`, `auto_authorize`).
    pub fn collects(self) -> &'static str {
        match self {
            Call::ImageAuthorizedInfo => "images",
            Call::PurchaseStateInfo => "edition",
            Call::ImageAutoAuthorizedRule => "auto_authorize",
        }
    }

    /// The call collecting `word` ([`Call::collects`]).
    pub fn collecting(word: &str) -> Option<Call> {
        Call::ALL.into_iter().find(|c| c.collects() == word)
    }
}

/// How fast one account's calls of an action may leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// The run's `rate_limit` (`DescribeImageAuthorizedInfo`, 20 per second
    /// unless configured).
    Configured,
    /// A documented limit, requests per second.
    PerSecond(u32),
}

/// One call's row.
#[derive(Debug)]
pub struct CallSpec {
    /// The action: where the request goes and what its answer covers.
    pub action: &'static Descriptor,
    /// The JSON body (`{}`: no parameters).
    pub body: &'static [u8],
    /// Reads the answer into an [`Answer`].
    pub decode: Decoder<Answer>,
    /// The pace per account.
    pub rate: Rate,
}

impl CallSpec {
    /// The row of `action`, sent without parameters, paced at `rate`.
    const fn new<A: DeserializeOwned>(action: &'static Action<A>, rate: Rate) -> CallSpec
    where
        Answer: From<A>,
    {
        CallSpec {
            action: action.descriptor(),
            body: b"{}",
            decode: action.decoder::<Answer>(),
            rate,
        }
    }
}

/// What a call answered: one variant per call, its `tcapi` answer type.
///
/// Each answer is boxed: a run holds every outcome until it aggregates
/// them, and unboxed every outcome would be the size of the largest answer
/// (an account-wide query's small answer included); boxed, aggregation
/// frees each answer as soon as its row is built (`aggregate`), which
/// keeps the run's peak of memory down.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// `DescribeImageAuthorizedInfo`.
    ImageAuthorizedInfo(Box<ImageAuthorizedInfo>),
    /// `DescribePurchaseStateInfo`.
    PurchaseStateInfo(Box<PurchaseStateInfo>),
    /// `DescribeImageAutoAuthorizedRule`.
    ImageAutoAuthorizedRule(Box<ImageAutoAuthorizedRule>),
}

impl From<ImageAuthorizedInfo> for Answer {
    fn from(a: ImageAuthorizedInfo) -> Answer {
        Answer::ImageAuthorizedInfo(Box::new(a))
    }
}

impl From<PurchaseStateInfo> for Answer {
    fn from(a: PurchaseStateInfo) -> Answer {
        Answer::PurchaseStateInfo(Box::new(a))
    }
}

impl From<ImageAutoAuthorizedRule> for Answer {
    fn from(a: ImageAutoAuthorizedRule) -> Answer {
        Answer::ImageAutoAuthorizedRule(Box::new(a))
    }
}

impl Answer {
    /// The `DescribeImageAuthorizedInfo` answer, if this is one.
    pub fn image_authorized_info(&self) -> Option<&ImageAuthorizedInfo> {
        match self {
            Answer::ImageAuthorizedInfo(a) => Some(&**a),
            _ => None,
        }
    }

    /// The `DescribePurchaseStateInfo` answer, if this is one.
    pub fn purchase_state_info(&self) -> Option<&PurchaseStateInfo> {
        match self {
            Answer::PurchaseStateInfo(a) => Some(&**a),
            _ => None,
        }
    }

    /// The `DescribeImageAutoAuthorizedRule` answer, if this is one.
    pub fn image_auto_authorized_rule(&self) -> Option<&ImageAutoAuthorizedRule> {
        match self {
            Answer::ImageAutoAuthorizedRule(a) => Some(&**a),
            _ => None,
        }
    }

    /// The `DescribeImageAuthorizedInfo` answer, taken out of the answer,
    /// if this is one.
    pub fn into_image_authorized_info(self) -> Option<Box<ImageAuthorizedInfo>> {
        match self {
            Answer::ImageAuthorizedInfo(a) => Some(a),
            _ => None,
        }
    }

    /// Calls `f` on every text the server chose (not numbers), so that it
    /// can be cleaned and redacted before the answer is kept.
    pub fn for_each_text(&mut self, mut f: impl FnMut(&mut String)) {
        match self {
            Answer::ImageAuthorizedInfo(a) => {
                if let Some(q) = a.image_scan_inquire_info.as_mut() {
                    for text in [
                        &mut q.inquire_key,
                        &mut q.start_time,
                        &mut q.end_time,
                        &mut q.purchase_status,
                        &mut q.resource_id,
                    ]
                    .into_iter()
                    .flatten()
                    {
                        f(text);
                    }
                }
            }
            Answer::PurchaseStateInfo(a) => {
                for text in [&mut a.expiration_time, &mut a.begin_time, &mut a.sub_state]
                    .into_iter()
                    .flatten()
                {
                    f(text);
                }
            }
            Answer::ImageAutoAuthorizedRule(a) => {
                if let Some(AutoAuthorizeRange::Other(text)) = a.range_type.as_mut() {
                    f(text);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Call::ALL` lists every call once, in the order of the variants, so
    /// `index` can number per-call tables (pacing's limiters).
    #[test]
    fn all_lists_every_call_in_variant_order() {
        for (i, call) in Call::ALL.into_iter().enumerate() {
            assert_eq!(call.index(), i);
            assert_eq!(call.spec().body, b"{}");
        }
        assert_eq!(
            Call::ImageAuthorizedInfo.name(),
            "DescribeImageAuthorizedInfo"
        );
        assert_eq!(Call::ImageAuthorizedInfo.scope(), Scope::PerRegion);
        assert_eq!(Call::PurchaseStateInfo.name(), "DescribePurchaseStateInfo");
        assert_eq!(Call::ImageAutoAuthorizedRule.scope(), Scope::AccountWide);
    }

    /// Every text the server chose is offered for cleaning, in every answer.
    #[test]
    fn every_server_text_is_offered_for_cleaning() {
        let mut p: Answer = PurchaseStateInfo {
            expiration_time: Some("e".into()),
            begin_time: Some("b".into()),
            sub_state: Some("s".into()),
            ..PurchaseStateInfo::default()
        }
        .into();
        let mut r: Answer = ImageAutoAuthorizedRule {
            range_type: Some(AutoAuthorizeRange::Other("r".into())),
            ..ImageAutoAuthorizedRule::default()
        }
        .into();
        let mut seen = Vec::new();
        for answer in [&mut p, &mut r] {
            answer.for_each_text(|t| {
                seen.push(t.clone());
                t.push('!');
            });
        }
        assert_eq!(seen, ["e", "b", "s", "r"]);
        let Answer::PurchaseStateInfo(p) = p else {
            unreachable!()
        };
        assert_eq!(p.sub_state.as_deref(), Some("s!"));
    }
}
