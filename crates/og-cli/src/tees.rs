//! `og tees`: the registry's active TEEs as a table (or JSON), with whether each one
//! can take sealed requests and, if not, why.

use og_relay::registry::{RegisteredTee, TeeType};

use crate::Failure;
use crate::json::{obj, opt_str};
use crate::options::RegistryLocation;

/// Options of `og tees`.
#[derive(clap::Args, Clone, Debug)]
pub struct TeesArgs {
    /// Where the registry is.
    #[command(flatten)]
    pub location: RegistryLocation,

    /// The TEE type to list (0 = LLM proxy, 1 = validator).
    #[arg(long, value_name = "N", env = "OG_TEE_TYPE", default_value_t = 0)]
    pub tee_type: u8,
}

/// Runs `og tees`.
///
/// # Errors
/// A usage failure for a bad RPC URL or address; a service failure when the registry
/// cannot be read.
pub fn run(args: &TeesArgs, json: bool) -> Result<(), Failure> {
    let registry = args.location.registry()?;
    let tees = registry
        .active_tees_blocking(TeeType::from(args.tee_type))
        .map_err(Failure::from)?;
    if json {
        let list = tees.iter().map(to_json).collect::<Vec<_>>();
        println!(
            "{}",
            crate::json::to_text(&obj([
                ("registry", registry.address().into()),
                ("rpc_url", registry.rpc_url().into()),
                ("tees", og_canon::Value::Array(list)),
            ]))
        );
    } else {
        print!("{}", table(&tees));
        println!(
            "{} active TEE(s) of type {} in registry {} ({})",
            tees.len(),
            TeeType::from(args.tee_type),
            registry.address(),
            registry.rpc_url()
        );
    }
    Ok(())
}

fn to_json(t: &RegisteredTee) -> og_canon::Value {
    let unusable = t.endpoint().err().map(ToString::to_string);
    obj([
        ("tee_id", t.tee_id().to_string().into()),
        ("endpoint", t.url().into()),
        ("tee_type", t.tee_type().to_string().into()),
        ("ohttp_capable", t.ohttp_capable().into()),
        (
            "key_id",
            t.ohttp_key_id()
                .map_or(og_canon::Value::Null, |k| i64::from(k).into()),
        ),
        ("pcr_hash", t.pcr_hash().to_string().into()),
        ("enabled", t.enabled().into()),
        (
            "last_heartbeat_at",
            crate::json::uint(t.last_heartbeat_at()),
        ),
        ("usable", unusable.is_none().into()),
        ("unusable_reason", opt_str(unusable.as_deref())),
    ])
}

/// The human table: one row per TEE, columns aligned.
pub fn table(tees: &[RegisteredTee]) -> String {
    let header = [
        "TEE_ID",
        "ENDPOINT",
        "TYPE",
        "OHTTP",
        "KEY_ID",
        "PCR_HASH",
        "HEARTBEAT",
        "STATUS",
    ];
    let rows: Vec<[String; 8]> = tees
        .iter()
        .map(|t| {
            [
                t.tee_id().to_string(),
                if t.url().is_empty() {
                    "-".into()
                } else {
                    t.url().to_owned()
                },
                t.tee_type().to_string(),
                if t.ohttp_capable() { "yes" } else { "no" }.into(),
                t.ohttp_key_id().map_or("-".into(), |k| k.to_string()),
                t.pcr_hash().to_string(),
                t.last_heartbeat_at().to_string(),
                match t.endpoint() {
                    Ok(_) => "usable".into(),
                    Err(why) => format!("skipped: {why}"),
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}  "));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header);
    for r in &rows {
        line(&r.each_ref().map(String::as_str));
    }
    out
}
