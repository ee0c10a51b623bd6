//! The main job: `cargo run --release --example quickstart`.
//!
//! Shows how ordo keys map to dataset directories. It grows with the
//! library: datasets, intersections and fields join it as they land.

use std::path::Path;
use std::time::Instant;

use ordo::{SubLevel, TopLevel};

/// How often a quantity is sampled: the second directory level.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, SubLevel)]
struct Sampling {
    frequency: String,
}

/// One dataset per quantity, city and sampling.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Measure {
    quantity: String,
    city: String,
    sampling: Sampling,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut keys = Vec::new();
    for quantity in ["temperature", "pressure"] {
        for city in ["berlin", "paris", "oslo"] {
            for frequency in ["1h", "1D"] {
                keys.push(Measure {
                    quantity: quantity.into(),
                    city: city.into(),
                    sampling: Sampling {
                        frequency: frequency.into(),
                    },
                });
            }
        }
    }
    keys.sort();
    println!(
        "{} keys, {} directory levels each:",
        keys.len(),
        Measure::DEPTH
    );
    for key in &keys {
        let path = key.to_path()?;
        assert_eq!(&Measure::from_path(&path)?, key);
        println!("  {key:<26} -> {}", path.display());
    }

    let bad = Measure {
        quantity: "temperature".into(),
        city: "../etc".into(),
        sampling: Sampling {
            frequency: "1D".into(),
        },
    };
    println!("rejected key:  {}", bad.validate().unwrap_err());
    let err = Measure::from_path(Path::new("zz-temperature-berlin/1D")).unwrap_err();
    println!("rejected path: {err}");
    println!("done in {:.1?}", started.elapsed());
    Ok(())
}
