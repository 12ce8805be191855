//! `tagwall matrix --all-ports`: per ordered pod pair, every protocol and port range allowed
//! (see [`crate::reach`]).

use std::fmt::Write as _;
use std::process::ExitCode;

use super::engines::{self, EngineArgs};
use super::{CliError, EngineKind, InputArgs, OutputKind, output};
use crate::evaluator::Compiled;
use crate::reach::{self, PORTED, Reach, ReachTable};

/// Runs `tagwall matrix --all-ports`.
pub(super) fn run(
    input: &InputArgs,
    engine: &EngineArgs,
    kind: OutputKind,
) -> Result<ExitCode, CliError> {
    // The table is read off the compiled structure's partitions and port intervals; the
    // other engines would need a lookup per port.
    if engine.engine != EngineKind::Compiled {
        return Err(CliError(
            "`--all-ports` is answered by the compiled engine only: leave out `--engine`"
                .to_string(),
        ));
    }
    let cluster = engines::load(input)?;
    let compiled = Compiled::new(&cluster, engine.mode.into())?;
    let pods = super::matrix::pods(&cluster);
    let table = reach::all_ports(compiled.decision(), &pods);
    let labels: Vec<String> = pods.iter().map(|pod| pod.key()).collect();
    match kind {
        OutputKind::Json => json(&labels, &table),
        OutputKind::Table => lines(&labels, &table),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// `{"pods": [...], "connections": [[CELL, ...], ...]}` on one line, where a CELL is
/// `{"TCP": [[lo, hi], ...], "UDP": [...], "SCTP": [...], "other": BOOL}`: the shape outside
/// tooling reads. Written row by row, each distinct cell rendered once.
fn json(pods: &[String], table: &ReachTable) -> Result<(), CliError> {
    let names: Vec<String> = pods
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    let (cells, index) = table.parts();
    let rendered: Vec<String> = cells.iter().map(cell_json).collect();
    output::print(&format!(
        "{{\"pods\": [{}], \"connections\": [",
        names.join(", ")
    ))?;
    let n = table.len().max(1);
    for (i, row) in index.chunks(n).enumerate() {
        let mut line = String::with_capacity(row.len() * 64);
        line.push_str(if i == 0 { "[" } else { ", [" });
        for (j, id) in row.iter().enumerate() {
            if j > 0 {
                line.push_str(", ");
            }
            line.push_str(rendered.get(*id as usize).map_or("null", String::as_str));
        }
        line.push(']');
        output::print(&line)?;
    }
    output::print("]}\n")
}

/// One cell as JSON, keys in the pinned order.
fn cell_json(cell: &Reach) -> String {
    let mut out = String::from("{");
    for protocol in PORTED {
        let ranges: Vec<String> = cell
            .ranges(protocol)
            .iter()
            .map(|(lo, hi)| format!("[{lo}, {hi}]"))
            .collect();
        let _ = write!(out, "\"{protocol}\": [{}], ", ranges.join(", "));
    }
    let _ = write!(out, "\"other\": {}}}", cell.other);
    out
}

/// For people: one line per ordered pair, `from`, `to` and what is allowed (`TCP 80-81,6379;
/// UDP 53`, `other protocols` for ICMP and the rest, `all`, `none`). Written source by source,
/// labels padded and cells rendered once: at 2,700 pods this is 7 million lines.
fn lines(pods: &[String], table: &ReachTable) -> Result<(), CliError> {
    const FROM: &str = "from";
    let width = pods
        .iter()
        .map(String::len)
        .chain([FROM.len()])
        .max()
        .unwrap_or(0);
    let padded: Vec<String> = pods.iter().map(|pod| format!("{pod:width$} ")).collect();
    let (cells, index) = table.parts();
    let rendered: Vec<String> = cells.iter().map(|cell| format!("{cell}\n")).collect();
    output::print(&format!(
        "all ports: what each source may open to each destination\n{FROM:width$} {:width$} allowed\n",
        "to"
    ))?;
    let n = table.len().max(1);
    for (src, row) in padded.iter().zip(index.chunks(n)) {
        let mut out = String::with_capacity(row.len() * (2 * width + 16));
        for (dst, id) in padded.iter().zip(row) {
            out.push_str(src);
            out.push_str(dst);
            out.push_str(rendered.get(*id as usize).map_or("none\n", String::as_str));
        }
        output::print(&out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_have_the_pinned_json_shape() {
        let cell = Reach {
            tcp: vec![(80, 81), (6379, 6379)],
            udp: vec![(53, 53)],
            sctp: vec![],
            other: false,
        };
        assert_eq!(
            cell_json(&cell),
            "{\"TCP\": [[80, 81], [6379, 6379]], \"UDP\": [[53, 53]], \"SCTP\": [], \"other\": false}"
        );
        assert_eq!(
            cell_json(&Reach::everything()),
            "{\"TCP\": [[1, 65535]], \"UDP\": [[1, 65535]], \"SCTP\": [[1, 65535]], \"other\": true}"
        );
    }
}
