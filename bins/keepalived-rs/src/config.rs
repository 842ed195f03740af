//! Reading a configuration for the commands: the file or standard input,
//! keepalived's default config id, and lbkit's options.

use lbkit_keepalived_cfg::{load_file, load_str, FileId, Loaded, Options};
use std::io::Read;
use std::path::Path;

/// The name standard input gets in diagnostics.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// How to read: the file, `-i`, `--strict`.
#[derive(Clone, Debug)]
pub(crate) struct Request<'a> {
    /// The file; `-` is standard input.
    pub(crate) path: &'a Path,
    /// `-i ID`; `None` means keepalived's default, the node name.
    pub(crate) config_id: Option<&'a str>,
    /// Warnings become errors.
    pub(crate) strict: bool,
}

impl Request<'_> {
    /// Reads, builds and checks the configuration. Only reading standard
    /// input can fail here; problems with files are diagnostics.
    pub(crate) fn load(&self) -> Result<Loaded, String> {
        let mut opts = Options::new().strict(self.strict);
        if let Some(existing) = host_interfaces() {
            opts = opts.interfaces(existing);
        }
        if let Some(id) = self.config_id.map(str::to_owned).or_else(node_name) {
            opts = opts.config_id(id);
        }
        if self.path == Path::new("-") {
            let text = read_stdin()?;
            Ok(load_str(STDIN_NAME, &text, &opts))
        } else {
            Ok(load_file(self.path, &opts))
        }
    }
}

/// The network interfaces of this namespace (`/sys/class/net`), which
/// keepalived requires `interface` and `track_interface` to name; `None`
/// when they cannot be listed (then they are not checked).
fn host_interfaces() -> Option<Vec<String>> {
    let entries = std::fs::read_dir("/sys/class/net").ok()?;
    Some(
        entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect(),
    )
}

/// The text of the main file, as read (standard input included).
pub(crate) fn main_text(loaded: &Loaded) -> Option<&str> {
    loaded.sources.get(FileId(0)).map(|f| f.text.as_str())
}

/// Standard input as text; invalid UTF-8 is replaced, as for files.
fn read_stdin() -> Result<String, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// keepalived's default `--config-id`: the node name (`uname -n`) up to its
/// first dot.
fn node_name() -> Option<String> {
    let raw = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    short_name(&raw)
}

/// The host name up to its first dot, without the trailing newline; `None`
/// when empty.
fn short_name(raw: &str) -> Option<String> {
    let name = raw.trim_end_matches(['\n', '\r']);
    let short = name.split('.').next().unwrap_or(name);
    (!short.is_empty()).then(|| short.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_id_is_the_node_name_before_the_first_dot() {
        // keepalived_main(): strchrnul(nodename, '.').
        assert_eq!(short_name("lb1.example.com\n").as_deref(), Some("lb1"));
        assert_eq!(short_name("lb2\n").as_deref(), Some("lb2"));
        assert_eq!(short_name("\n"), None);
    }
}
