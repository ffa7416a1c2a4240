//! Errors of the AWS providers: what was being done, to which member, ENI, IP or record, and the
//! service's error code and message (never the SDK's bare "service error").

/// A failed AWS operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// A call failed.
    #[error("{operation} failed for {subject}: {code}: {message}")]
    Call {
        /// The API operation.
        operation: &'static str,
        /// What it was about, e.g. `ENI eni-0abc, IP 10.0.16.7`.
        subject: String,
        /// The AWS error code, when known.
        code: String,
        /// The AWS error message.
        message: String,
    },
    /// A response lacked something it must have.
    #[error("{operation} returned no {what}")]
    Missing {
        /// The API operation.
        operation: &'static str,
        /// What was missing.
        what: &'static str,
    },
    /// A move was accepted but the target ENI does not have the address when read again.
    #[error("moving {ip} of member {member} from {from} to {to}: {to} does not have it afterwards")]
    NotMoved {
        /// The member.
        member: String,
        /// The address.
        ip: std::net::Ipv4Addr,
        /// The ENI it was on.
        from: String,
        /// The ENI it was moved to.
        to: String,
    },
    /// A new interface could not be attached and could not be deleted either.
    #[error(
        "interface {eni} of node {node} could not be attached ({attach}) nor deleted ({delete}); it carries firecamp's owner tag, so a later pass deletes it"
    )]
    LeftBehind {
        /// The interface.
        eni: String,
        /// The node it was made for.
        node: String,
        /// Why the attach failed.
        attach: String,
        /// Why the delete failed.
        delete: String,
    },
    /// An interface without firecamp's owner tag was to be deleted: refused.
    #[error("interface {0} does not carry firecamp's owner tag: it is not deleted")]
    NotOwned(String),
    /// An interface to be deleted still holds secondary addresses (deleting it would release
    /// them): refused.
    #[error("interface {id} still holds {} and is not deleted", ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    StillHolds {
        /// The interface.
        id: String,
        /// The addresses on it.
        ips: Vec<std::net::Ipv4Addr>,
    },
    /// No static-IP interface of this owner is attached to the instance.
    #[error("instance {0} has no static-IP interface of firecamp's attached")]
    NoInterface(String),
    /// An interface was still attached after its detach.
    #[error("interface {0} is still attached after DetachNetworkInterface")]
    StillAttached(String),
    /// Record changes that still failed after splitting the batch by name.
    #[error("{} record name(s) could not be changed: {}", .0.len(), .0.iter().map(|(n, e)| format!("{n} ({e})")).collect::<Vec<_>>().join(", "))]
    Records(Vec<(String, String)>),
}

impl AwsError {
    /// An error from an SDK error, with its code and message.
    pub fn call<E>(
        operation: &'static str,
        subject: impl Into<String>,
        error: &aws_sdk_ec2::error::SdkError<E>,
    ) -> Self
    where
        E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        use aws_sdk_ec2::error::ProvideErrorMetadata as _;
        let code = error.code().unwrap_or("unknown").to_owned();
        let message = error.message().map_or_else(
            || aws_sdk_ec2::error::DisplayErrorContext(error).to_string(),
            str::to_owned,
        );
        Self::Call {
            operation,
            subject: subject.into(),
            code,
            message,
        }
    }

    /// True when EC2 refused to assign an address because something else has it: an interface
    /// firecamp cannot see (another account's, in a shared VPC) or one that took it after the read.
    /// EC2 answers `InvalidIPAddress.InUse` ("The specified IP address is already in use", the EC2
    /// API's error codes) or `InvalidParameterValue` naming the address in use.
    #[must_use]
    pub fn refuses_address(&self) -> bool {
        match self {
            Self::Call { code, message, .. } => {
                let message = message.to_ascii_lowercase();
                code == "InvalidIPAddress.InUse"
                    || (code == "InvalidParameterValue"
                        && (message.contains("in use") || message.contains("already assigned")))
            }
            _ => false,
        }
    }

    /// The AWS error code, when this is a failed call.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Call { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AwsError;

    fn call(code: &str, message: &str) -> AwsError {
        AwsError::Call {
            operation: "AssignPrivateIpAddresses",
            subject: "member m, ENI eni-1, IP 10.0.16.6".to_owned(),
            code: code.to_owned(),
            message: message.to_owned(),
        }
    }

    #[test]
    fn only_an_address_in_use_is_a_refusal_of_the_address() {
        assert!(call("InvalidIPAddress.InUse", "Address 10.0.16.6 is in use.").refuses_address());
        assert!(call("InvalidParameterValue", "Address 10.0.16.6 is in use.").refuses_address());
        for (code, message) in [
            ("InvalidParameterValue", "Invalid value 'x' for ipAddress"),
            (
                "PrivateIpAddressLimitExceeded",
                "Number of private addresses will exceed limit.",
            ),
            (
                "InvalidNetworkInterfaceID.NotFound",
                "The networkInterface ID 'eni-1' does not exist",
            ),
            ("RequestLimitExceeded", "Request limit exceeded."),
            (
                "UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            ),
        ] {
            assert!(!call(code, message).refuses_address(), "{code}");
        }
    }
}
