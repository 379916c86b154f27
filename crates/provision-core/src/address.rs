//! Resource addresses: `<region>/<kind>/<name>`, stable across runs.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The pseudo-region of global resources (IAM, Route53, CloudFront).
pub const GLOBAL: &str = "global";

/// `<region>/<kind>/<name>`, e.g. `us-east-1/ec2.vpc/main` or `global/route53.record/api-eu`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    region: String,
    kind: String,
    name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid resource address `{input}`: {reason} (expected `<region>/<kind>/<name>`, e.g. `us-east-1/ec2.vpc/main`)")]
pub struct AddressError {
    pub input: String,
    pub reason: &'static str,
}

impl Address {
    pub fn new(
        region: impl Into<String>,
        kind: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            region: region.into(),
            kind: kind.into(),
            name: name.into(),
        }
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_global(&self) -> bool {
        self.region == GLOBAL
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.region, self.kind, self.name)
    }
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| AddressError {
            input: s.to_string(),
            reason,
        };
        let mut parts = s.splitn(3, '/');
        let region = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or(err("empty region"))?;
        let kind = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or(err("missing kind"))?;
        let name = parts
            .next()
            .filter(|p| !p.is_empty())
            .ok_or(err("missing name"))?;
        if !kind.contains('.') {
            return Err(err("kind must be `<service>.<type>`"));
        }
        if name.contains('#') {
            return Err(err("name must not contain `#`"));
        }
        Ok(Address::new(region, kind, name))
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let a: Address = "us-east-1/ec2.vpc/main".parse().unwrap();
        assert_eq!(a.region(), "us-east-1");
        assert_eq!(a.kind(), "ec2.vpc");
        assert_eq!(a.name(), "main");
        assert_eq!(a.to_string(), "us-east-1/ec2.vpc/main");
        let b: Address = "global/route53.record/api-eu/x".parse().unwrap();
        assert_eq!(b.name(), "api-eu/x");
    }

    #[test]
    fn rejects_malformed() {
        assert!("us-east-1/ec2.vpc".parse::<Address>().is_err());
        assert!("us-east-1/vpc/main".parse::<Address>().is_err());
        assert!("/ec2.vpc/main".parse::<Address>().is_err());
    }
}
