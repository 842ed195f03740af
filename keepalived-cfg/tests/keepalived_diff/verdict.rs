//! What a checker says about one file, and the checked-in table of what the
//! real keepalived said (`tests/data/verdicts.tsv`).

use std::collections::BTreeMap;
use std::fmt;

/// Where the first complaint about a file points.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Place {
    /// The file, relative to `tests/data`; empty for the file tested itself.
    pub(crate) file: String,
    /// 1-based line.
    pub(crate) line: u32,
}

/// The verdict on one configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// `keepalived -t` exit code: 0 valid, 5 problems, 6 script security.
    pub(crate) exit: i32,
    /// The first line complained about, if any line was named.
    pub(crate) at: Option<Place>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.file.is_empty() {
            write!(f, "{}", self.line)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "exit {} at line {at}", self.exit),
            None => write!(f, "exit {} (no line)", self.exit),
        }
    }
}

/// The first line of the table, naming its columns.
const HEADER: &str = "# file\texit\tfirst_error_line";

/// Reads a place written by [`Place`]'s `Display` (`-` for none).
fn parse_place(field: &str) -> Result<Option<Place>, String> {
    if field == "-" {
        return Ok(None);
    }
    let (file, line) = match field.rsplit_once(':') {
        Some((file, line)) => (file.to_string(), line),
        None => (String::new(), field),
    };
    let line = line
        .parse::<u32>()
        .map_err(|e| format!("bad line number `{field}`: {e}"))?;
    Ok(Some(Place { file, line }))
}

/// Parses the table: file name (relative to `tests/data`) to verdict.
pub(crate) fn parse_table(text: &str) -> Result<BTreeMap<String, Verdict>, String> {
    let mut table = BTreeMap::new();
    for (n, row) in text.lines().enumerate() {
        if row.starts_with('#') || row.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = row.split('\t').collect();
        let [file, exit, at] = cols[..] else {
            return Err(format!("verdicts.tsv line {}: want 3 columns", n + 1));
        };
        let exit = exit
            .parse::<i32>()
            .map_err(|e| format!("verdicts.tsv line {}: exit code: {e}", n + 1))?;
        let at = parse_place(at).map_err(|e| format!("verdicts.tsv line {}: {e}", n + 1))?;
        if table
            .insert(file.to_string(), Verdict { exit, at })
            .is_some()
        {
            return Err(format!("verdicts.tsv line {}: {file} listed twice", n + 1));
        }
    }
    Ok(table)
}

/// Writes the table, one file a row, in name order.
pub(crate) fn write_table(table: &BTreeMap<String, Verdict>) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for (file, v) in table {
        let at =
            v.at.as_ref()
                .map_or_else(|| "-".to_string(), Place::to_string);
        out.push_str(&format!("{file}\t{}\t{at}\n", v.exit));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips() {
        let text = "# file\texit\tfirst_error_line\n\
                    invalid/a.conf\t5\t12\n\
                    invalid/b.conf\t5\tvalid/inc/x.part:3\n\
                    seed/lb1.conf\t0\t-\n";
        let table = parse_table(text).unwrap();
        assert_eq!(table.len(), 3);
        assert_eq!(
            table["invalid/b.conf"].at,
            Some(Place {
                file: "valid/inc/x.part".into(),
                line: 3
            })
        );
        assert_eq!(table["seed/lb1.conf"].at, None);
        assert_eq!(write_table(&table), text);
    }

    #[test]
    fn table_rejects_bad_rows() {
        assert!(parse_table("a.conf\t5\n").is_err());
        assert!(parse_table("a.conf\tfive\t-\n").is_err());
        assert!(parse_table("a.conf\t5\tline3\n").is_err());
        assert!(parse_table("a.conf\t0\t-\na.conf\t0\t-\n").is_err());
    }
}
