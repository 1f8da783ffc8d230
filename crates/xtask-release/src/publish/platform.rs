//! A dependency's platform as cargo writes it into the publish metadata: a target triple
//! as it is, a `cfg(...)` expression re-printed in cargo's form (`cfg(any(unix, windows))`,
//! `cfg(target_os = "linux")`), whatever spacing the manifest used.

use anyhow::{Result, bail};

/// The platform key of `[target.KEY.dependencies]`, as cargo sends it.
pub fn normalise(key: &str) -> Result<String> {
    let key = key.trim();
    let Some(inner) = key.strip_prefix("cfg(").and_then(|rest| rest.strip_suffix(')')) else {
        return Ok(key.to_string());
    };
    let tokens = tokens(inner).map_err(|why| anyhow::anyhow!("`{key}` is not a cfg expression: {why}"))?;
    let mut at = 0;
    let expr = expr(&tokens, &mut at).map_err(|why| anyhow::anyhow!("`{key}` is not a cfg expression: {why}"))?;
    if at != tokens.len() {
        bail!("`{key}` is not a cfg expression: unexpected text after `{expr}`");
    }
    Ok(format!("cfg({expr})"))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Open,
    Close,
    Comma,
    Equals,
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            '=' => out.push(Token::Equals),
            '"' => {
                let rest = &text[at + 1..];
                let end = rest.find('"').ok_or("a string is not closed")?;
                out.push(Token::Str(rest[..end].to_string()));
                for _ in 0..=rest[..end].chars().count() {
                    chars.next();
                }
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut ident = c.to_string();
                while let Some(&(_, next)) = chars.peek().filter(|(_, n)| n.is_alphanumeric() || *n == '_') {
                    ident.push(next);
                    chars.next();
                }
                out.push(Token::Ident(ident));
            }
            other => return Err(format!("unexpected `{other}`")),
        }
    }
    Ok(out)
}

/// One expression from `tokens[*at..]`, printed the way cargo's `CfgExpr` displays it.
fn expr(tokens: &[Token], at: &mut usize) -> Result<String, String> {
    let Some(Token::Ident(name)) = tokens.get(*at) else { return Err("expected a name".into()) };
    *at += 1;
    match tokens.get(*at) {
        Some(Token::Open) if ["all", "any", "not"].contains(&name.as_str()) => {
            *at += 1;
            let mut parts = Vec::new();
            while tokens.get(*at) != Some(&Token::Close) {
                parts.push(expr(tokens, at)?);
                match tokens.get(*at) {
                    Some(Token::Comma) => *at += 1,
                    Some(Token::Close) => {}
                    _ => return Err(format!("expected `,` or `)` in `{name}(...)`")),
                }
            }
            *at += 1;
            if name == "not" && parts.len() != 1 {
                return Err("`not` takes one expression".into());
            }
            Ok(format!("{name}({})", parts.join(", ")))
        }
        Some(Token::Equals) => match tokens.get(*at + 1) {
            Some(Token::Str(value)) => {
                *at += 2;
                Ok(format!("{name} = \"{value}\""))
            }
            _ => Err(format!("expected a string after `{name} =`")),
        },
        _ => Ok(name.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfg_expressions_in_cargos_form() {
        assert_eq!(normalise("x86_64-unknown-linux-gnu").unwrap(), "x86_64-unknown-linux-gnu");
        assert_eq!(normalise("cfg(unix)").unwrap(), "cfg(unix)");
        assert_eq!(normalise("cfg(target_os=\"linux\")").unwrap(), "cfg(target_os = \"linux\")");
        assert_eq!(
            normalise("cfg(any(unix,all(windows , target_env = \"msvc\"), not(wasm)))").unwrap(),
            "cfg(any(unix, all(windows, target_env = \"msvc\"), not(wasm)))"
        );
        assert_eq!(normalise("cfg(all())").unwrap(), "cfg(all())");
        for bad in ["cfg(any(unix)", "cfg(a = b)", "cfg(not(a, b))", "cfg(a b)", "cfg(\"x)"] {
            assert!(normalise(bad).is_err(), "{bad}");
        }
    }
}
