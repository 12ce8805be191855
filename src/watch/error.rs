//! Why an event was not applied. None is fatal: the state stays as it was before the event.

use std::net::IpAddr;

use super::stream::EventPosition;
use crate::compile::CompileError;
use crate::k8s::LoadError;

/// An event that was skipped, and why. The cluster state and the decision in force are those of
/// before the event.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The envelope is not a watch event (not JSON, no `type`, no `object`, cut short).
    #[error("{position}: {message}")]
    Malformed {
        /// Where.
        position: EventPosition,
        /// What is wrong.
        message: String,
    },
    /// The object is invalid: exactly the loader's error for the same object in a file, the
    /// event's position standing for the file name.
    #[error(transparent)]
    Invalid(#[from] LoadError),
    /// A pod claims an IP another pod holds (files fail the same way, see
    /// [`LoadError::DuplicateIp`]).
    #[error("{position}: Pod {pod}: `{ip}` is also the IP of Pod `{other}`")]
    DuplicateIp {
        /// Where.
        position: EventPosition,
        /// The event's pod, `namespace/name`.
        pod: String,
        /// The address.
        ip: IpAddr,
        /// The pod holding it, `namespace/name`.
        other: String,
    },
    /// An `ERROR` event: the watch broke (its `Status` message); list again and restart.
    #[error("{position}: the watch reported an error: {message}")]
    Watch {
        /// Where.
        position: EventPosition,
        /// The `Status` object's `code`, `reason` and `message`, as far as given.
        message: String,
    },
    /// The new state exceeds a compile limit.
    #[error("{position}: {error}")]
    Compile {
        /// Where.
        position: EventPosition,
        /// The limit exceeded.
        #[source]
        error: CompileError,
    },
}
