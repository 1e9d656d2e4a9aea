//! The committed man pages in man/ match what clap_mangen renders from the clap definition, and
//! `man` itself can read them. `UPDATE_MAN=1 cargo test man` rewrites them.

use crate::common::repo_path;

#[test]
fn committed_man_pages_are_current() {
    let pages = topgg_int::cli::manpages::pages();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    for expected in ["topgg-int.1", "topgg-int-simulate.1", "topgg-int-simulate-vote.1", "topgg-int-check.1"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let dir = repo_path("man");
    if std::env::var_os("UPDATE_MAN").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
            if !names.contains(&entry.file_name().to_string_lossy().as_ref()) {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
        for (name, page) in &pages {
            std::fs::write(dir.join(name), page).unwrap();
        }
    }
    let mut stale: Vec<&str> = pages
        .iter()
        .filter(|(name, page)| std::fs::read(dir.join(name)).ok().as_deref() != Some(&page[..]))
        .map(|(name, _)| name.as_str())
        .collect();
    let mut committed: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    committed.retain(|n| !names.contains(&n.as_str()));
    stale.extend(committed.iter().map(String::as_str));
    assert!(stale.is_empty(), "stale man pages {stale:?}: run UPDATE_MAN=1 cargo test man");
}

#[test]
fn the_top_page_names_the_subcommands_and_exit_codes() {
    let page = String::from_utf8(std::fs::read(repo_path("man/topgg-int.1")).unwrap()).unwrap();
    assert!(page.contains(".TH topgg-int 1"), "{page}");
    for word in ["simulate", "verify", "serve", "inspect", "check", "130"] {
        assert!(page.contains(word), "{word} missing from man/topgg-int.1");
    }
}
