//! Reading local files for commands that send documents or check saved deliveries.

use std::path::Path;

use base64::Engine as _;

use crate::exit::Failure;

/// A document argument as the API takes it: `data:` URIs and `http(s)` URLs pass through;
/// anything else is a local file, sent as a `data:{mime};base64,…` URI.
pub fn document(argument: &str) -> Result<String, Failure> {
    if argument.starts_with("data:")
        || argument.starts_with("https://")
        || argument.starts_with("http://")
    {
        return Ok(argument.to_owned());
    }
    let path = Path::new(argument);
    let bytes = read(path)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:{};base64,{encoded}", mime(path)))
}

/// The largest file a command reads: far above any document the API takes or any webhook
/// body, and low enough that a path to an endless stream (`/dev/zero`, a pipe given by
/// mistake) is refused instead of read until memory runs out.
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// The bytes of a file, or a usage failure naming it (also when it is larger than
/// [`MAX_FILE_BYTES`], read no further than that).
pub fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    use std::io::Read as _;
    let unreadable = |e: std::io::Error| {
        Failure::usage(format!("cannot read {}: {e}", path.display()))
            .with_code("unreadable_file")
            .hint("give the path of a readable file")
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Failure::usage(format!(
            "{} is larger than {} MiB, the most a command reads",
            path.display(),
            MAX_FILE_BYTES >> 20
        ))
        .with_code("unreadable_file")
        .hint("give the path of the file itself, not of a device or a stream"));
    }
    Ok(bytes)
}

/// The MIME type for a document, from its extension.
fn mime(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("heic") => "image/heic",
        Some("tif" | "tiff") => "image/tiff",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pass_through_and_files_become_data_uris() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(
            document("https://example.com/id.pdf").map_err(|f| f.message.clone())?,
            "https://example.com/id.pdf"
        );
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("statement.PDF");
        std::fs::write(&path, b"%PDF-1.4")?;
        let uri = document(path.to_str().ok_or("path")?).map_err(|f| f.message.clone())?;
        assert_eq!(uri, "data:application/pdf;base64,JVBERi0xLjQ=");
        let missing = document("/nonexistent/file.png").err().ok_or("no error")?;
        assert!(missing.message.contains("/nonexistent/file.png"));
        Ok(())
    }
}
