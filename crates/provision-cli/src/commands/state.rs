//! `provision state list|show|rm|unlock`: inspect and repair the state.

use crate::context::{self, Global};
use anyhow::{bail, Context, Result};
use provision_core::Address;
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// One line per recorded resource: address, id, status.
    List,
    /// A recorded resource in full, as JSON.
    Show {
        /// e.g. us-east-1/ec2.vpc/main
        address: Address,
    },
    /// Forget a resource without deleting it in AWS.
    Rm { address: Address },
    /// Clear a lock left by a process that is gone. A live holder is never broken.
    Unlock,
}

pub fn run(g: &Global, c: Command) -> Result<ExitCode> {
    let stack = context::pick_stack(g)?;
    match c {
        Command::List => {
            let st = provision_state::read_state(&g.state_dir, &stack)?
                .with_context(|| format!("no state for stack {stack}"))?;
            for (a, r) in &st.resources {
                println!(
                    "{a}\t{}\t{}",
                    r.id.as_deref().unwrap_or("-"),
                    r.status.as_str()
                );
            }
        }
        Command::Show { address } => {
            let st = provision_state::read_state(&g.state_dir, &stack)?
                .with_context(|| format!("no state for stack {stack}"))?;
            let Some(r) = st.resources.get(&address) else {
                bail!("{address} is not in the state of {stack}; `provision state list` shows what is");
            };
            println!("{}", serde_json::to_string_pretty(r)?);
        }
        Command::Rm { address } => {
            let (store, mut st) = context::open_state(g, &stack)?;
            if st.resources.remove(&address).is_none() {
                bail!("{address} is not in the state of {stack}");
            }
            store.save(&mut st)?;
            eprintln!("Removed {address} from the state; the AWS object, if any, is untouched.");
        }
        Command::Unlock => match provision_state::force_unlock(&g.state_dir, &stack)? {
            Some(h) => eprintln!("Cleared a stale lock left by {h}."),
            None => eprintln!("The state of {stack} is not locked."),
        },
    }
    Ok(ExitCode::SUCCESS)
}
