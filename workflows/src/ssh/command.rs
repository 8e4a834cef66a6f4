//! Remote commands built from a program and separate arguments, each
//! shell-quoted. User-provided text is only ever an argument, never part of
//! the shell line itself.

use std::fmt;

/// A command line for the remote shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCommand {
    words: Vec<String>,
}

/// An argument the shell cannot carry (NUL bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("command arguments cannot contain NUL bytes")]
pub struct InvalidArgument;

/// Quotes `word` for a POSIX shell: unchanged when it holds only safe
/// characters, else in single quotes with each `'` written as `'\''`.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | '@' | ',' | '+'));
    if safe {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

impl RemoteCommand {
    pub fn new(program: &str) -> Self {
        Self {
            words: vec![program.to_owned()],
        }
    }

    pub fn arg(mut self, arg: impl AsRef<str>) -> Self {
        self.words.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.words.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// A fixed script of ours run by `sh -c`, with caller values as `$1`, `$2`, …
    /// The script must be a literal from this codebase, never user text.
    pub fn script(script: &'static str) -> Self {
        Self::new("sh").arg("-c").arg(script).arg("sh")
    }

    /// The quoted line sent to the remote shell.
    pub fn to_shell(&self) -> Result<String, InvalidArgument> {
        if self.words.iter().any(|w| w.contains('\0')) {
            return Err(InvalidArgument);
        }
        Ok(self.words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "))
    }
}

impl fmt::Display for RemoteCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the quoted line through a real local `sh` and returns the
    /// arguments `printf` received, one per line.
    fn through_sh(args: &[&str]) -> Vec<String> {
        let line = RemoteCommand::new("printf")
            .arg("%s\\0")
            .args(args)
            .to_shell()
            .expect("quoted");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&line)
            .output()
            .expect("sh");
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout)
            .expect("utf8")
            .split('\0')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn hostile_arguments_arrive_literally() {
        let hostile = [
            "it's",
            "a; rm -rf /tmp/x",
            "$(touch /tmp/taichu-pwned)",
            "`id`",
            "line1\nline2",
            "\"double\"",
            "$HOME",
            "*",
            "a b  c",
            "--flag=x'y",
            "\\",
            "'",
            "''",
        ];
        assert_eq!(
            through_sh(&hostile),
            hostile.iter().map(|s| s.to_string()).collect::<Vec<_>>()
        );
        assert!(!std::path::Path::new("/tmp/taichu-pwned").exists());
    }

    #[test]
    fn quoting_rules() {
        assert_eq!(quote("simple-word_1.2"), "simple-word_1.2");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(RemoteCommand::new("echo").arg("a\0b").to_shell(), Err(InvalidArgument));
        let script = RemoteCommand::script("cat > \"$1\"")
            .arg("/tmp/my file")
            .to_shell()
            .expect("ok");
        assert_eq!(script, r#"sh -c 'cat > "$1"' sh '/tmp/my file'"#);
    }
}
