#!/usr/bin/env python3
"""The site's Content-Security-Policy (infra/template.yaml) allows no inline
styles except the one `<style>` element of the API's own HTML pages
(functions/intake/src/page.rs), by its SHA-256 hash. Without it the no-JS
error page loses its layout and shows its hidden honeypot field. This check
reads that style from the Rust source, hashes it, and fails when the
template's policy does not carry the hash (e.g. after the style changed),
printing the value to put there.

Usage: infra/csp_check.py
"""

import base64
import hashlib
import re
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
source = here.parent / "functions" / "intake" / "src" / "page.rs"
template = here / "template.yaml"

rust = source.read_text(encoding="utf-8")
# A backslash at the end of a line in a Rust string skips the line break
# and the next line's indentation.
joined = re.sub(r"\\\n\s*", "", rust)
styles = re.findall(r"<style>(.*?)</style>", joined, re.S)
if len(styles) != 1:
    sys.exit(f"csp_check: expected one <style> element in {source.name}, found {len(styles)}; "
             "update infra/csp_check.py")
style = styles[0]
if "{}" in style.replace("{{", "").replace("}}", ""):
    sys.exit("csp_check: the inline style has a format placeholder, so its hash is not fixed")
# format! doubles braces; \" and \\ are escapes.
style = style.replace("{{", "{").replace("}}", "}").replace('\\"', '"').replace("\\\\", "\\")
digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
policy = re.search(r"ContentSecurityPolicy: \"([^\"]*)\"", template.read_text(encoding="utf-8"))
if not policy:
    sys.exit("csp_check: no ContentSecurityPolicy found in template.yaml")
style_src = re.search(r"style-src ([^;]*)", policy.group(1))
wanted = f"'sha256-{digest}'"
if not style_src or wanted not in style_src.group(1).split():
    sys.exit(f"csp_check: the CSP's style-src must allow the inline style of {source.name}: "
             f"put {wanted} in style-src in template.yaml")
print(f"csp_check: style-src allows the inline style of {source.name} ({wanted}) and nothing else inline")
