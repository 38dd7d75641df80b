//! `cargo xtask demo`: one verified chat through the whole path, offline.
//!
//! Starts the simulated enclave and relay (og-sim) on 127.0.0.1, then sends a chat
//! through the real og-relay client, single-shot and streamed, and prints each
//! verified answer with its proof. Finally it asks the relay to tamper with the next
//! answer and shows that the client refuses it. Exits non-zero if anything is off.

use anyhow::{Context, Result, bail};
use og_relay::TeeProof;

/// Runs the demo, printing to stdout.
pub fn run() -> Result<()> {
    let sim = og_sim::Sim::start().context("starting the simulated enclave and relay")?;
    println!("simulated relay   {}", sim.relay_url());
    println!(
        "simulated enclave {} (tee_id {})",
        sim.enclave_url(),
        sim.keys().tee_id()
    );
    let client = sim.client()?;
    let body = og_canon::parse(
        r#"{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hello from og-rs!"}]}"#,
    )?;

    let answer = client.chat_completion(&body).context("single-shot chat")?;
    println!("\nsingle-shot answer (verified): {}", answer.content());
    print_proof(answer.proof());

    let stream = client
        .stream_chat_completion(&body)
        .context("streamed chat")?;
    println!(
        "\nstreamed answer (verified after {} frames): {}",
        stream.frames().len(),
        stream.content()
    );
    print_proof(stream.proof());

    sim.set_fault(Some(og_sim::Fault::SignDifferentOutput));
    match client.chat_completion(&body) {
        Ok(_) => bail!("a tampered answer was accepted"),
        Err(e) => println!("\ntampered answer refused, as it must be: {e}"),
    }
    Ok(())
}

fn print_proof(p: &TeeProof) {
    println!("  tee_id        {}", p.tee_id());
    println!("  request_hash  {}", p.request_hash());
    println!("  output_hash   {}", p.output_hash());
    println!("  timestamp     {}", p.timestamp());
    println!("  tee_host      {}", p.tee_host().unwrap_or("-"));
}
