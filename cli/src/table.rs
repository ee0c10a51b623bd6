//! Plain-text tables: one header row, columns padded to their widest
//! cell.

/// Prints `rows` under `header`, indented by `indent`. Columns whose index
/// is in `left` are left-aligned (names, paths); the others are
/// right-aligned (numbers).
pub fn print(
    indent: &str,
    header: &[&str],
    rows: &[Vec<String>],
    left: &[usize],
) -> std::io::Result<()> {
    for line in lines(indent, header, rows, left) {
        outln!("{line}")?;
    }
    Ok(())
}

/// The lines [`print`] prints.
pub fn lines(indent: &str, header: &[&str], rows: &[Vec<String>], left: &[usize]) -> Vec<String> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    std::iter::once(&header)
        .chain(rows)
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, &w))| {
                    if left.contains(&i) {
                        format!("{cell:<w$}")
                    } else {
                        format!("{cell:>w$}")
                    }
                })
                .collect();
            format!("{indent}{}", cells.join("  ").trim_end())
        })
        .collect()
}
