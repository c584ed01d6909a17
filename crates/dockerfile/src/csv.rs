//! One CSV record split as Go's `encoding/csv` does, the syntax of `--mount` values on the
//! command line (`docker run --mount`) and in Dockerfiles (`RUN --mount`).

/// Splits one CSV record as Go's `encoding/csv` does for `--mount`: fields separated by
/// commas; a field starting with `"` is quoted (`""` is a literal quote); a quote inside an
/// unquoted field is an error.
pub fn fields(s: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("extraneous or missing \" in quoted-field".into()),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return Err("extraneous or missing \" in quoted-field".into()),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => return Err("bare \" in non-quoted-field".into()),
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn quoted_and_bare_fields() {
        assert_eq!(fields("a,b=c").unwrap(), ["a", "b=c"]);
        assert_eq!(fields("\"x,y\",z").unwrap(), ["x,y", "z"]);
        assert_eq!(fields("\"say \"\"hi\"\"\"").unwrap(), ["say \"hi\""]);
        assert!(fields("a\"b").is_err());
        assert!(fields("\"open").is_err());
    }
}
