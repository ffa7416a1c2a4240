//! The static-IP changes a plan asks for: assign, move (one call, verified) and release.

use std::net::Ipv4Addr;

use super::{Ec2Provider, Lookup, PROVIDER};
use crate::error::AwsError;

/// The error code EC2 answers an unassign of an address the ENI does not hold with; it also
/// means other invalid parameters, so the ENI is read again before it is taken as done.
const NOT_ASSIGNED: &str = "InvalidParameterValue";

impl Ec2Provider {
    /// Puts `ip` on `eni` for `member`, never taking it from another ENI
    /// (`AllowReassignment=false`).
    ///
    /// # Errors
    /// A failed call, naming the member, ENI and IP.
    pub async fn assign(&self, member: &str, eni: &str, ip: Ipv4Addr) -> Result<(), AwsError> {
        self.assign_call(member, eni, ip, false).await
    }

    async fn assign_call(
        &self,
        member: &str,
        eni: &str,
        ip: Ipv4Addr,
        allow_reassignment: bool,
    ) -> Result<(), AwsError> {
        self.writes.acquire().await;
        self.counter.count(PROVIDER, "AssignPrivateIpAddresses");
        self.client
            .assign_private_ip_addresses()
            .network_interface_id(eni)
            .private_ip_addresses(ip.to_string())
            .allow_reassignment(allow_reassignment)
            .send()
            .await
            .map_err(|e| {
                with_hint(AwsError::call(
                    "AssignPrivateIpAddresses",
                    format!("member {member}, ENI {eni}, IP {ip}"),
                    &e,
                ))
            })?;
        Ok(())
    }

    /// Takes `ip` off `eni`. An ENI that no longer exists is fine; so is an address the ENI no
    /// longer holds, checked by reading the ENI again (EC2 answers both that and other bad
    /// parameters with the same code).
    ///
    /// # Errors
    /// Any other failure, naming the member, ENI and IP.
    pub async fn unassign(&self, member: &str, eni: &str, ip: Ipv4Addr) -> Result<(), AwsError> {
        self.writes.acquire().await;
        self.counter.count(PROVIDER, "UnassignPrivateIpAddresses");
        let result = self
            .client
            .unassign_private_ip_addresses()
            .network_interface_id(eni)
            .private_ip_addresses(ip.to_string())
            .send()
            .await;
        let Err(error) = result else {
            return Ok(());
        };
        let error = AwsError::call(
            "UnassignPrivateIpAddresses",
            format!("member {member}, ENI {eni}, IP {ip}"),
            &error,
        );
        match error.code() {
            Some("InvalidNetworkInterfaceID.NotFound") => Ok(()),
            Some(NOT_ASSIGNED) if !self.holds(eni, ip).await? => Ok(()),
            _ => Err(error),
        }
    }

    /// Moves `ip` to `to` in one `AssignPrivateIpAddresses` call with `AllowReassignment=true`,
    /// so the address is never free in the subnet for anyone else to take, then reads `to` again
    /// to check EC2 put it there. The plan only asks for moves off ENIs firecamp knows; `from` is
    /// named in errors.
    ///
    /// # Errors
    /// A failed call, or `to` without the address afterwards.
    pub async fn move_ip(
        &self,
        member: &str,
        from: Option<&str>,
        to: &str,
        ip: Ipv4Addr,
    ) -> Result<(), AwsError> {
        self.assign_call(member, to, ip, true).await?;
        if self.holds(to, ip).await? {
            return Ok(());
        }
        Err(AwsError::NotMoved {
            member: member.to_owned(),
            ip,
            from: from.unwrap_or("nowhere").to_owned(),
            to: to.to_owned(),
        })
    }

    /// True when `eni` exists and has `ip` as a secondary address.
    async fn holds(&self, eni: &str, ip: Ipv4Addr) -> Result<bool, AwsError> {
        let ids = [eni.to_owned()];
        match self.describe(Lookup::Ids(&ids)).await {
            Ok(found) => Ok(found.iter().any(|e| e.secondary_ips.contains(&ip))),
            Err(error) if error.code() == Some("InvalidNetworkInterfaceID.NotFound") => Ok(false),
            Err(error) => Err(error),
        }
    }
}

/// What to do about a full interface, added to EC2's message: each instance type takes a fixed
/// number of addresses per interface (`Ipv4AddressesPerInterface` of `DescribeInstanceTypes`).
const FULL_INTERFACE: &str = "the node's firecamp interface holds as many addresses as its instance type allows per interface; the member waits for its address: use a larger instance type, or spread static-IP members over more nodes";

/// `error` with what to do when it says the interface is full.
fn with_hint(mut error: AwsError) -> AwsError {
    if let AwsError::Call { code, message, .. } = &mut error
        && code == "PrivateIpAddressLimitExceeded"
    {
        message.push_str(" (");
        message.push_str(FULL_INTERFACE);
        message.push(')');
    }
    error
}

#[cfg(test)]
mod tests {
    use super::{AwsError, with_hint};

    #[test]
    fn a_full_interface_says_what_to_do() {
        let call = |code: &str| AwsError::Call {
            operation: "AssignPrivateIpAddresses",
            subject: "member m, ENI eni-1, IP 10.0.16.6".to_owned(),
            code: code.to_owned(),
            message: "Number of private addresses will exceed limit.".to_owned(),
        };
        let full = with_hint(call("PrivateIpAddressLimitExceeded")).to_string();
        assert!(full.contains("use a larger instance type"), "{full}");
        let other = with_hint(call("InvalidParameterValue")).to_string();
        assert!(!other.contains("instance type"), "{other}");
    }
}
