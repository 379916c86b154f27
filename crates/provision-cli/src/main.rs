//! `provision`: a native AWS provisioning engine for multi-region stacks.

mod commands;
mod context;
mod progress;
mod registry;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "provision",
    version,
    about = "Stand up, change and tear down a multi-region AWS stack from one YAML spec",
    long_about = "Stand up, change and tear down a multi-region AWS stack from one YAML spec.\n\n\
AWS is reached through the standard credential chain (environment, AWS_PROFILE, SSO, instance \
roles); AWS_ENDPOINT_URL points every client at another endpoint, such as the local emulator."
)]
struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    /// Where state files live.
    #[arg(
        long,
        global = true,
        env = "PROVISION_STATE_DIR",
        default_value = "state"
    )]
    state_dir: PathBuf,

    /// Which stack's state to use when the state directory holds several (`<stack>-<environment>`).
    #[arg(long, global = true)]
    stack: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate, refresh, plan, show the plan, ask, then apply.
    Up(commands::up::Args),
    /// Show what `up` would do, and what changed outside provision.
    Diff(commands::diff::Args),
    /// Tear down the whole stack, or one region (repairing what the others held of it).
    Destroy(commands::destroy::Args),
    /// Make a secondary region the primary (its database replica is promoted), without a call
    /// to the old primary region; the next `up` makes that region a secondary.
    Failover(commands::failover::Args),
    /// Parse and validate a spec. Makes no AWS call.
    Validate(commands::validate::Args),
    /// Print the resource graph (DOT, or SVG with Graphviz installed).
    Graph(commands::graph::Args),
    /// Print the endpoints and ARNs the last `up` recorded (no AWS call).
    Output(commands::output::Args),
    /// Inspect and repair the state.
    #[command(subcommand)]
    State(commands::state::Command),
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "warn,provision=info,provision_engine=info,provision_ec2=info",
        2 => "info,provision=debug,provision_engine=debug,provision_ec2=debug,provision_aws=debug",
        _ => "debug,provision=trace,provision_engine=trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbose >= 2)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let global = context::Global {
        state_dir: cli.state_dir,
        stack: cli.stack,
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Up(a) => commands::up::run(&global, a).await,
            Command::Diff(a) => commands::diff::run(&global, a).await,
            Command::Destroy(a) => commands::destroy::run(&global, a).await,
            Command::Failover(a) => commands::failover::run(&global, a).await,
            Command::Validate(a) => commands::validate::run(&global, a),
            Command::Graph(a) => commands::graph::run(&global, a),
            Command::Output(a) => commands::output::run(&global, a),
            Command::State(c) => commands::state::run(&global, c),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<context::SpecRejected>() {
                Some(spec) => eprintln!("{spec}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::from(1)
        }
    }
}
