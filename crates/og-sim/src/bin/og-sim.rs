//! `og-sim`: runs the simulated enclave and relay until interrupted.
//!
//! ```text
//! og-sim [--relay ADDR] [--enclave ADDR] [--token TOKEN | --no-token] [--token-delay-ms N] [--tee-file PATH]
//! ```
//!
//! Prints the relay URL, the token and the TEE record (JSON) a client needs; with
//! `--tee-file` also writes the record there.

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("og-sim: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut builder = og_sim::Sim::builder();
    let mut delay = Duration::ZERO;
    let mut tee_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--relay" => builder = builder.relay_addr(&value()?),
            "--enclave" => builder = builder.enclave_addr(&value()?),
            "--token" => builder = builder.token(Some(&value()?)),
            "--no-token" => builder = builder.token(None),
            "--token-delay-ms" => {
                let ms = value()?;
                delay =
                    Duration::from_millis(ms.parse().map_err(|_| format!("not a number: {ms}"))?);
            }
            "--tee-file" => tee_file = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "og-sim [--relay ADDR] [--enclave ADDR] [--token TOKEN | --no-token] \
                     [--token-delay-ms N] [--tee-file PATH]\n\n\
                     Runs a simulated OpenGradient enclave and OHTTP relay on 127.0.0.1 \
                     (ephemeral ports by default) until interrupted."
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    let sim = builder
        .model(og_sim::Model::echo().with_token_delay(delay))
        .start()
        .map_err(|e| e.to_string())?;
    let record = sim.tee_endpoint().to_record_json();
    if let Some(path) = &tee_file {
        std::fs::write(path, &record).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    println!("relay:   {}", sim.relay_url());
    println!("enclave: {}", sim.enclave_url());
    println!("token:   {}", sim.token().unwrap_or("(none)"));
    println!("tee:     {record}");
    loop {
        std::thread::park();
    }
}
