//! EC2 networking reconcilers: one module per resource kind.
//!
//! Every taggable kind is created with its tags in `TagSpecifications`, so the
//! `provision:address` tag is part of the create call itself: a create whose answer was lost
//! can always be found again by tag. Untaggable kinds (routes, route-table associations) are
//! found by their natural key.

mod common;
mod eip;
mod internet_gateway;
mod nat_gateway;
mod network_acl;
mod peering;
mod route;
mod route_table;
mod route_table_association;
mod security_group;
mod security_group_rule;
mod subnet;
mod vpc;

pub use common::Ec2Clients;

use provision_aws::AwsConfigs;
use provision_core::Reconciler;
use std::sync::Arc;

/// Every EC2 reconciler, sharing one set of per-region SDK configurations.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    let c = Ec2Clients::new(configs);
    vec![
        Arc::new(vpc::Vpc(c.clone())),
        Arc::new(subnet::Subnet(c.clone())),
        Arc::new(internet_gateway::InternetGateway(c.clone())),
        Arc::new(eip::Eip(c.clone())),
        Arc::new(nat_gateway::NatGateway(c.clone())),
        Arc::new(route_table::RouteTable(c.clone())),
        Arc::new(route::Route(c.clone())),
        Arc::new(route_table_association::RouteTableAssociation(c.clone())),
        Arc::new(security_group::SecurityGroup(c.clone())),
        Arc::new(security_group_rule::SecurityGroupRule(c.clone())),
        Arc::new(network_acl::NetworkAcl(c.clone())),
        Arc::new(peering::PeeringConnection(c.clone())),
        Arc::new(peering::PeeringAccepter(c.clone())),
        Arc::new(peering::PeeringOptions(c)),
    ]
}
