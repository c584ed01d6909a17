//! The instruction-layer error: a message tied to the instruction's [`Location`].

use std::fmt;

use super::Location;

/// An invalid instruction (bad flag, wrong arguments, failed expansion, bad config value).
///
/// Displays as `Dockerfile:LINE: MESSAGE` followed by `  >>> ORIGINAL` on the next line; use
/// [`InstructionError::with_file`] to name the real file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InstructionError {
    /// Where the offending instruction is.
    pub location: Location,
    message: String,
    file: Option<String>,
}

impl InstructionError {
    /// An error at `location` with `message`.
    pub fn new(location: &Location, message: impl Into<String>) -> Self {
        Self {
            location: location.clone(),
            message: message.into(),
            file: None,
        }
    }

    /// Names the Dockerfile in the rendered message (default `Dockerfile`).
    pub fn with_file(mut self, name: impl Into<String>) -> Self {
        self.file = Some(name.into());
        self
    }

    /// Where the offending instruction is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The bare message, without file, line or source text.
    pub fn message(&self) -> String {
        self.message.clone()
    }
}

impl fmt::Display for InstructionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref().unwrap_or("Dockerfile");
        write!(f, "{file}:{}: {}", self.location.line, self.message)?;
        if !self.location.original.is_empty() {
            write!(f, "\n  >>> {}", self.location.original.trim())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_and_source() {
        let loc = Location {
            line: 3,
            end_line: 3,
            column: 1,
            original: "COPY --chmod=xyz a /b".into(),
        };
        let e = InstructionError::new(&loc, "invalid chmod parameter: xyz");
        assert_eq!(
            e.to_string(),
            "Dockerfile:3: invalid chmod parameter: xyz\n  >>> COPY --chmod=xyz a /b"
        );
        let e = e.with_file("app.Dockerfile");
        assert!(e.to_string().starts_with("app.Dockerfile:3: "));
        assert_eq!(e.location().line, 3);
        assert_eq!(e.message(), "invalid chmod parameter: xyz");
    }
}
