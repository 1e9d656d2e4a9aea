//! `topgg-int vectors`: writes the generated signature vectors (and, into a directory, their
//! README) for SDK and bot authors. The cases come from [`crate::protocol::vectors`].

use super::args::VectorsArgs;
use crate::error::{Error, Outcome, Result};
use crate::output::{note, with_stdout};
use crate::protocol::vectors::{FILE_NAME, README, to_json};

/// Runs `vectors`.
pub fn run(args: VectorsArgs) -> Result<Outcome> {
    let json = to_json();
    let Some(dir) = args.out else {
        with_stdout(|w| w.write_all(json.as_bytes()))?;
        return Ok(Outcome::Success);
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create the directory", &dir, &e))?;
    for (name, content) in [(FILE_NAME, json.as_str()), ("README.md", README)] {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|e| Error::io("write", &path, &e))?;
        note(format!("wrote {}", path.display()));
    }
    Ok(Outcome::Success)
}
