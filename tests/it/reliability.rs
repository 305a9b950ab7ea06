//! The reliability suite's bounded version (`reliability smoke`), so `cargo test` runs it
//! against every configured backend.

#[test]
fn smoke() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reliability"))
        .arg("smoke")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "reliability smoke failed ({}); its report is above, its stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
