//! Streaming analysis across datasets with `iter_intersections`.
//!
//! `cargo run --example streaming_analysis` builds a store of four price
//! series (`./ordo-streaming`, recreated) whose row groups start at
//! different times, then walks them in lock-step: each step holds, per
//! series, the rows of one time window, so memory stays near one row group
//! per series however long the series are. `n_prev` prepends the last rows
//! before `start`, so a moving average is warm from the first window.

use std::collections::HashMap;
use std::sync::Arc;

use ordo::arrow::array::{AsArray, Float64Array, Int64Array, RecordBatch};
use ordo::arrow::datatypes::{DataType, Field, Float64Type, Schema};
use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};

/// One series per exchange and symbol: `xetra-sap`, `nyse-ibm`...
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Series {
    exchange: String,
    symbol: String,
}

const WINDOW: usize = 20; // moving-average length

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new("ordo-streaming");
    let _ = std::fs::remove_dir_all(root);
    let store = Store::<Series>::open(root)?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("price", DataType::Float64, false),
    ]));
    let keys: Vec<Series> = [
        ("xetra", "sap"),
        ("xetra", "bmw"),
        ("nyse", "ibm"),
        ("nyse", "ko"),
    ]
    .iter()
    .map(|(e, s)| Series {
        exchange: e.to_string(),
        symbol: s.to_string(),
    })
    .collect();
    // Each series ticks at its own pace and gets its own row-group size,
    // so the row-group starts interleave.
    for (i, key) in keys.iter().enumerate() {
        let step = 3 + i as i64;
        let ts: Vec<i64> = (0..20_000).map(|t| t * step).collect();
        let price: Vec<f64> = ts
            .iter()
            .map(|&t| 100.0 + ((t / 50 + i as i64) % 40) as f64)
            .collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(ts)),
                Arc::new(Float64Array::from(price)),
            ],
        )?;
        let opts =
            WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2_500 + 700 * i));
        store.get(key)?.write(&batch, &opts)?;
    }

    // Moving average per series over [10_000, 50_000), warmed up by n_prev.
    let options = IntersectOptions::new()
        .start(OrderedValue::Int(10_000))
        .end_excl(OrderedValue::Int(50_000))
        .n_prev(WINDOW - 1);
    let mut tails: HashMap<Series, Vec<f64>> = HashMap::new();
    let (mut steps, mut rows, mut last_avg) = (0, 0, HashMap::new());
    for step in store.iter_intersections(&keys, options)? {
        let step = step?;
        steps += 1;
        for (key, batch) in step.iter() {
            let prices = batch.column(1).as_primitive::<Float64Type>();
            let tail = tails.entry(key.clone()).or_default();
            tail.extend(prices.values().iter());
            rows += batch.num_rows();
            let keep = tail.len().saturating_sub(WINDOW);
            tail.drain(..keep);
            last_avg.insert(key.clone(), tail.iter().sum::<f64>() / tail.len() as f64);
        }
    }
    println!(
        "{steps} windows, {rows} rows (including {} warm-up rows per series)",
        WINDOW - 1
    );
    for key in &keys {
        println!("  {key} last {WINDOW}-tick average: {:.2}", last_avg[key]);
    }
    Ok(())
}
