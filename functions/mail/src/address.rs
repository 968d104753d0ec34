//! Recipients' addresses as mail headers and servers take them: an
//! internationalized domain name (`用户@例子.中国`'s domain) in its ASCII
//! form, punycode (`xn--…`, IDNA 2008 via the `idna` crate). A local part
//! that is not ASCII has no such form (it needs SMTPUTF8, which neither
//! SES's raw sending nor every receiving server offers), so it is refused.

/// `address` with its domain in ASCII, trimmed; `None` when the local part
/// is not ASCII, there is no `@`, or the domain is not a valid name.
pub fn ascii(address: &str) -> Option<String> {
    let address = address.trim();
    let (local, domain) = address.rsplit_once('@')?;
    if local.is_empty() || !local.is_ascii() {
        return None;
    }
    let domain = idna::domain_to_ascii(domain).ok()?;
    if domain.is_empty() {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internationalized_domains_become_punycode() {
        assert_eq!(
            ascii("wang@例子.中国").as_deref(),
            Some("wang@xn--fsqu00a.xn--fiqs8s")
        );
        assert_eq!(
            ascii(" a@Bücher.example ").as_deref(),
            Some("a@xn--bcher-kva.example")
        );
        assert_eq!(ascii("a@example.org").as_deref(), Some("a@example.org"));
        assert_eq!(ascii("王@example.org"), None);
        assert_eq!(ascii("no-at-sign"), None);
        assert_eq!(ascii("@example.org"), None);
    }
}
