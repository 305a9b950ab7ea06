#!/usr/bin/env bash
# Build times of `driftless::migrations!` against `sqlx::migrate!` on the same generated folder of
# 1,000 migrations, both crates with a build.rs, in the default dev profile:
#   cold        - `cargo build` in an empty target directory (dependencies included)
#   incremental - `cargo build` again after touching src/main.rs (the edit-compile loop)
#   migration   - `cargo build` again after adding a migration file
# Usage: benches/build-time.sh [count]   (BENCH_DIR=... keeps the projects somewhere for a look)
# Goal: our incremental rebuild is no slower than sqlx's.
set -euo pipefail

ws=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-1000}
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
unset CARGO_TARGET_DIR
cargo=${CARGO:-cargo}

# The folder: one table and one index per migration, locked by the CLI itself.
folder="$work/migrations"
rm -rf "$folder"
mkdir -p "$folder"
for i in $(seq 1 "$count"); do
  file=$(printf '%04d_create_t%d.sql' "$i" "$i")
  printf 'CREATE TABLE t%d (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n    created_at TEXT\n);\n\nCREATE INDEX t%d_name ON t%d (name);\n' \
    "$i" "$i" "$i" > "$folder/$file"
done
(cd "$ws" && $cargo run -q -p driftless-cli -- lock "$folder" --dialect sqlite >/dev/null)

make_project() { # name, dependencies, build-dependencies, build.rs body, main.rs
  local dir="$work/$1"
  rm -rf "$dir"
  mkdir -p "$dir/src"
  cp -r "$folder" "$dir/migrations"
  cp "$ws/Cargo.lock" "$dir/Cargo.lock"
  printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n[dependencies]\n%s\n\n[build-dependencies]\n%s\n\n[workspace]\n' \
    "$1" "$2" "$3" > "$dir/Cargo.toml"
  printf 'fn main() {\n    %s\n}\n' "$4" > "$dir/build.rs"
  printf '%s\n' "$5" > "$dir/src/main.rs"
}

make_project ours \
  "driftless = { path = \"$ws/runtime\" }" \
  "driftless-build = { path = \"$ws/build\" }" \
  'driftless_build::watch("migrations");' \
  'static MIGRATIONS: driftless::Migrations = driftless::migrations!("migrations");
fn main() {
    println!("{}", MIGRATIONS.migrations().len());
}'

make_project theirs \
  'sqlx = { version = "0.9", default-features = false, features = ["macros", "migrate", "runtime-tokio"] }' \
  '' \
  'println!("cargo:rerun-if-changed=migrations");' \
  'static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
fn main() {
    println!("{}", MIGRATOR.iter().count());
}'

seconds() { # dir, then the command; prints the wall time of the command in seconds
  local dir=$1
  shift
  local start end
  start=$(date +%s.%N)
  (cd "$dir" && "$@" >"$dir/last-build.log" 2>&1) || {
    cat "$dir/last-build.log" >&2
    echo "error: build failed in $dir" >&2
    exit 1
  }
  end=$(date +%s.%N)
  awk "BEGIN { print $end - $start }"
}

declare -A results
for name in ours theirs; do
  dir="$work/$name"
  results[$name,cold]=$(seconds "$dir" "$cargo" build --offline --target-dir "$dir/target")
  touch "$dir/src/main.rs"
  results[$name,incremental]=$(seconds "$dir" "$cargo" build --offline --target-dir "$dir/target")
  # A new draft migration (editing a locked one is an error for driftless, by design).
  printf 'CREATE TABLE extra (id INTEGER PRIMARY KEY);\n' \
    > "$dir/migrations/$(printf '%04d' $((count + 1)))_extra.sql"
  results[$name,migration]=$(seconds "$dir" "$cargo" build --offline --target-dir "$dir/target")
  printf '%s embeds %s migrations\n' "$name" "$("$dir/target/debug/$name")"
done

printf '\n%d migrations, dev profile, %s\n' "$count" "$(rustc --version)"
printf '%-34s %10s %10s\n' "" "driftless" "sqlx"
printf '%-34s %9.1fs %9.1fs\n' "cold build" "${results[ours,cold]}" "${results[theirs,cold]}"
printf '%-34s %9.2fs %9.2fs\n' "incremental (touch src/main.rs)" "${results[ours,incremental]}" "${results[theirs,incremental]}"
printf '%-34s %9.2fs %9.2fs\n' "new migration file" "${results[ours,migration]}" "${results[theirs,migration]}"
