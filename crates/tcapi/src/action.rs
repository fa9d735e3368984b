//! Actions as data: an API action is a [`Descriptor`] (service, version,
//! name, and whether its answer is per region or account-wide), and an
//! [`Action<A>`] is a descriptor with its typed answer `A`.
//!
//! Every typed call of this crate ([`crate::tcss`], and with `client`
//! `sts` and `organization`) is one `const` [`Action`] and goes through
//! [`Action::call`]; a caller that makes many different actions through one
//! code path (a runner's executor) keeps descriptors as data and reads every
//! answer into an enum of its own with [`Action::decoder`] and
//! `Client::call_decoded`, with no `match` on the action. The descriptors
//! are always built (the simulator routes on them); the calls need the
//! `client` feature.
//!
//! Adding an action: its answer type (every field optional), one `const`
//! [`Action`] naming it, and, when it belongs to a service's list (such as
//! [`crate::tcss::ACTIONS`]), an entry there.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

#[cfg(feature = "client")]
use serde::de::DeserializeOwned;

#[cfg(feature = "client")]
use crate::client::{Answer, ApiRequest, Client, Decoder, Endpoint, Failure, Pacer};
#[cfg(feature = "client")]
use crate::credentials::Credentials;

/// What an answer depends on besides the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A different answer in every region: asked once per region
    /// (`X-TC-Region` required).
    PerRegion,
    /// The same answer in every region: asked once per account
    /// (`X-TC-Region` optional).
    AccountWide,
}

/// One API action: where it is sent and what its answer covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Descriptor {
    /// The service (`tcss`, `sts`): the credential scope's service.
    pub service: &'static str,
    /// The API version, `X-TC-Version`.
    pub version: &'static str,
    /// The action's name, `X-TC-Action`.
    pub name: &'static str,
    /// Per region or account-wide.
    pub scope: Scope,
}

/// An action whose answer (the `Response` object's fields) reads as `A`.
/// Dereferences to its [`Descriptor`].
pub struct Action<A> {
    descriptor: Descriptor,
    answer: PhantomData<fn() -> A>,
}

impl<A> Action<A> {
    /// The action `descriptor`, answered with `A`.
    pub const fn new(descriptor: Descriptor) -> Action<A> {
        Action {
            descriptor,
            answer: PhantomData,
        }
    }

    /// The untyped descriptor.
    pub const fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }
}

impl<A> Deref for Action<A> {
    type Target = Descriptor;

    fn deref(&self) -> &Descriptor {
        &self.descriptor
    }
}

impl<A> fmt::Debug for Action<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Action")
            .field("descriptor", &self.descriptor)
            .field("answer", &std::any::type_name::<A>())
            .finish()
    }
}

impl<A> Clone for Action<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A> Copy for Action<A> {}

#[cfg(feature = "client")]
impl<A: DeserializeOwned> Action<A> {
    /// Reads this action's answer as `A`, then as the caller's `U` (an enum
    /// of the answers it handles): a [`Decoder`] for
    /// [`Client::call_decoded`](crate::Client::call_decoded). A plain
    /// function pointer, so a table of calls holds one per action with no
    /// allocation and no generic parameter.
    pub const fn decoder<U: From<A>>(&self) -> Decoder<U> {
        decode_into::<A, U>
    }

    /// The typed call: this action in `region` (`None`: no `X-TC-Region`)
    /// with the JSON `body`, retried as [`Client::call`] does.
    pub async fn call<P: Pacer>(
        &self,
        client: &Client,
        endpoint: &Endpoint,
        region: Option<&str>,
        body: &[u8],
        creds: &Credentials,
        pacer: &P,
    ) -> Result<Answer<A>, Failure> {
        let request = ApiRequest::new(endpoint, self.descriptor(), region, body);
        client.call(&request, creds, pacer).await
    }
}

#[cfg(feature = "client")]
fn decode_into<A: DeserializeOwned, U: From<A>>(
    status: u16,
    body: &[u8],
) -> Result<(U, String), crate::Error> {
    crate::client::interpret_response::<A>(status, body).map(|(a, id)| (U::from(a), id))
}

#[cfg(all(test, feature = "client"))]
mod tests {
    use super::*;
    use crate::sts::{CallerIdentity, GET_CALLER_IDENTITY};
    use crate::tcss::{ImageAuthorizedInfo, DESCRIBE_IMAGE_AUTHORIZED_INFO};

    /// A caller's enum of answers, as a runner keeps one.
    #[derive(Debug, PartialEq)]
    #[allow(clippy::large_enum_variant)]
    enum Read {
        Images(ImageAuthorizedInfo),
        Caller(CallerIdentity),
    }

    impl From<ImageAuthorizedInfo> for Read {
        fn from(a: ImageAuthorizedInfo) -> Read {
            Read::Images(a)
        }
    }

    impl From<CallerIdentity> for Read {
        fn from(a: CallerIdentity) -> Read {
            Read::Caller(a)
        }
    }

    /// Two actions in one table of plain function pointers, each reading
    /// its own answer type into the caller's enum.
    #[test]
    fn decoders_read_each_answer_into_the_callers_enum() {
        const TABLE: [(&Descriptor, Decoder<Read>); 2] = [
            (
                DESCRIBE_IMAGE_AUTHORIZED_INFO.descriptor(),
                DESCRIBE_IMAGE_AUTHORIZED_INFO.decoder(),
            ),
            (
                GET_CALLER_IDENTITY.descriptor(),
                GET_CALLER_IDENTITY.decoder(),
            ),
        ];
        let body = br#"{"Response":{"TotalAuthorizedCnt":7,"AccountId":"100","RequestId":"r-1"}}"#;
        let (read, id) = (TABLE[0].1)(200, body).unwrap();
        assert_eq!(id, "r-1");
        assert!(matches!(read, Read::Images(ref a) if a.total_authorized_cnt == Some(7)));
        let (read, _) = (TABLE[1].1)(200, body).unwrap();
        assert!(matches!(read, Read::Caller(ref c) if c.account_id.as_deref() == Some("100")));
        assert_eq!(TABLE[1].0.name, "GetCallerIdentity");
        let error = (TABLE[0].1)(
            200,
            br#"{"Response":{"TotalAuthorizedCnt":"x","RequestId":"r"}}"#,
        )
        .unwrap_err();
        assert_eq!(error.code(), "MalformedResponse");
    }

    #[test]
    fn a_request_is_named_by_its_descriptor() {
        let endpoint = Endpoint::default_for("tcss");
        let r = ApiRequest::new(
            &endpoint,
            &DESCRIBE_IMAGE_AUTHORIZED_INFO,
            Some("ap-guangzhou"),
            b"{}",
        );
        assert_eq!(
            (r.service, r.version, r.action, r.region),
            (
                "tcss",
                "2020-11-01",
                "DescribeImageAuthorizedInfo",
                Some("ap-guangzhou")
            )
        );
        assert_eq!(DESCRIBE_IMAGE_AUTHORIZED_INFO.scope, Scope::PerRegion);
        assert_eq!(GET_CALLER_IDENTITY.scope, Scope::AccountWide);
    }
}
