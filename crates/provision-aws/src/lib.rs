//! Shared AWS SDK plumbing for the service crates: one `SdkConfig` per region from the standard
//! credential chain (so `AWS_PROFILE`, `AWS_ENDPOINT_URL` and friends simply work), the retry
//! policy, and the classification of SDK errors into the engine's [`ErrorClass`]es.

mod config;
mod error;
pub mod props;
pub mod tags;

pub use config::AwsConfigs;
pub use error::{classify, classify_code};

pub use aws_config::SdkConfig;
