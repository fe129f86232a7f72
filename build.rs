//! Generates the Lumin client from `openapi.yaml` into `OUT_DIR` (see `codegen/`).

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=openapi.yaml");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let generated = match lumin_codegen::generate(Path::new("openapi.yaml")) {
        Ok(generated) => generated,
        Err(e) => {
            eprintln!("error: openapi.yaml could not be turned into a client: {e}");
            std::process::exit(1);
        }
    };
    for (name, code) in [
        ("lumin_client.rs", &generated.client),
        ("lumin_httpmock.rs", &generated.httpmock),
    ] {
        if let Err(e) = std::fs::write(out_dir.join(name), code) {
            eprintln!("error: writing {name}: {e}");
            std::process::exit(1);
        }
    }
}
