use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use provision_core::{ErrorClass, ReconcileError};

/// Classify an AWS error code into the engine's error classes.
pub fn classify_code(code: &str) -> ErrorClass {
    let c = code;
    if c.contains("NotFound")
        || c == "NoSuchEntity"
        || c == "NoSuchHostedZone"
        || c == "NoSuchHealthCheck"
        || c == "NoSuchChange"
        || c == "WAFNonexistentItemException"
        || c == "NoSuchDistribution"
        || c == "NoSuchResponseHeadersPolicy"
        || c == "NoSuchResource"
        || c.ends_with(".Malformed") && c.contains("ID")
    {
        return ErrorClass::NotFound;
    }
    if c.contains("AlreadyExists")
        || c.starts_with("Duplicate")
        || c.ends_with(".Duplicate")
        || c.contains("DuplicateItem")
        || c == "ResourceExistsException"
    {
        return ErrorClass::AlreadyExists;
    }
    match c {
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "SlowDown"
        | "PriorRequestNotComplete" => ErrorClass::Throttled,
        "DependencyViolation"
        | "IncorrectState"
        | "IncorrectInstanceState"
        | "InvalidStateTransition"
        | "ResourceInUse"
        | "ResourceInUseException"
        | "ConcurrentModificationException"
        | "ConflictException"
        | "DeleteConflict"
        | "InvalidDBInstanceState"
        | "InvalidDBInstanceStateFault"
        | "InvalidDBSubnetGroupStateFault"
        | "InvalidDBParameterGroupState"
        | "InvalidReplicationGroupState"
        | "InvalidReplicationGroupStateFault"
        | "CacheSubnetGroupInUse"
        | "InvalidCacheParameterGroupState"
        | "OperationAborted"
        | "Resource.AlreadyAssociated"
        | "WAFOptimisticLockException"
        | "WAFUnavailableEntityException"
        | "WAFAssociatedItemException"
        | "RequestInProgressException"
        | "Gateway.NotAttached"
        // CloudFront: a stale IfMatch (re-read and retry), a policy still attached to a cache
        // behaviour, a distribution not yet disabled and deployed.
        | "PreconditionFailed"
        | "ResponseHeadersPolicyInUse"
        | "DistributionNotDisabled" => ErrorClass::Conflict,
        // Route 53: a health check changed since it was read (re-read and retry), a zone whose
        // records are still being deleted.
        "HealthCheckVersionMismatch" | "HostedZoneNotEmpty" | "HealthCheckInUse" => {
            ErrorClass::Conflict
        }
        "InternalError"
        | "InternalFailure"
        | "ServiceUnavailable"
        | "Unavailable"
        | "InternalServerError"
        | "ServiceUnavailableException" => ErrorClass::Transient,
        _ => ErrorClass::Invalid,
    }
}

/// Turn an SDK error into a [`ReconcileError`] with the AWS code and the whole error chain.
pub fn classify<E, R>(err: SdkError<E, R>) -> ReconcileError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let (class, code, message) = match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().map(str::to_string);
            let class = match code.as_deref() {
                Some(c) => classify_code(c),
                None => ErrorClass::Other,
            };
            let msg = e
                .message()
                .map(str::to_string)
                .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
            (class, code, msg)
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => (
            ErrorClass::Transient,
            None,
            DisplayErrorContext(&err).to_string(),
        ),
        SdkError::ConstructionFailure(_) => (
            ErrorClass::Invalid,
            None,
            DisplayErrorContext(&err).to_string(),
        ),
        _ => (
            ErrorClass::Other,
            None,
            DisplayErrorContext(&err).to_string(),
        ),
    };
    ReconcileError {
        class,
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classify() {
        assert_eq!(classify_code("InvalidVpcID.NotFound"), ErrorClass::NotFound);
        assert_eq!(classify_code("NatGatewayNotFound"), ErrorClass::NotFound);
        assert_eq!(classify_code("RequestLimitExceeded"), ErrorClass::Throttled);
        assert_eq!(classify_code("DependencyViolation"), ErrorClass::Conflict);
        assert_eq!(
            classify_code("WAFOptimisticLockException"),
            ErrorClass::Conflict
        );
        assert_eq!(
            classify_code("WAFNonexistentItemException"),
            ErrorClass::NotFound
        );
        for code in [
            "CacheParameterGroupAlreadyExists",
            "DBSubnetGroupAlreadyExists",
            "EntityAlreadyExists",
            "InvalidGroup.Duplicate",
            "ResourceExistsException",
            "DuplicateLoadBalancerName",
            "WAFDuplicateItemException",
        ] {
            assert_eq!(classify_code(code), ErrorClass::AlreadyExists, "{code}");
        }
        for code in [
            "NoSuchDistribution",
            "NoSuchResponseHeadersPolicy",
            "NoSuchResource",
        ] {
            assert_eq!(classify_code(code), ErrorClass::NotFound, "{code}");
        }
        for code in [
            "PreconditionFailed",
            "ResponseHeadersPolicyInUse",
            "DistributionNotDisabled",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Conflict, "{code}");
        }
        for code in [
            "DistributionAlreadyExists",
            "ResponseHeadersPolicyAlreadyExists",
        ] {
            assert_eq!(classify_code(code), ErrorClass::AlreadyExists, "{code}");
        }
        // A missing IfMatch, or a cache behaviour naming an origin that is not there, is the
        // request's fault.
        assert_eq!(classify_code("InvalidIfMatchVersion"), ErrorClass::Invalid);
        assert_eq!(classify_code("NoSuchOrigin"), ErrorClass::Invalid);
        assert_eq!(classify_code("InvalidParameterValue"), ErrorClass::Invalid);
        assert_eq!(classify_code("InternalError"), ErrorClass::Transient);
    }

    #[test]
    fn route53_codes_classify() {
        for code in ["NoSuchHostedZone", "NoSuchHealthCheck", "NoSuchChange"] {
            assert_eq!(classify_code(code), ErrorClass::NotFound, "{code}");
        }
        for code in [
            "HealthCheckVersionMismatch",
            "HostedZoneNotEmpty",
            "HealthCheckInUse",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Conflict, "{code}");
        }
        for code in ["HostedZoneAlreadyExists", "HealthCheckAlreadyExists"] {
            assert_eq!(classify_code(code), ErrorClass::AlreadyExists, "{code}");
        }
        assert_eq!(classify_code("InvalidChangeBatch"), ErrorClass::Invalid);
        assert_eq!(
            classify_code("PriorRequestNotComplete"),
            ErrorClass::Throttled
        );
    }
}
